import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { type CommandSpec, JSON_OPTION } from '../command.ts';
import { CliError } from '../errors.ts';
import { println } from '../io.ts';
import { printJson } from '../output.ts';

/** What the API answers for the listening settings; only what the CLI prints is checked. */
const StoredSettings = z.looseObject({
  version: z.number(),
  updatedAt: z.string(),
  settings: z.looseObject({
    brand: z.looseObject({ name: z.string(), terms: z.array(z.string()), handles: z.array(z.string()) }),
    competitors: z.array(
      z.looseObject({
        id: z.string(),
        name: z.string(),
        terms: z.array(z.string()),
        handles: z.array(z.string()),
      }),
    ),
    platforms: z.array(z.string()),
    autoHold: z.boolean().optional(),
  }),
  capabilities: z
    .record(
      z.string(),
      z.record(
        z.string(),
        z.looseObject({ supported: z.boolean(), reason: z.string().optional(), note: z.string().optional() }),
      ),
    )
    .optional(),
});
type StoredSettings = z.infer<typeof StoredSettings>;

function print(io: Parameters<CommandSpec['run']>[0]['io'], stored: StoredSettings): void {
  const { settings } = stored;
  const line = (s: { name: string; terms: string[]; handles: string[] }) =>
    `${s.name}: ${[...s.terms, ...s.handles].join(', ') || '-'}`;
  println(io.stdout, `listening settings, version ${stored.version} (${stored.updatedAt})`);
  println(io.stdout, `  brand       ${line(settings.brand)}`);
  for (const c of settings.competitors) println(io.stdout, `  ${c.id.padEnd(11)} ${line(c)}`);
  println(
    io.stdout,
    `  platforms   ${settings.platforms.join(', ')}; automatic hold ${settings.autoHold ? 'on' : 'off'}`,
  );
  for (const [platform, abilities] of Object.entries(stored.capabilities ?? {})) {
    for (const [ability, support] of Object.entries(abilities)) {
      if (!support.supported)
        println(io.stdout, `  not on ${platform} (${ability}): ${support.reason ?? 'not supported'}`);
      else if (support.note) println(io.stdout, `  on ${platform} (${ability}): ${support.note}`);
    }
  }
}

export const listeningSetCommand: CommandSpec = {
  path: ['listening', 'set'],
  summary: 'say what to listen for (brand, competitors, platforms) from a JSON file',
  operands: [{ name: 'FILE', description: 'the settings, as PUT /v1/listening takes them' }],
  options: { json: JSON_OPTION },
  details: `Example file:
  {"brand": {"name": "Acme", "terms": ["acmecloud"], "handles": ["@acme"]},
   "competitors": [{"id": "globex", "name": "Globex", "terms": ["globexhost"], "handles": []}],
   "platforms": ["bluesky", "mastodon"]}`,
  async run({ operands, options, io, api }) {
    const file = operands[0]!;
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
        cause: error,
      });
    }
    const stored = await api.json(
      { method: 'PUT', path: '/v1/listening', body, contentType: 'application/json' },
      StoredSettings,
    );
    if (options.flag('json')) printJson(io.stdout, stored);
    else print(io, stored);
    return 0;
  },
};

export const listeningShowCommand: CommandSpec = {
  path: ['listening', 'show'],
  summary: 'show what is listened for, and what each platform cannot do',
  options: { json: JSON_OPTION },
  async run({ options, io, api }) {
    const stored = await api.json({ method: 'GET', path: '/v1/listening' }, StoredSettings);
    if (options.flag('json')) printJson(io.stdout, stored);
    else print(io, stored);
    return 0;
  },
};

export const listeningCommands = [listeningSetCommand, listeningShowCommand];
