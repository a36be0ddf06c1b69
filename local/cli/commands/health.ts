import { displayUrl } from '../api-url.ts';
import { type CommandSpec, JSON_OPTION } from '../command.ts';
import { println } from '../io.ts';

export const healthCommand: CommandSpec = {
  path: ['health'],
  summary: 'check that the API answers',
  options: { json: JSON_OPTION },
  async run({ options, io, api }) {
    const response = await api.send({ method: 'GET', path: '/health' });
    const text = new TextDecoder().decode(response.body);
    if (options.flag('json')) {
      println(io.stdout, text);
      return 0;
    }
    println(io.stdout, `ok: ${displayUrl(api.baseUrl)} answered ${response.status}${describe(text)}`);
    return 0;
  },
};

/** Whatever short facts the health answer offers (`{"status":"ok","version":"0.1.0"}`). */
function describe(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return '';
  }
  if (typeof body !== 'object' || body === null) return '';
  const facts = Object.entries(body)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([name, value]) => `${name}=${value}`);
  return facts.length > 0 ? ` (${facts.join(', ')})` : '';
}
