import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { releasedAfterEach, tempDirPerTest } from '../support/per-test.ts';
import { problem, runPulsecast, startFakeApi } from './fake-api.ts';

const CSV = 'id,channel,scheduled_at,text\nlaunch-1,x-main,2025-03-04T09:00:00Z,We are live!\n';

const PLAN = {
  uploadId: 'up-1',
  dryRun: false,
  summary: { created: 12, updated: 3, unchanged: 5 },
  posts: [
    { row: 2, id: 'launch-1', action: 'created' },
    { row: 3, id: 'launch-2-longer-id', action: 'updated' },
  ],
};

describe('pulsecast upload', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());
  const makeDir = tempDirPerTest('pulsecast-cli-');
  let dir: string;
  beforeEach(async () => {
    dir = await makeDir();
  });

  async function calendar(name: string, content: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, content);
    return file;
  }

  it('posts the CSV file as text/csv with its options as query parameters and prints the plan', async () => {
    const api = await startApi(() => ({ body: PLAN }));
    const file = await calendar('calendar.csv', CSV);

    const result = await runPulsecast([
      'upload',
      file,
      '--api',
      api.url,
      '--format',
      'hootsuite',
      '--channel',
      'x-main',
      '--date-format',
      'dd/MM/yyyy HH:mm',
      '--timezone',
      'Europe/Berlin',
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [request] = api.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/calendars');
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      format: 'hootsuite',
      channel: 'x-main',
      dateFormat: 'dd/MM/yyyy HH:mm',
      timezone: 'Europe/Berlin',
    });
    // Encoded as SigV4 canonicalises it, so the signed and the sent query agree.
    expect(request?.rawQuery).toContain('dateFormat=dd%2FMM%2Fyyyy%20HH%3Amm');
    expect(request?.headers['content-type']).toBe('text/csv');
    expect(request?.body.toString()).toBe(CSV);
    expect(result.stdout.split('\n')).toEqual([
      '12 created, 3 updated, 5 unchanged',
      '',
      'ROW  ID                  ACTION',
      '2    launch-1            created',
      '3    launch-2-longer-id  updated',
      '',
    ]);
  });

  it('shows progress on a terminal only, and clears it before the plan', async () => {
    const api = await startApi(() => ({ body: PLAN }));
    const file = await calendar('calendar.csv', CSV);
    const tty = await api.run(['upload', file], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/^\ruploading .*calendar\.csv \(0\.00 MB, 1 rows\)… 0 s/);
    expect(tty.stderr.endsWith('\r\u001b[2K')).toBe(true);
    const piped = await api.run(['upload', file]);
    expect(piped.stderr).toBe('');
  });

  it('sends dryRun=true for --dry-run and says that nothing was written', async () => {
    const api = await startApi(() => ({ body: { ...PLAN, dryRun: true } }));
    const file = await calendar('calendar.csv', CSV);

    const result = await api.run(['upload', '--dry-run', file]);

    expect(result.code).toBe(0);
    expect(api.requests[0]?.rawQuery).toBe('dryRun=true');
    expect(result.stdout).toContain('12 created, 3 updated, 5 unchanged (dry run: nothing written)');
  });

  it('sends a .json calendar as application/json, byte for byte', async () => {
    const api = await startApi(() => ({ body: PLAN }));
    const json =
      '{ "posts": [ { "channel": "x-main", "scheduledAt": "2025-03-04T09:00:00Z", "text": "Hi ✨" } ] }';
    const file = await calendar('calendar.JSON', json);

    const result = await api.run(['upload', file]);

    expect(result.code).toBe(0);
    expect(api.requests[0]?.headers['content-type']).toBe('application/json');
    expect(api.requests[0]?.body.toString('utf8')).toBe(json);
    expect(api.requests[0]?.rawQuery).toBe('');
  });

  it('prints the warnings of the plan by row and column', async () => {
    const api = await startApi(() => ({
      body: {
        ...PLAN,
        warnings: [{ row: 4, column: 'link', message: 'has no UTM tags; they will be added' }],
      },
    }));
    const file = await calendar('calendar.csv', CSV);

    const result = await api.run(['upload', file]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '1 warning:\n  row 4, column link: has no UTM tags; they will be added\n',
    );
  });

  it('prints the JSON answer with --json', async () => {
    const api = await startApi(() => ({ body: { ...PLAN, extra: 'kept' } }));
    const file = await calendar('calendar.csv', CSV);

    const result = await api.run(['upload', file, '--json']);

    expect(JSON.parse(result.stdout)).toEqual({ ...PLAN, extra: 'kept' });
  });

  it('prints every invalid row and column of a 422 on stderr and exits 1', async () => {
    const api = await startApi(() =>
      problem(422, {
        type: 'https://pulsecast.dev/problems/invalid-calendar',
        title: 'The calendar has invalid rows',
        detail: '2 rows are invalid; nothing was written.',
        errors: [
          { row: 7, column: 'scheduled_at', message: 'is not a date-time' },
          { row: 9, column: 'channel', message: 'names no known channel' },
        ],
      }),
    );
    const file = await calendar('calendar.csv', CSV);

    const result = await api.run(['upload', file]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'error: The calendar has invalid rows (422)',
        '2 rows are invalid; nothing was written.',
        '  row 7, column scheduled_at: is not a date-time',
        '  row 9, column channel: names no known channel',
        '',
      ].join('\n'),
    );
  });

  it('says which file it cannot read, without sending anything', async () => {
    const api = await startApi(() => ({ body: PLAN }));

    const result = await api.run(['upload', join(dir, 'missing.csv')]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: cannot read ${join(dir, 'missing.csv')}: no such file\n`);
    expect(api.requests).toHaveLength(0);
  });

  it('needs a FILE', async () => {
    const result = await runPulsecast(['upload']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: missing FILE\n\nUsage: pulsecast upload FILE \[options\]/);
  });
});
