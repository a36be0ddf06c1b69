import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MastodonSimulatorHandle, startMastodonSimulator } from '../../local/simulators/mastodon.ts';
import { createMastodonAdapter, htmlToText } from '../../shared/platforms/mastodon.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import {
  fixtureFetch,
  leakWatch,
  loadFixture,
  MemoryCredentialStore,
  noSleep,
  platformError,
} from './helpers.ts';

const SECRET_REF = 'pulsecast/mastodon-main';
const TOKEN = 'mastodon-contract-token-ZZZZ';
const CONTEXT = { idempotencyKey: 'pulsecast:post-1' };

const channel = platformChannel('mastodon', { handle: '@Gargron@mastodon.social' });

function store() {
  return new MemoryCredentialStore({ [SECRET_REF]: { accessToken: TOKEN } });
}

const instance = {
  method: 'GET',
  path: '/api/v2/instance',
  reply: loadFixture('mastodon', 'instance.200.json'),
};

describe('Mastodon adapter', () => {
  describe('against the documented answers', () => {
    it("publishes to the server named in the handle, with the post's stable Idempotency-Key", async () => {
      const { fetch, sent } = fixtureFetch([
        instance,
        { method: 'POST', path: '/api/v1/statuses', reply: loadFixture('mastodon', 'status.200.json') },
      ]);
      const adapter = createMastodonAdapter({ fetch, now: () => new Date('2019-12-05T11:35:00.000Z') });

      const ref = await adapter.publish(
        makePost({ text: 'Hello world', link: 'https://example.com' }),
        channel,
        store(),
        CONTEXT,
      );

      expect(ref).toEqual({
        platformPostId: '1',
        platformUrl: 'https://mastodon.social/@Gargron/1',
        rateLimit: { remaining: 299, resetAt: '2019-12-05T11:40:00.000Z' },
      });
      expect(sent.map((r) => r.url.href)).toEqual([
        'https://mastodon.social/api/v2/instance',
        'https://mastodon.social/api/v1/statuses',
      ]);
      expect(sent[1]?.headers.get('idempotency-key')).toBe('pulsecast:post-1');
      expect(sent[1]?.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
      expect(JSON.parse(sent[1]?.body ?? '')).toEqual({
        status: 'Hello world https://example.com',
        visibility: 'public',
      });
    });

    it("checks the post against the server's own limits before sending", async () => {
      const small = structuredClone(loadFixture('mastodon', 'instance.200.json'));
      (
        small.body as { configuration: { statuses: { max_characters: number } } }
      ).configuration.statuses.max_characters = 20;
      const { fetch, sent } = fixtureFetch([{ method: 'GET', path: '/api/v2/instance', reply: small }]);

      const error = await platformError(() =>
        createMastodonAdapter({ fetch }).publish(
          makePost({ text: 'This is longer than twenty characters' }),
          channel,
          store(),
          CONTEXT,
        ),
      );

      expect(error.kind).toBe('rejected');
      expect(error.message).toContain('of 20 characters');
      expect(sent).toHaveLength(1);
    });

    it('maps the documented errors: 401 revoked token, 422 refused, 429 with its ISO reset', async () => {
      const answer = (name: string) =>
        createMastodonAdapter({
          fetch: fixtureFetch([
            instance,
            { method: 'POST', path: '/api/v1/statuses', reply: loadFixture('mastodon', name) },
          ]).fetch,
          now: () => new Date('2024-01-16T15:59:00.000Z'),
        });

      const revoked = await platformError(() =>
        answer('unauthorized.401.json').publish(makePost(), channel, store(), CONTEXT),
      );
      const refused = await platformError(() =>
        answer('unprocessable.422.json').publish(makePost(), channel, store(), CONTEXT),
      );
      const limited = await platformError(() =>
        answer('rate-limited.429.json').publish(makePost(), channel, store(), CONTEXT),
      );

      expect(revoked).toMatchObject({
        kind: 'auth',
        details: { status: 401, platformCode: 'token-revoked' },
      });
      expect(revoked.message).toContain('The access token is invalid');
      expect(refused).toMatchObject({ kind: 'rejected', details: { status: 422 } });
      expect(refused.message).toContain("Text can't be blank");
      expect(limited).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 60 } });
    });

    it('uploads media first and waits while the server processes it (202, then 206, then 200)', async () => {
      let polls = 0;
      const { fetch, sent } = fixtureFetch([
        instance,
        { method: 'POST', path: '/api/v2/media', reply: loadFixture('mastodon', 'media.202.json') },
        {
          method: 'GET',
          path: '/api/v1/media/22348641',
          reply: () =>
            polls++ === 0
              ? { source: 'methods/media.md#get 206', status: 206 }
              : loadFixture('mastodon', 'media.200.json'),
        },
        { method: 'POST', path: '/api/v1/statuses', reply: loadFixture('mastodon', 'status.200.json') },
      ]);
      const withFile: typeof globalThis.fetch = async (input, init) =>
        String(input).endsWith('.jpg')
          ? new Response(new Uint8Array(4096), { headers: { 'content-type': 'image/jpeg' } })
          : fetch(input, init);
      const sleep = vi.fn(noSleep);

      await createMastodonAdapter({ fetch: withFile, sleep }).publish(
        makePost({ text: 'pic', media: ['https://cdn.example.com/photo.jpg'] }),
        channel,
        store(),
        CONTEXT,
      );

      expect(sent.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
        'GET /api/v2/instance',
        'POST /api/v2/media',
        'GET /api/v1/media/22348641',
        'GET /api/v1/media/22348641',
        'POST /api/v1/statuses',
      ]);
      expect((sent[1]?.form?.get('file') as File | undefined)?.type).toBe('image/jpeg');
      expect(JSON.parse(sent[4]?.body ?? '').media_ids).toEqual(['22348641']);
      expect(sleep).toHaveBeenCalledTimes(2);
    });

    it('reads favourites, reblogs and replies for many statuses at once, and a missing one as deleted', async () => {
      const { fetch, sent } = fixtureFetch([
        { method: 'GET', path: '/api/v1/statuses', reply: loadFixture('mastodon', 'statuses.200.json') },
      ]);

      const readings = await createMastodonAdapter({ fetch }).fetchMetrics(
        [
          { id: 'a', platformPostId: '1' },
          { id: 'b', platformPostId: '2' },
        ],
        channel,
        store(),
      );

      expect(readings[0]).toMatchObject({
        status: 'ok',
        metrics: { likes: 112, shares: 98, comments: 7, engagements: 217 },
      });
      expect(readings[0]?.metrics).not.toHaveProperty('impressions');
      expect(readings[1]).toMatchObject({ status: 'deleted' });
      expect(sent[0]?.url.searchParams.getAll('id[]')).toEqual(['1', '2']);
    });

    it('falls back to one status at a time on servers older than 4.3', async () => {
      const { fetch, sent } = fixtureFetch([
        { method: 'GET', path: '/api/v1/statuses', reply: loadFixture('mastodon', 'not-found.404.json') },
        { method: 'GET', path: '/api/v1/statuses/1', reply: loadFixture('mastodon', 'status.200.json') },
        { method: 'GET', path: '/api/v1/statuses/2', reply: loadFixture('mastodon', 'not-found.404.json') },
      ]);
      const adapter = createMastodonAdapter({ fetch });

      const readings = await adapter.fetchMetrics(
        [
          { id: 'a', platformPostId: '1' },
          { id: 'b', platformPostId: '2' },
        ],
        channel,
        store(),
      );
      await adapter.fetchMetrics([{ id: 'a', platformPostId: '1' }], channel, store());

      expect(readings.map((r) => r.status)).toEqual(['ok', 'deleted']);
      expect(sent.map((r) => r.url.pathname)).toEqual([
        '/api/v1/statuses',
        '/api/v1/statuses/1',
        '/api/v1/statuses/2',
        '/api/v1/statuses/1',
      ]);
    });

    it('finds a status by its text in the account statuses', async () => {
      const { fetch, sent } = fixtureFetch([
        {
          method: 'GET',
          path: '/api/v1/accounts/verify_credentials',
          reply: loadFixture('mastodon', 'verify-credentials.200.json'),
        },
        {
          method: 'GET',
          path: '/api/v1/accounts/1/statuses',
          reply: loadFixture('mastodon', 'statuses.200.json'),
        },
      ]);

      const found = await createMastodonAdapter({ fetch }).lookup?.(
        makePost({ text: 'Hello world', scheduledAt: '2016-03-16T14:40:00.000Z' }),
        channel,
        store(),
      );

      expect(found).toEqual({ platformPostId: '1', platformUrl: 'https://mastodon.social/@Gargron/1' });
      expect(sent[1]?.url.searchParams.get('exclude_reblogs')).toBe('true');
    });

    it('reads a status back to its text from the HTML Mastodon renders', () => {
      expect(
        htmlToText(
          '<p>Read <a href="https://example.com/a/very/long/path/to/a/page" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/long/path/t</span><span class="invisible">o/a/page</span></a> &amp; more</p><p>line<br />two</p>',
        ),
      ).toBe('Read https://example.com/a/very/long/path/to/a/page & more\n\nline\ntwo');
    });
  });

  describe('against the Mastodon simulator', () => {
    let now: Date;
    let sim: MastodonSimulatorHandle;
    let credentials: MemoryCredentialStore;
    const clock = () => now;
    const simChannel = () => platformChannel('mastodon', { apiBaseUrl: sim.url });
    const adapter = () => createMastodonAdapter({ now: clock, sleep: noSleep, timeoutMs: 2000 });
    /** An adapter that gives up after 300 ms, for answers the simulator holds back. */
    const impatient = () => createMastodonAdapter({ now: clock, timeoutMs: 300 });

    beforeEach(async () => {
      now = new Date('2026-12-08T09:30:00.000Z');
      sim = await startMastodonSimulator({ clock, audience: { seed: 3 } });
      credentials = new MemoryCredentialStore({
        [SECRET_REF]: { accessToken: sim.accounts[0]?.accessToken ?? '' },
      });
    });

    afterEach(async () => {
      await sim.stop();
      vi.restoreAllMocks();
    });

    it('publishes text, a link and media, and reads growing metrics back', async () => {
      const post = makePost({
        text: 'Our #fediverse launch\n\nDetails inside',
        link: 'https://example.com/launch',
        media: [sim.mediaUrl('a.png'), sim.mediaUrl('b.png')],
        scheduledAt: now.toISOString(),
      });

      const ref = await adapter().publish(post, simChannel(), credentials, CONTEXT);
      now = new Date(now.getTime() + 6 * 3_600_000);
      const [early] = await adapter().fetchMetrics(
        [{ id: post.id, platformPostId: ref.platformPostId }],
        simChannel(),
        credentials,
      );
      now = new Date(now.getTime() + 48 * 3_600_000);
      const [later] = await adapter().fetchMetrics(
        [{ id: post.id, platformPostId: ref.platformPostId }],
        simChannel(),
        credentials,
      );

      expect(ref.platformUrl).toBe(`${sim.url}/@pulsecast/${ref.platformPostId}`);
      expect(sim.posts[0]?.media.map((m) => m.kind)).toEqual(['image', 'image']);
      expect(later?.metrics.likes).toBeGreaterThanOrEqual(early?.metrics.likes ?? 0);
      expect(later?.metrics.engagements).toBeGreaterThan(0);
      expect(later?.metrics).not.toHaveProperty('impressions');
    });

    it('publishes a video once the server has processed it', async () => {
      await adapter().publish(
        makePost({ text: 'clip', media: [sim.mediaUrl('clip.mp4')] }),
        simChannel(),
        credentials,
        CONTEXT,
      );

      expect(sim.posts[0]?.media.map((m) => m.kind)).toEqual(['video']);
      expect(sim.requests.filter((r) => r.path.startsWith('/api/v1/media/'))).toHaveLength(2);
    });

    it('sends the same Idempotency-Key when a post is retried, so the server keeps one status', async () => {
      const post = makePost({ id: 'retried', text: 'Once only', scheduledAt: now.toISOString() });
      const context = { idempotencyKey: 'pulsecast:retried' };
      sim.setFaults({ timeoutAfterAccept: { count: 1, path: '/api/v1/statuses' } });

      const lost = await platformError(() => impatient().publish(post, simChannel(), credentials, context));
      const retried = await adapter().publish(post, simChannel(), credentials, context);

      const creates = sim.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/statuses');
      expect(lost.kind).toBe('ambiguous');
      expect(creates.map((r) => r.headers['idempotency-key'])).toEqual([
        'pulsecast:retried',
        'pulsecast:retried',
      ]);
      expect(sim.posts).toHaveLength(1);
      expect(retried.platformPostId).toBe(sim.posts[0]?.id);
    });

    it("refuses text over the server's limit, read from /api/v2/instance", async () => {
      await sim.stop();
      sim = await startMastodonSimulator({ clock, maxCharacters: 30 });
      credentials = new MemoryCredentialStore({
        [SECRET_REF]: { accessToken: sim.accounts[0]?.accessToken ?? '' },
      });

      const error = await platformError(() =>
        adapter().publish(
          makePost({ text: 'Thirty-one characters long....' + '!' }),
          simChannel(),
          credentials,
          CONTEXT,
        ),
      );

      expect(error).toMatchObject({ kind: 'rejected', details: { platformCode: 'invalid-post' } });
      expect(sim.requests.map((r) => r.path)).toEqual(['/api/v2/instance']);
    });

    it('needs the channel reconnected when the token is revoked', async () => {
      sim.revokeToken(sim.accounts[0]?.accessToken ?? '');

      const error = await platformError(() =>
        adapter().publish(makePost(), simChannel(), credentials, CONTEXT),
      );

      expect(error).toMatchObject({ kind: 'auth', details: { status: 401 } });
      expect(sim.posts).toHaveLength(0);
    });

    it('checks the credentials ahead of posting', async () => {
      const healthy = await adapter().checkCredentials(simChannel(), credentials);
      sim.revokeToken(sim.accounts[0]?.accessToken ?? '');
      const revoked = await adapter().checkCredentials(simChannel(), credentials);

      expect(healthy.status).toBe('ok');
      expect(revoked).toMatchObject({ status: 'invalid', message: expect.stringContaining('revoked') });
    });

    it('moves a rate-limited post and reads the ISO reset', async () => {
      sim.setFaults({ rateLimit: { count: 1, resetSeconds: 90, path: '/api/v1/statuses' } });

      const error = await platformError(() =>
        adapter().publish(makePost(), simChannel(), credentials, CONTEXT),
      );

      expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 90 } });
    });

    it('finds a post whose answer was lost through the account statuses', async () => {
      const post = makePost({ text: 'Lost answer https://example.com/x', scheduledAt: now.toISOString() });
      sim.setFaults({ serverError: { count: 1, path: '/api/v1/statuses' } });
      await platformError(() => adapter().publish(post, simChannel(), credentials, CONTEXT));
      expect(await adapter().lookup?.(post, simChannel(), credentials)).toBeUndefined();

      sim.setFaults({ timeoutAfterAccept: { count: 1, path: '/api/v1/statuses' } });
      await platformError(() => impatient().publish(post, simChannel(), credentials, CONTEXT));

      expect((await adapter().lookup?.(post, simChannel(), credentials))?.platformPostId).toBe(
        sim.posts[0]?.id,
      );
    });

    it('reads metrics one by one from a server without the multi-status endpoint, and reports deletions', async () => {
      await sim.stop();
      sim = await startMastodonSimulator({ clock, multiStatusEndpoint: false });
      credentials = new MemoryCredentialStore({
        [SECRET_REF]: { accessToken: sim.accounts[0]?.accessToken ?? '' },
      });
      const a = await adapter().publish(makePost({ text: 'a' }), simChannel(), credentials, CONTEXT);
      const b = await adapter().publish(makePost({ text: 'b' }), simChannel(), credentials, {
        idempotencyKey: 'b',
      });
      sim.deletePost(b.platformPostId);

      const readings = await adapter().fetchMetrics(
        [
          { id: 'a', platformPostId: a.platformPostId },
          { id: 'b', platformPostId: b.platformPostId },
        ],
        simChannel(),
        credentials,
      );

      expect(readings.map((r) => r.status)).toEqual(['ok', 'deleted']);
    });

    it('never lets the access token appear in errors, results, logs or the request log', async () => {
      const token = sim.accounts[0]?.accessToken ?? '';
      const { capture, haystack } = leakWatch();

      await capture(adapter().publish(makePost({ text: 'fine' }), simChannel(), credentials, CONTEXT));
      sim.setFaults({ serverError: { count: 1 } });
      await capture(
        adapter().publish(makePost({ text: 'boom' }), simChannel(), credentials, { idempotencyKey: 'k2' }),
      );
      sim.revokeToken(token);
      await capture(
        adapter().publish(makePost({ text: 'revoked' }), simChannel(), credentials, { idempotencyKey: 'k3' }),
      );
      await capture(adapter().fetchMetrics([{ id: 'x', platformPostId: '1' }], simChannel(), credentials));

      const text = haystack(sim.requests);
      expect(text).not.toContain(token);
      expect(text).toContain('Bearer [redacted]');
    });
  });
});
