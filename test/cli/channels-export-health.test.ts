import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releasedAfterEach, tempDirPerTest } from '../support/per-test.ts';
import { problem, runPulsecast, startFakeApi } from './fake-api.ts';

/** The Mastodon channel the add and update tests send, without its API base URL. */
const MASTO = {
  id: 'masto',
  platform: 'mastodon',
  handle: '@acme',
  timezone: 'Europe/Berlin',
  secretRef: 'pulsecast/masto',
};
const ICS = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pulsecast//EN\r\nEND:VCALENDAR\r\n';

describe('pulsecast channels, export and health', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());
  const makeDir = tempDirPerTest('pulsecast-cli-');

  it('lists channels across pages as a table', async () => {
    const api = await startApi((request) => ({
      body: request.query.get('cursor')
        ? {
            items: [
              {
                id: 'masto',
                platform: 'mastodon',
                handle: '@acme',
                timezone: 'UTC',
                secretRef: 's/m',
                apiBaseUrl: 'https://mastodon.social',
              },
            ],
          }
        : {
            items: [
              { id: 'x-main', platform: 'x', handle: '@acme', timezone: 'Europe/Berlin', secretRef: 's/x' },
            ],
            nextCursor: 'n',
          },
    }));

    const result = await api.run(['channels', 'list']);

    expect(result.code).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/channels',
      'GET /v1/channels',
    ]);
    expect(result.stdout.split('\n')).toEqual([
      'ID      PLATFORM  HANDLE  TIMEZONE       SECRET REF  API BASE URL',
      'x-main  x         @acme   Europe/Berlin  s/x         -',
      'masto   mastodon  @acme   UTC            s/m         https://mastodon.social',
      '',
    ]);
  });

  it('adds a channel by POSTing its camelCase JSON', async () => {
    const api = await startApi((request) => ({
      status: 201,
      body: { ...JSON.parse(request.body.toString()), version: 1 },
    }));

    const result = await api.run([
      'channels',
      'add',
      '--id',
      'masto',
      '--platform',
      'mastodon',
      '--handle',
      '@acme',
      '--timezone',
      'Europe/Berlin',
      '--secret-ref',
      'pulsecast/masto',
      '--api-base-url',
      'http://127.0.0.1:4010',
    ]);

    expect(result).toEqual({
      code: 0,
      stdout: 'channel masto: mastodon @acme (Europe/Berlin)\n',
      stderr: '',
    });
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v1/channels' });
    expect(api.requests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(api.requests[0]?.body.toString() ?? '')).toEqual({
      ...MASTO,
      apiBaseUrl: 'http://127.0.0.1:4010',
    });
  });

  it('updates a channel at the version it read (If-Match), changing only the fields given', async () => {
    const stored = { ...MASTO, version: 4 };
    const api = await startApi((request) =>
      request.method === 'GET'
        ? { body: stored }
        : { body: { ...JSON.parse(request.body.toString()), version: 5 } },
    );

    const result = await api.run([
      'channels',
      'update',
      '--id',
      'masto',
      '--api-base-url',
      'https://fosstodon.org',
    ]);

    expect(result).toEqual({
      code: 0,
      stdout: 'channel masto: mastodon @acme (Europe/Berlin)\n',
      stderr: '',
    });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/channels/masto',
      'PUT /v1/channels/masto',
    ]);
    expect(api.requests[1]?.headers['if-match']).toBe('"4"');
    expect(JSON.parse(api.requests[1]?.body.toString() ?? '')).toEqual({
      ...MASTO,
      apiBaseUrl: 'https://fosstodon.org',
    });
  });

  it('names every missing required flag of channels add and exits 2', async () => {
    const result = await runPulsecast(['channels', 'add', '--id', 'x-main', '--platform', 'x']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: missing --handle, --timezone, --secret-ref\n\nUsage: pulsecast channels add/,
    );
  });

  it('prints the field errors of a rejected channel', async () => {
    const api = await startApi(() =>
      problem(400, {
        title: 'Invalid channel',
        errors: [{ column: 'timezone', message: 'is not an IANA time zone name' }],
      }),
    );

    const result = await runPulsecast(
      [
        'channels',
        'add',
        '--id',
        'x',
        '--platform',
        'x',
        '--handle',
        'h',
        '--timezone',
        'Mars/Base',
        '--secret-ref',
        'r',
      ],
      { env: { PULSECAST_API_URL: api.url } },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: Invalid channel (400)\n  column timezone: is not an IANA time zone name\n',
    );
  });

  it('exports the calendar as ICS to a file with --out', async () => {
    const api = await startApi(() => ({ contentType: 'text/calendar', body: ICS }));
    const dir = await makeDir();
    const out = join(dir, 'calendar.ics');

    const result = await api.run(['export', 'ics', '--out', out]);

    expect(result.code).toBe(0);
    expect(api.requests[0]).toMatchObject({ method: 'GET', path: '/v1/calendar.ics' });
    expect(await readFile(out, 'utf8')).toBe(ICS);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`wrote ${out} (${ICS.length} bytes)\n`);
  });

  it('exports the calendar as CSV to stdout', async () => {
    const csv = 'id,channel,scheduled_at,text\np-1,x-main,2025-03-04T09:00:00.000Z,"\'=1+1"\n';
    const api = await startApi(() => ({ contentType: 'text/csv', body: csv }));

    const result = await api.run(['export', 'csv']);

    expect(api.requests[0]?.path).toBe('/v1/calendar.csv');
    expect(api.requests[0]?.headers.accept).toBe('text/csv');
    expect(result).toEqual({ code: 0, stdout: csv, stderr: '' });
  });

  it('needs a format to export', async () => {
    const result = await runPulsecast(['export']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"export" needs a subcommand');
    expect(result.stderr).toContain('export ics');
  });

  it('checks health', async () => {
    const api = await startApi(() => ({ body: { status: 'ok' } }));

    const result = await api.run(['health']);

    expect(api.requests[0]?.path).toBe('/health');
    expect(result).toEqual({ code: 0, stdout: `ok: ${api.url} answered 200 (status=ok)\n`, stderr: '' });
  });

  it('keeps a stage path of the API URL in front of every route', async () => {
    const api = await startApi(() => ({ body: { status: 'ok' } }));

    await runPulsecast(['health', '--api', `${api.url}/prod/`]);

    expect(api.requests[0]?.path).toBe('/prod/health');
  });
});
