import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startXSimulator, type XSimulatorHandle } from '../../local/simulators/x.ts';
import { createXAdapter } from '../../shared/platforms/x.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import {
  type FixtureRoute,
  fixtureFetch,
  leakWatch,
  loadFixture,
  MemoryCredentialStore,
  noSleep,
  platformError,
  transportError,
} from './helpers.ts';

const SECRET_REF = 'pulsecast/x-main';
const ACCESS = 'x-contract-access-token-AAAA';
const REFRESH = 'x-contract-refresh-token-BBBB';
const CONTEXT = { idempotencyKey: 'post-1:attempt-key' };

/** 2024-01-16T15:55:00Z: five minutes before the reset in the documented headers (1705420800). */
const DOC_NOW = new Date('2024-01-16T15:55:00.000Z');

function store(extra: Record<string, string> = {}) {
  return new MemoryCredentialStore({ [SECRET_REF]: { accessToken: ACCESS, ...extra } });
}

const channel = platformChannel('x', { apiBaseUrl: 'https://api.x.test' });

/** An adapter whose `POST /2/tweets` gets `reply`. */
function tweetsAnswering(reply: FixtureRoute['reply']) {
  return createXAdapter({ fetch: fixtureFetch([{ method: 'POST', path: '/2/tweets', reply }]).fetch });
}

