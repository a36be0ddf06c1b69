import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releasedAfterEach, tempDirPerTest } from '../support/per-test.ts';
import { problem, startFakeApi } from './fake-api.ts';

const STORED = {
  version: 2,
  updatedAt: '2027-03-01T06:00:00.000Z',
  settings: {
    brand: { name: 'Acme', terms: ['acmecloud'], handles: ['@acme'] },
    competitors: [{ id: 'globex', name: 'Globex', terms: ['globexhost'], handles: [] }],
    platforms: ['bluesky', 'x'],
    autoHold: true,
  },
  capabilities: {
    bluesky: { search: { supported: true }, inbound: { supported: true }, ownReplies: { supported: true } },
    x: {
      search: { supported: false, reason: 'X recent search needs a paid API plan' },
      inbound: { supported: true },
      ownReplies: { supported: true },
    },
  },
};

describe('pulsecast listening', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());
  const makeDir = tempDirPerTest('pulsecast-listening-');

  it('sends the file as it is with PUT and prints what is listened for and what cannot be', async () => {
    const api = await startApi(() => ({ body: STORED }));
    const dir = await makeDir();
    const file = join(dir, 'listening.json');
    const body = '{"brand": {"name": "Acme", "terms": ["acmecloud"]}, "platforms": ["bluesky", "x"]}';
    await writeFile(file, body);

    const result = await api.run(['listening', 'set', file]);

    expect(result.code).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /v1/listening']);
    expect(api.requests[0]?.body.toString('utf8')).toBe(body);
    expect(result.stdout).toContain('brand       Acme: acmecloud, @acme');
    expect(result.stdout).toContain('globex      Globex: globexhost');
    expect(result.stdout).toContain('automatic hold on');
    expect(result.stdout).toContain('not on x (search): X recent search needs a paid API plan');
  });

  it('shows the settings, and passes a 404 on as a failure', async () => {
    const present = await startApi(() => ({ body: STORED }));
    const shown = await present.run(['listening', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('listening settings, version 2');

    const absent = await startApi(() =>
      problem(404, { title: 'Not found', detail: "listening settings 'listening' does not exist" }),
    );
    const missing = await absent.run(['listening', 'show']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });
});
