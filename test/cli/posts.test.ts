import { describe, expect, it } from 'vitest';
import { releasedAfterEach } from '../support/per-test.ts';
import { problem, runPulsecast, startFakeApi } from './fake-api.ts';

function post(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    channel: 'x-main',
    scheduledAt: '2025-03-04T09:00:00.000Z',
    timezone: 'Europe/Berlin',
    text: `Post ${id}`,
    media: [],
    tags: [],
    status: 'SCHEDULED',
    version: 1,
    ...overrides,
  };
}

describe('pulsecast posts', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  describe('list', () => {
    it('passes the filters and prints an aligned table with the start of each text', async () => {
      const long = 'A launch post whose text goes on well past the fifty characters the table shows';
      const api = await startApi(() => ({
        body: {
          items: [post('p-1', { text: long }), post('p-22', { status: 'PUBLISHED', channel: 'bsky' })],
        },
      }));

      const result = await api.run([
        'posts',
        'list',
        '--status',
        'SCHEDULED',
        '--channel',
        'x-main',
        '--campaign',
        'spring',
        '--from',
        '2025-03-01T00:00:00Z',
        '--to',
        '2025-04-01T00:00:00Z',
        '--limit',
        '10',
      ]);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(api.requests[0]?.method).toBe('GET');
      expect(api.requests[0]?.path).toBe('/v1/posts');
      expect(Object.fromEntries(api.requests[0]?.query ?? [])).toEqual({
        status: 'SCHEDULED',
        channel: 'x-main',
        campaign: 'spring',
        from: '2025-03-01T00:00:00Z',
        to: '2025-04-01T00:00:00Z',
        limit: '10',
      });
      expect(result.stdout.split('\n')).toEqual([
        'SCHEDULED AT              ID    CHANNEL  STATUS     IMPRESSIONS  ENGAGEMENTS  RATE  TEXT',
        `2025-03-04T09:00:00.000Z  p-1   x-main   SCHEDULED  –            –            –     ${long.slice(0, 49)}…`,
        '2025-03-04T09:00:00.000Z  p-22  bsky     PUBLISHED  –            –            –     Post p-22',
        '',
      ]);
    });

    it("shows each post's latest numbers and sorts by one of them, highest first", async () => {
      const measured = (id: string, impressions: number, engagements: number) =>
        post(id, {
          status: 'PUBLISHED',
          latestMetrics: { metrics: { impressions, engagements }, engagementRate: engagements / impressions },
        });
      const api = await startApi(() => ({
        body: { items: [measured('low', 1000, 10), post('none'), measured('high', 2000, 90)] },
      }));
      const result = await api.run(['posts', 'list', '--sort', 'engagements']);
      expect(result.code).toBe(0);
      const rows = result.stdout.trim().split('\n');
      expect(rows.slice(1).map((row) => row.split(/\s+/)[1])).toEqual(['high', 'low', 'none']);
      expect(rows[1]).toMatch(/PUBLISHED\s+2,000\s+90\s+4\.5 %/);

      const bad = await api.run(['posts', 'list', '--sort', 'likes']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--sort must be one of scheduled, impressions, engagements, rate');
    });

    it('follows nextCursor until the last page with --all', async () => {
      const pages: Record<string, unknown> = {
        '': { items: [post('p-1'), post('p-2')], nextCursor: 'c2' },
        c2: { items: [post('p-3')], nextCursor: 'c3' },
        c3: { items: [post('p-4')] },
      };
      const api = await startApi((request) => ({ body: pages[request.query.get('cursor') ?? ''] }));

      const result = await api.run(['posts', 'list', '--all', '--status', 'SCHEDULED']);

      expect(result.code).toBe(0);
      expect(api.requests.map((r) => r.query.get('cursor'))).toEqual([null, 'c2', 'c3']);
      expect(api.requests.every((r) => r.query.get('status') === 'SCHEDULED')).toBe(true);
      expect(result.stdout.match(/^\S+\s+p-\d/gm)).toHaveLength(4);
    });

    it('prints only the first page without --all, and tells how to get more on stderr', async () => {
      const api = await startApi(() => ({ body: { items: [post('p-1')], nextCursor: 'c2' } }));

      const result = await api.run(['posts', 'list']);

      expect(api.requests).toHaveLength(1);
      expect(result.stdout).toContain('p-1');
      expect(result.stderr).toBe('more posts exist: add --all, or --cursor c2 for the next page\n');
    });

    it('stops when the API hands out the same cursor twice', async () => {
      const api = await startApi(() => ({ body: { items: [post('p-1')], nextCursor: 'again' } }));

      const result = await api.run(['posts', 'list', '--all']);

      expect(result.code).toBe(1);
      expect(api.requests).toHaveLength(2);
      expect(result.stderr).toContain('the API returned the cursor "again" twice');
    });

    it('prints all pages as one JSON list with --all --json', async () => {
      const api = await startApi((request) => ({
        body: request.query.get('cursor')
          ? { items: [post('p-2')] }
          : { items: [post('p-1')], nextCursor: 'c2' },
      }));

      const result = await api.run(['posts', 'list', '--all', '--json']);

      expect(JSON.parse(result.stdout).items.map((p: { id: string }) => p.id)).toEqual(['p-1', 'p-2']);
    });

    it('rejects a --limit that is not a positive whole number', async () => {
      const result = await runPulsecast(['posts', 'list', '--limit', 'ten']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error: --limit must be a positive whole number, not "ten"');
    });
  });

  describe('show', () => {
    it('gets one post and prints its fields, text and metric history', async () => {
      const api = await startApi(() => ({
        body: post('p 1', {
          status: 'PUBLISHED',
          platformUrl: 'https://x.com/acme/status/1',
          metrics: [{ collectedAt: '2025-03-04T10:00:00.000Z', metrics: { impressions: 120, likes: 4 } }],
        }),
      }));

      const result = await api.run(['posts', 'show', 'p 1']);

      expect(result.code).toBe(0);
      expect(api.requests[0]?.path).toBe('/v1/posts/p%201');
      expect(result.stdout).toContain('status:        PUBLISHED\n');
      expect(result.stdout).toContain('platform url:  https://x.com/acme/status/1\n');
      expect(result.stdout).toContain('\nPost p 1\n');
      expect(result.stdout).toContain('  2025-03-04T10:00:00.000Z  impressions=120  likes=4\n');
    });

    it('prints the problem of a 404 and exits 1', async () => {
      const api = await startApi(() => problem(404, { title: 'Post not found', detail: 'No post "nope".' }));

      const result = await api.run(['posts', 'show', 'nope']);

      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: Post not found (404)\nNo post "nope".\n',
      });
    });
  });

  describe('cancel', () => {
    it('sends DELETE and prints the new status', async () => {
      const api = await startApi(() => ({ body: post('p-1', { status: 'CANCELLED', version: 2 }) }));

      const result = await api.run(['posts', 'cancel', 'p-1']);

      expect(api.requests[0]).toMatchObject({ method: 'DELETE', path: '/v1/posts/p-1' });
      expect(result).toEqual({ code: 0, stdout: 'p-1: CANCELLED\n', stderr: '' });
    });

    it('treats an empty 204 as cancelled', async () => {
      const api = await startApi(() => ({ status: 204 }));

      const result = await api.run(['posts', 'cancel', 'p-1']);

      expect(result).toEqual({ code: 0, stdout: 'p-1: CANCELLED\n', stderr: '' });
    });

    it('reports a 409 for a post already queued and exits 1', async () => {
      const api = await startApi(() =>
        problem(409, {
          title: 'Post can no longer be changed',
          detail: 'p-1 is QUEUED; only SCHEDULED posts.',
        }),
      );

      const result = await api.run(['posts', 'cancel', 'p-1']);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'error: Post can no longer be changed (409)\np-1 is QUEUED; only SCHEDULED posts.\n',
      );
    });
  });

  describe('retry', () => {
    it('refuses an UNKNOWN post (it may be live) and changes nothing', async () => {
      const api = await startApi(() => ({ body: post('p-1', { status: 'UNKNOWN', version: 3 }) }));
      const result = await api.run(['posts', 'retry', 'p-1', '--at', '2025-03-10T09:00:00.000Z']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('p-1 is UNKNOWN');
      expect(result.stderr).toContain('settle it first');
      expect(api.requests.map((r) => r.method)).toEqual(['GET']);
    });
  });

  describe('reschedule', () => {
    it.each([
      ['reschedule', 'FAILED', 4],
      ['retry', 'HELD', 7],
    ] as const)(
      '%s reads the post (%s), then PATCHes the new time at the version read',
      async (command, status, version) => {
        const api = await startApi((request) =>
          request.method === 'GET'
            ? { body: post('p-1', { status, version }) }
            : { body: post('p-1', { scheduledAt: '2025-03-10T09:00:00.000Z', version: version + 1 }) },
        );

        const result = await api.run(['posts', command, 'p-1', '--at', '2025-03-10T09:00:00.000Z']);

        expect(api.requests[1]).toMatchObject({ method: 'PATCH', path: '/v1/posts/p-1' });
        expect(JSON.parse(api.requests[1]?.body.toString() ?? '')).toEqual({
          scheduledAt: '2025-03-10T09:00:00.000Z',
          version,
        });
        expect(result).toEqual({
          code: 0,
          stdout: 'p-1: SCHEDULED at 2025-03-10T09:00:00.000Z\n',
          stderr: '',
        });
      },
    );

    it('needs --at', async () => {
      const api = await startApi(() => ({ body: post('p-1') }));
      const result = await api.run(['posts', 'reschedule', 'p-1']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('missing --at');
    });
  });

  describe('settle', () => {
    it('marks a post published by its URL', async () => {
      const url = 'https://x.com/pulsecast/status/123';
      const api = await startApi((request) =>
        request.method === 'GET'
          ? { body: post('p-1', { status: 'UNKNOWN', version: 3 }) }
          : { body: post('p-1', { status: 'PUBLISHED', platformUrl: url, version: 4 }) },
      );

      const result = await api.run(['posts', 'settle', 'p-1', '--published', url]);

      expect(api.requests[1]).toMatchObject({ method: 'POST', path: '/v1/posts/p-1/settle' });
      expect(JSON.parse(api.requests[1]?.body.toString() ?? '')).toEqual({
        outcome: 'published',
        url,
        version: 3,
      });
      expect(result).toEqual({ code: 0, stdout: `p-1: PUBLISHED ${url}\n`, stderr: '' });
    });

    it('marks a post failed with a reason', async () => {
      const api = await startApi((request) =>
        request.method === 'GET'
          ? { body: post('p-1', { status: 'UNKNOWN', version: 3 }) }
          : { body: post('p-1', { status: 'FAILED', version: 4 }) },
      );

      const result = await api.run(['posts', 'settle', 'p-1', '--failed', 'not there']);

      expect(JSON.parse(api.requests[1]?.body.toString() ?? '')).toEqual({
        outcome: 'failed',
        reason: 'not there',
        version: 3,
      });
      expect(result.stdout).toBe('p-1: FAILED\n');
    });

    it('wants exactly one outcome', async () => {
      const api = await startApi(() => ({ body: post('p-1') }));
      const neither = await api.run(['posts', 'settle', 'p-1']);
      const both = await api.run([
        'posts',
        'settle',
        'p-1',
        '--published',
        'https://x.com/a/status/1',
        '--failed',
        'no',
      ]);
      for (const result of [neither, both]) {
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('give exactly one of --published URL or --failed REASON');
      }
      expect(api.requests).toEqual([]);
    });
  });
});