describe('X adapter', () => {
  describe('against the documented answers', () => {
    it('publishes with POST /2/tweets, the bearer token and the text with its link appended', async () => {
      const { fetch, sent } = fixtureFetch([
        { method: 'POST', path: '/2/tweets', reply: loadFixture('x', 'create-post.201.json') },
      ]);
      const adapter = createXAdapter({ fetch, now: () => DOC_NOW });

      const ref = await adapter.publish(
        makePost({ text: 'Hello from the X API!', link: 'https://example.com/launch' }),
        channel,
        store(),
        CONTEXT,
      );

      expect(ref).toEqual({
        platformPostId: '1445880548472328192',
        platformUrl: 'https://x.com/pulsecast/status/1445880548472328192',
        rateLimit: { remaining: 847, resetAt: '2024-01-16T16:00:00.000Z' },
      });
      expect(sent).toHaveLength(1);
      expect(sent[0]?.url.href).toBe('https://api.x.test/2/tweets');
      expect(sent[0]?.headers.get('authorization')).toBe(`Bearer ${ACCESS}`);
      expect(sent[0]?.headers.get('content-type')).toBe('application/json');
      expect(JSON.parse(sent[0]?.body ?? '')).toEqual({
        text: 'Hello from the X API! https://example.com/launch',
      });
    });

    it('refuses a post over 280 weighted characters without calling X', async () => {
      const { fetch, sent } = fixtureFetch([]);
      const adapter = createXAdapter({ fetch });

      const error = await platformError(() =>
        adapter.publish(makePost({ text: '😀'.repeat(141) }), channel, store(), CONTEXT),
      );

      expect(error.kind).toBe('rejected');
      expect(error.message).toMatch(/282 of 280/);
      expect(sent).toHaveLength(0);
    });

    it('turns a 429 into rate-limited, waiting until x-rate-limit-reset', async () => {
      const { fetch } = fixtureFetch([
        { method: 'POST', path: '/2/tweets', reply: loadFixture('x', 'rate-limited.429.json') },
      ]);
      const adapter = createXAdapter({ fetch, now: () => DOC_NOW });

      const error = await platformError(() => adapter.publish(makePost(), channel, store(), CONTEXT));

      expect(error.kind).toBe('rate-limited');
      expect(error.details).toMatchObject({ status: 429, retryAfterSeconds: 300 });
      expect(error.message).toContain('Rate limit exceeded');
    });

    it('reads a 5xx after sending as ambiguous and a duplicate as rejected', async () => {
      const unavailable = tweetsAnswering(loadFixture('x', 'service-unavailable.503.json'));
      const duplicate = tweetsAnswering(loadFixture('x', 'duplicate.403.json'));

      expect(
        (await platformError(() => unavailable.publish(makePost(), channel, store(), CONTEXT))).kind,
      ).toBe('ambiguous');
      const refused = await platformError(() => duplicate.publish(makePost(), channel, store(), CONTEXT));
      expect(refused.kind).toBe('rejected');
      expect(refused.message).toContain('duplicate content');
    });

    it('tells a refused connection (nothing sent) from a reset or a timeout (maybe sent)', async () => {
      const refused = tweetsAnswering(() => transportError('ECONNREFUSED'));
      const reset = tweetsAnswering(() => transportError('ECONNRESET'));
      const hanging = createXAdapter({
        timeoutMs: 50,
        fetch: ((_input: unknown, init?: RequestInit) =>
          new Promise((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          })) as typeof fetch,
      });

      expect((await platformError(() => refused.publish(makePost(), channel, store(), CONTEXT))).kind).toBe(
        'unavailable',
      );
      expect((await platformError(() => reset.publish(makePost(), channel, store(), CONTEXT))).kind).toBe(
        'ambiguous',
      );
      const timedOut = await platformError(() => hanging.publish(makePost(), channel, store(), CONTEXT));
      expect(timedOut.kind).toBe('ambiguous');
      expect(timedOut.message).toMatch(/did not answer within 0\.1s|did not answer within 0s/);
    });

    it('refreshes an expired token with the refresh_token grant, stores the rotated pair and retries once', async () => {
      let tweets = 0;
      const { fetch, sent } = fixtureFetch([
        { method: 'POST', path: '/2/oauth2/token', reply: loadFixture('x', 'oauth2-token.200.json') },
        {
          method: 'POST',
          path: '/2/tweets',
          reply: () =>
            tweets++ === 0
              ? loadFixture('x', 'unauthorized.401.json')
              : loadFixture('x', 'create-post.201.json'),
        },
      ]);
      const credentials = store({ refreshToken: REFRESH, clientId: 'rG9n6402A3dbUJKzXTNX4oWHJ' });
      const adapter = createXAdapter({ fetch, now: () => DOC_NOW });

      const ref = await adapter.publish(makePost(), channel, credentials, CONTEXT);

      expect(ref.platformPostId).toBe('1445880548472328192');
      expect(sent.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
        'POST /2/tweets',
        'POST /2/oauth2/token',
        'POST /2/tweets',
      ]);
      const refresh = sent[1];
      expect(refresh?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(refresh?.body))).toEqual({
        refresh_token: REFRESH,
        grant_type: 'refresh_token',
        client_id: 'rG9n6402A3dbUJKzXTNX4oWHJ',
      });
      const token = loadFixture('x', 'oauth2-token.200.json').body as {
        access_token: string;
        refresh_token: string;
      };
      expect(sent[2]?.headers.get('authorization')).toBe(`Bearer ${token.access_token}`);
      expect(credentials.puts).toHaveLength(1);
      expect(credentials.peek(SECRET_REF)).toEqual({
        accessToken: token.access_token,
        refreshToken: token.refresh_token,
        clientId: 'rG9n6402A3dbUJKzXTNX4oWHJ',
        expiresAt: '2024-01-16T17:55:00.000Z',
      });
    });

    it('refreshes before sending when expiresAt has passed, as a confidential client with Basic auth', async () => {
      const { fetch, sent } = fixtureFetch([
        { method: 'POST', path: '/2/oauth2/token', reply: loadFixture('x', 'oauth2-token.200.json') },
        { method: 'POST', path: '/2/tweets', reply: loadFixture('x', 'create-post.201.json') },
      ]);
      const credentials = store({
        refreshToken: REFRESH,
        clientId: 'client-1',
        clientSecret: 'client-secret-CCCC',
        expiresAt: '2024-01-16T15:00:00.000Z',
      });

      await createXAdapter({ fetch, now: () => DOC_NOW }).publish(makePost(), channel, credentials, CONTEXT);

      expect(sent.map((r) => r.url.pathname)).toEqual(['/2/oauth2/token', '/2/tweets']);
      expect(sent[0]?.headers.get('authorization')).toBe(
        `Basic ${Buffer.from('client-1:client-secret-CCCC').toString('base64')}`,
      );
    });

    it('needs the channel reconnected when the token expired and cannot be refreshed', async () => {
      const noRefresh = tweetsAnswering(loadFixture('x', 'unauthorized.401.json'));
      const refreshRefused = createXAdapter({
        fetch: fixtureFetch([
          {
            method: 'POST',
            path: '/2/oauth2/token',
            reply: {
              source: 'RFC 6749 5.2 as X answers a spent refresh token',
              status: 400,
              body: {
                error: 'invalid_request',
                error_description: 'Value passed for the token was invalid.',
              },
            },
          },
        ]).fetch,
        now: () => DOC_NOW,
      });

      const first = await platformError(() => noRefresh.publish(makePost(), channel, store(), CONTEXT));
      const second = await platformError(() =>
        refreshRefused.publish(
          makePost(),
          channel,
          store({ refreshToken: REFRESH, clientId: 'c', expiresAt: '2024-01-01T00:00:00.000Z' }),
          CONTEXT,
        ),
      );

      expect(first).toMatchObject({ kind: 'auth', details: { status: 401, platformCode: 'token-refused' } });
      expect(second).toMatchObject({ kind: 'auth', details: { platformCode: 'refresh-failed' } });
      expect(second.message).toContain('Value passed for the token was invalid');
    });

    it('treats a lost answer while refreshing as "not sent": the post itself was refused', async () => {
      const { fetch } = fixtureFetch([
        { method: 'POST', path: '/2/tweets', reply: loadFixture('x', 'unauthorized.401.json') },
        { method: 'POST', path: '/2/oauth2/token', reply: () => transportError('ECONNRESET') },
      ]);

      const error = await platformError(() =>
        createXAdapter({ fetch }).publish(
          makePost(),
          channel,
          store({ refreshToken: REFRESH, clientId: 'c' }),
          CONTEXT,
        ),
      );

      expect(error.kind).toBe('unavailable');
      expect(error.message).toContain('not published');
    });

    it('maps the documented metrics onto Pulsecast names and reports a missing post as deleted', async () => {
      const { fetch, sent } = fixtureFetch([
        { method: 'GET', path: '/2/tweets', reply: loadFixture('x', 'lookup-posts.200.json') },
      ]);
      const adapter = createXAdapter({ fetch, now: () => DOC_NOW });

      const readings = await adapter.fetchMetrics(
        [
          { id: 'p1', platformPostId: '1234567890', publishedAt: '2024-01-15T10:00:00.000Z' },
          { id: 'p2', platformPostId: '456', publishedAt: '2024-01-15T11:00:00.000Z' },
        ],
        channel,
        store(),
      );

      expect(readings[0]).toMatchObject({
        postId: 'p1',
        status: 'ok',
        metrics: {
          impressions: 5432,
          likes: 234,
          comments: 12,
          shares: 55,
          saves: 8,
          clicks: 89,
          engagements: 345,
        },
      });
      expect(readings[0]?.metrics).not.toHaveProperty('reach');
      expect(readings[0]?.raw).toMatchObject({ tweet: { id: '1234567890' } });
      expect(readings[1]).toMatchObject({ postId: 'p2', status: 'deleted', metrics: {} });
      const query = sent[0]?.url.searchParams;
      expect(query?.get('ids')).toBe('1234567890,456');
      expect(query?.get('tweet.fields')).toContain('non_public_metrics');
      expect(query?.get('expansions')).toBe('attachments.media_keys');
    });

    it('asks for link clicks only for posts younger than 30 days, in batches of 100', async () => {
      const { fetch, sent } = fixtureFetch([
        { method: 'GET', path: '/2/tweets', reply: { source: 'empty', status: 200, body: {} } },
      ]);
      const adapter = createXAdapter({ fetch, now: () => DOC_NOW });
      const recent = Array.from({ length: 150 }, (_, i) => ({
        id: `r${i}`,
        platformPostId: String(1000 + i),
        publishedAt: '2024-01-10T00:00:00.000Z',
      }));
      const old = [{ id: 'o1', platformPostId: '9', publishedAt: '2023-11-01T00:00:00.000Z' }];

      const readings = await adapter.fetchMetrics([...recent, ...old], channel, store());

      expect(readings).toHaveLength(151);
      expect(sent.map((r) => r.url.searchParams.get('ids')?.split(',').length)).toEqual([100, 50, 1]);
      expect(sent[0]?.url.searchParams.get('tweet.fields')).toContain('non_public_metrics');
      expect(sent[2]?.url.searchParams.get('tweet.fields')).toBe('public_metrics,created_at');
    });

    it('counts video views from the expanded media', async () => {
      const { fetch } = fixtureFetch([
        { method: 'GET', path: '/2/tweets', reply: loadFixture('x', 'lookup-video.200.json') },
      ]);

      const [reading] = await createXAdapter({ fetch, now: () => DOC_NOW }).fetchMetrics(
        [{ id: 'v', platformPostId: '1234567890', publishedAt: '2024-01-15T00:00:00.000Z' }],
        channel,
        store(),
      );

      expect(reading?.metrics).toEqual({ videoViews: 12543 });
    });

    it('finds a post we may have published in the account timeline, despite t.co links', async () => {
      const timeline = loadFixture('x', 'user-tweets.200.json');
      const { fetch, sent } = fixtureFetch([
        { method: 'GET', path: '/2/users/me', reply: loadFixture('x', 'users-me.200.json') },
        { method: 'GET', path: /^\/2\/users\/\d+\/tweets$/, reply: timeline },
      ]);
      const adapter = createXAdapter({ fetch, now: () => DOC_NOW });

      const found = await adapter.lookup?.(
        makePost({
          text: 'Join us tomorrow for a discussion about bots...',
          scheduledAt: '2024-01-16T15:50:00.000Z',
        }),
        channel,
        store(),
      );
      const missing = await adapter.lookup?.(
        makePost({ text: 'Never posted', scheduledAt: '2024-01-16T15:50:00.000Z' }),
        channel,
        store(),
      );

      expect(found).toEqual({
        platformPostId: '1524468552404668416',
        platformUrl: 'https://x.com/pulsecast/status/1524468552404668416',
      });
      expect(missing).toBeUndefined();
      expect(sent[1]?.url.pathname).toBe('/2/users/2244994945/tweets');
      expect(sent[1]?.url.searchParams.get('start_time')).toBe('2024-01-16T15:35:00Z');
    });

    it('uploads a video in chunks, waits for processing, then attaches it', async () => {
      const video = new Uint8Array(5 * 1024 * 1024).fill(7);
      const { fetch, sent } = fixtureFetch([
        { method: 'GET', path: '/clip.mp4', reply: { source: 'media', status: 200 } },
        {
          method: 'POST',
          path: '/2/media/upload/initialize',
          reply: loadFixture('x', 'media-initialize.200.json'),
        },
        { method: 'POST', path: /\/append$/, reply: { source: 'append', status: 200, body: {} } },
        { method: 'POST', path: /\/finalize$/, reply: loadFixture('x', 'media-finalize.200.json') },
        { method: 'GET', path: '/2/media/upload', reply: loadFixture('x', 'media-status.200.json') },
        { method: 'POST', path: '/2/tweets', reply: loadFixture('x', 'create-post.201.json') },
      ]);
      const withVideo: typeof fetch = async (input, init) =>
        String(input).endsWith('/clip.mp4')
          ? new Response(video, { status: 200, headers: { 'content-type': 'video/mp4' } })
          : fetch(input, init);
      const sleep = vi.fn(noSleep);

      await createXAdapter({ fetch: withVideo, sleep }).publish(
        makePost({ text: 'Watch', media: ['https://cdn.example.com/clip.mp4'] }),
        channel,
        store(),
        CONTEXT,
      );

      expect(sent.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
        'POST /2/media/upload/initialize',
        'POST /2/media/upload/1880028106020515840/append',
        'POST /2/media/upload/1880028106020515840/append',
        'POST /2/media/upload/1880028106020515840/finalize',
        'GET /2/media/upload',
        'POST /2/tweets',
      ]);
      expect(JSON.parse(sent[0]?.body ?? '')).toEqual({
        media_type: 'video/mp4',
        total_bytes: video.length,
        media_category: 'tweet_video',
      });
      expect(sent[1]?.form?.get('segment_index')).toBe('0');
      expect(sent[2]?.form?.get('segment_index')).toBe('1');
      expect(sent[4]?.url.searchParams.get('command')).toBe('STATUS');
      expect(sleep).toHaveBeenCalledWith(1000);
      expect(JSON.parse(sent[5]?.body ?? '')).toEqual({
        text: 'Watch',
        media: { media_ids: ['1880028106020515840'] },
      });
    });
  });

  describe('against the X simulator', () => {
    let now: Date;
    let sim: XSimulatorHandle;
    let credentials: MemoryCredentialStore;
    const clock = () => now;
    const simChannel = () => platformChannel('x', { apiBaseUrl: sim.url });
    const adapter = () => createXAdapter({ now: clock, sleep: noSleep, timeoutMs: 2000 });

    beforeEach(async () => {
      now = new Date('2026-12-08T09:30:00.000Z');
      sim = await startXSimulator({ clock, audience: { seed: 7 } });
      const account = sim.accounts[0];
      credentials = new MemoryCredentialStore({
        [SECRET_REF]: {
          accessToken: account?.accessToken ?? '',
          refreshToken: account?.refreshToken ?? '',
          clientId: account?.clientId ?? '',
        },
      });
    });

    afterEach(async () => {
      await sim.stop();
      vi.restoreAllMocks();
    });

    it('publishes text, a link and an image, and reads growing metrics back', async () => {
      const post = makePost({
        id: 'launch',
        text: 'Launch day #product',
        link: 'https://shop.example.com/launch?utm_content=launch',
        media: [sim.mediaUrl('hero.png')],
        scheduledAt: now.toISOString(),
      });

      const ref = await adapter().publish(post, simChannel(), credentials, CONTEXT);
      now = new Date(now.getTime() + 2 * 3_600_000);
      const [early] = await adapter().fetchMetrics(
        [{ id: post.id, platformPostId: ref.platformPostId, publishedAt: post.scheduledAt }],
        simChannel(),
        credentials,
      );
      now = new Date(now.getTime() + 48 * 3_600_000);
      const [later] = await adapter().fetchMetrics(
        [{ id: post.id, platformPostId: ref.platformPostId, publishedAt: post.scheduledAt }],
        simChannel(),
        credentials,
      );

      expect(sim.posts).toHaveLength(1);
      expect(sim.posts[0]).toMatchObject({
        text: 'Launch day #product https://shop.example.com/launch?utm_content=launch',
      });
      expect(sim.posts[0]?.media.map((m) => m.kind)).toEqual(['image']);
      expect(ref.platformUrl).toBe(`https://x.com/pulsecast/status/${ref.platformPostId}`);
      expect(early?.status).toBe('ok');
      expect(later?.metrics.impressions).toBeGreaterThan(early?.metrics.impressions ?? 0);
      expect(later?.metrics.likes).toBeGreaterThan(0);
      expect(later?.metrics.clicks).toBeGreaterThan(0);
      expect(later?.metrics).toEqual(
        expect.objectContaining({
          impressions: expect.any(Number),
          shares: expect.any(Number),
          engagements: expect.any(Number),
        }),
      );
    });

    it('publishes a video through the chunked upload', async () => {
      const ref = await adapter().publish(
        makePost({ text: 'A short film', media: [sim.mediaUrl('film.mp4', { bytes: 9 * 1024 * 1024 })] }),
        simChannel(),
        credentials,
        CONTEXT,
      );

      expect(ref.platformPostId).toBe(sim.posts[0]?.id);
      expect(sim.posts[0]?.media).toEqual([
        expect.objectContaining({ kind: 'video', bytes: 9 * 1024 * 1024 }),
      ]);
      expect(sim.requests.filter((r) => r.path.endsWith('/append'))).toHaveLength(3);
    });

    it('moves a rate-limited post without publishing it', async () => {
      sim.setFaults({ rateLimit: { count: 1, resetSeconds: 120, path: '/2/tweets' } });

      const error = await platformError(() =>
        adapter().publish(makePost(), simChannel(), credentials, CONTEXT),
      );

      expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 120 } });
      expect(sim.posts).toHaveLength(0);
    });

    it('reports a lost answer as ambiguous, and lookup then finds the post that went out', async () => {
      sim.setFaults({ timeoutAfterAccept: { count: 1, path: '/2/tweets' } });
      const post = makePost({
        text: 'Did this go out? https://example.com/a-very-long-link/that-x-will-shorten',
        scheduledAt: now.toISOString(),
      });

      const error = await platformError(() =>
        createXAdapter({ now: clock, timeoutMs: 300 }).publish(post, simChannel(), credentials, CONTEXT),
      );
      const found = await adapter().lookup?.(post, simChannel(), credentials);

      expect(error.kind).toBe('ambiguous');
      expect(sim.posts).toHaveLength(1);
      expect(found?.platformPostId).toBe(sim.posts[0]?.id);
    });

    it('reports a 5xx as ambiguous, and lookup then says the post is not there', async () => {
      sim.setFaults({ serverError: { count: 1, path: '/2/tweets' } });
      const post = makePost({ text: 'Maybe', scheduledAt: now.toISOString() });

      const error = await platformError(() => adapter().publish(post, simChannel(), credentials, CONTEXT));

      expect(error.kind).toBe('ambiguous');
      expect(await adapter().lookup?.(post, simChannel(), credentials)).toBeUndefined();
    });

    it('recovers from expired tokens by refreshing, and stores the rotated tokens', async () => {
      sim.setFaults({ expireTokens: true });

      const ref = await adapter().publish(makePost(), simChannel(), credentials, CONTEXT);

      expect(ref.platformPostId).toBe(sim.posts[0]?.id);
      expect(credentials.puts).toHaveLength(1);
      const stored = credentials.peek(SECRET_REF);
      expect(stored?.accessToken).not.toBe(sim.accounts[0]?.accessToken);
      expect(stored?.refreshToken).not.toBe(sim.accounts[0]?.refreshToken);
      expect(stored?.expiresAt).toBe(new Date(now.getTime() + 7200_000).toISOString());
    });

    it('refreshes on its own once two hours have passed', async () => {
      now = new Date(now.getTime() + 3 * 3_600_000);

      await adapter().publish(makePost(), simChannel(), credentials, CONTEXT);

      expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /2/tweets',
        'POST /2/oauth2/token',
        'POST /2/tweets',
      ]);
    });

    it('checks the credentials ahead of posting: working, refreshed, expiring, expired or invalid', async () => {
      const healthy = await adapter().checkCredentials(simChannel(), credentials);
      sim.setFaults({ expireTokens: true });
      const refreshed = await adapter().checkCredentials(simChannel(), credentials);
      const current = credentials.peek(SECRET_REF);
      const soon = new Date(now.getTime() + 10 * 60_000).toISOString();
      const past = new Date(now.getTime() - 60_000).toISOString();
      const unrefreshable = (expiresAt: string) =>
        new MemoryCredentialStore({ [SECRET_REF]: { accessToken: current?.accessToken ?? '', expiresAt } });

      const expiring = await adapter().checkCredentials(simChannel(), unrefreshable(soon));
      const expired = await adapter().checkCredentials(simChannel(), unrefreshable(past));
      const invalid = await adapter().checkCredentials(
        simChannel(),
        new MemoryCredentialStore({ [SECRET_REF]: { accessToken: 'not-a-real-token-at-all' } }),
      );

      expect([healthy.status, refreshed.status, expiring.status, expired.status, invalid.status]).toEqual([
        'ok',
        'refreshed',
        'expiring',
        'expired',
        'invalid',
      ]);
      expect(expiring.message).toContain('offline.access');
      expect(refreshed.expiresAt).toBe(new Date(now.getTime() + 7200_000).toISOString());
    });

    it('says a deleted post is deleted', async () => {
      const ref = await adapter().publish(makePost(), simChannel(), credentials, CONTEXT);
      sim.deletePost(ref.platformPostId);

      const [reading] = await adapter().fetchMetrics(
        [{ id: 'post-1', platformPostId: ref.platformPostId, publishedAt: now.toISOString() }],
        simChannel(),
        credentials,
      );

      expect(reading?.status).toBe('deleted');
    });

    it('never lets a credential appear in errors, results, logs or the simulator request log', async () => {
      const secrets = [sim.accounts[0]?.accessToken ?? '', sim.accounts[0]?.refreshToken ?? ''];
      const { capture, haystack } = leakWatch();

      sim.setFaults({ serverError: { count: 1 } });
      await capture(adapter().publish(makePost(), simChannel(), credentials, CONTEXT));
      sim.setFaults({ rateLimit: { count: 1, resetSeconds: 5 } });
      await capture(adapter().publish(makePost(), simChannel(), credentials, CONTEXT));
      sim.setFaults({ expireTokens: true });
      await capture(
        adapter().publish(makePost({ text: 'after refresh' }), simChannel(), credentials, CONTEXT),
      );
      secrets.push(
        credentials.peek(SECRET_REF)?.accessToken ?? '',
        credentials.peek(SECRET_REF)?.refreshToken ?? '',
      );
      sim.setFaults({ expireTokens: true });
      await capture(
        adapter().publish(
          makePost({ text: 'no refresh' }),
          simChannel(),
          new MemoryCredentialStore({ [SECRET_REF]: { accessToken: secrets[2] ?? '' } }),
          CONTEXT,
        ),
      );
      await capture(
        adapter().fetchMetrics(
          [{ id: 'x', platformPostId: '1', publishedAt: now.toISOString() }],
          simChannel(),
          credentials,
        ),
      );

      const text = haystack(sim.requests);
      expect(secrets.every((s) => s.length > 10)).toBe(true);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).toContain('Bearer [redacted]');
    });
  });
});
