import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BlueskySimulatorHandle, startBlueskySimulator } from '../../local/simulators/bluesky.ts';
import { createBlueskyAdapter, richTextFacets } from '../../shared/platforms/bluesky.ts';
import { platformPostIdFromUrl } from '../../shared/platforms/post-url.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import {
  type FixtureRoute,
  fixtureFetch,
  leakWatch,
  loadFixture,
  MemoryCredentialStore,
  noSleep,
  platformError,
} from './helpers.ts';

const SECRET_REF = 'pulsecast/bsky-main';
const APP_PASSWORD = 'abcd-efgh-ijkl-mnop';
const CONTEXT = { idempotencyKey: 'post-1' };
/** One hour before the documented access token's exp (2024-01-16T17:00:00Z). */
const DOC_NOW = new Date('2024-01-16T16:00:00.000Z');

const channel = platformChannel('bluesky', { handle: '@atproto.com', apiBaseUrl: 'https://pds.bsky.test' });

function store(extra: Record<string, string> = {}) {
  return new MemoryCredentialStore({
    [SECRET_REF]: { identifier: 'atproto.com', appPassword: APP_PASSWORD, ...extra },
  });
}

const session = loadFixture('bluesky', 'create-session.200.json');
const sessionBody = session.body as { accessJwt: string; refreshJwt: string; did: string };

/**
 * A fetch that signs in (the documented session), then answers each XRPC call with its reply: a
 * recorded fixture named by its file, or any other answer.
 */
function signedInFetch(...calls: [method: string, nsid: string, reply: string | FixtureRoute['reply']][]) {
  return fixtureFetch([
    { method: 'POST', path: '/xrpc/com.atproto.server.createSession', reply: session },
    ...calls.map(([method, nsid, reply]) => ({
      method,
      path: `/xrpc/${nsid}`,
      reply: typeof reply === 'string' ? loadFixture('bluesky', reply) : reply,
    })),
  ]);
}

describe('richTextFacets', () => {
  it('marks links and hashtags at UTF-8 byte offsets, end exclusive', () => {
    // The docs' example: the emoji family before the URL is many bytes but few characters.
    const text =
      '✨ example mentioning @atproto.com to share the URL 👨‍❤️‍👨 https://en.wikipedia.org/wiki/CBOR.';

    const facets = richTextFacets(text);

    // The mention is not a link (mentions need the handle resolved to a DID: left as text).
    expect(facets).toEqual([
      {
        index: { byteStart: 74, byteEnd: 108 },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://en.wikipedia.org/wiki/CBOR' }],
      },
    ]);
    expect(Buffer.from(text).subarray(74, 108).toString()).toBe('https://en.wikipedia.org/wiki/CBOR');
  });

  it('tags hashtags, and gives bare domains a scheme', () => {
    const facets = richTextFacets('Grüße #Sommer bei pulsecast.com');

    expect(facets).toEqual([
      {
        index: { byteStart: 8, byteEnd: 15 },
        features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'Sommer' }],
      },
      {
        index: { byteStart: 20, byteEnd: 33 },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://pulsecast.com' }],
      },
    ]);
  });
});

describe('Bluesky adapter', () => {
  describe('against the documented answers', () => {
    it('signs in with the app password, keeps the session in the secret and creates a post record', async () => {
      const { fetch, sent } = signedInFetch([
        'POST',
        'com.atproto.repo.createRecord',
        'create-record.200.json',
      ]);
      const credentials = store();
      const adapter = createBlueskyAdapter({ fetch, now: () => DOC_NOW });

      const ref = await adapter.publish(
        makePost({ text: 'Hello World!', link: 'https://example.com' }),
        channel,
        credentials,
        CONTEXT,
      );

      expect(ref).toEqual({
        platformPostId: 'at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k4duaz5vfs2b',
        platformUrl: 'https://bsky.app/profile/atproto.com/post/3k4duaz5vfs2b',
        rateLimit: { remaining: 4997, resetAt: '2024-01-16T16:00:00.000Z' },
      });
      expect(JSON.parse(sent[0]?.body ?? '')).toEqual({ identifier: 'atproto.com', password: APP_PASSWORD });
      expect(sent[1]?.headers.get('authorization')).toBe(`Bearer ${sessionBody.accessJwt}`);
      expect(JSON.parse(sent[1]?.body ?? '')).toEqual({
        repo: sessionBody.did,
        collection: 'app.bsky.feed.post',
        record: {
          $type: 'app.bsky.feed.post',
          text: 'Hello World! https://example.com',
          createdAt: DOC_NOW.toISOString(),
          facets: [
            {
              index: { byteStart: 13, byteEnd: 32 },
              features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com' }],
            },
          ],
        },
      });
      expect(credentials.peek(SECRET_REF)).toMatchObject({
        identifier: 'atproto.com',
        appPassword: APP_PASSWORD,
        accessJwt: sessionBody.accessJwt,
        refreshJwt: sessionBody.refreshJwt,
        did: sessionBody.did,
      });
    });

    it('reuses a stored session instead of signing in again', async () => {
      const { fetch, sent } = fixtureFetch([
        {
          method: 'POST',
          path: '/xrpc/com.atproto.repo.createRecord',
          reply: loadFixture('bluesky', 'create-record.200.json'),
        },
      ]);
      const credentials = store({ ...(session.body as Record<string, string>), emailConfirmed: 'true' });

      await createBlueskyAdapter({ fetch, now: () => DOC_NOW }).publish(
        makePost(),
        channel,
        credentials,
        CONTEXT,
      );

      expect(sent.map((r) => r.url.pathname)).toEqual(['/xrpc/com.atproto.repo.createRecord']);
    });

    it('refreshes the session when Bluesky says the token expired (400 ExpiredToken), then sends again', async () => {
      let creates = 0;
      const { fetch, sent } = fixtureFetch([
        {
          method: 'POST',
          path: '/xrpc/com.atproto.server.refreshSession',
          reply: loadFixture('bluesky', 'refresh-session.200.json'),
        },
        {
          method: 'POST',
          path: '/xrpc/com.atproto.repo.createRecord',
          reply: () =>
            creates++ === 0
              ? loadFixture('bluesky', 'expired-token.400.json')
              : loadFixture('bluesky', 'create-record.200.json'),
        },
      ]);
      const credentials = store(session.body as Record<string, string>);

      await createBlueskyAdapter({ fetch, now: () => DOC_NOW }).publish(
        makePost(),
        channel,
        credentials,
        CONTEXT,
      );

      expect(sent.map((r) => r.url.pathname)).toEqual([
        '/xrpc/com.atproto.repo.createRecord',
        '/xrpc/com.atproto.server.refreshSession',
        '/xrpc/com.atproto.repo.createRecord',
      ]);
      expect(sent[1]?.headers.get('authorization')).toBe(`Bearer ${sessionBody.refreshJwt}`);
      expect(credentials.peek(SECRET_REF)?.accessJwt).toBe(`${sessionBody.accessJwt}.refreshed`);
    });

    it('needs the channel reconnected when the app password is refused', async () => {
      const { fetch } = fixtureFetch([
        {
          method: 'POST',
          path: '/xrpc/com.atproto.server.createSession',
          reply: loadFixture('bluesky', 'authentication-required.401.json'),
        },
      ]);

      const error = await platformError(() =>
        createBlueskyAdapter({ fetch }).publish(makePost(), channel, store(), CONTEXT),
      );

      expect(error).toMatchObject({ kind: 'auth', details: { platformCode: 'sign-in-refused' } });
      expect(error.message).toContain('Invalid identifier or password');
      expect(error.message).not.toContain(APP_PASSWORD);
    });

    it('reads the epoch-seconds RateLimit-Reset of a 429', async () => {
      const { fetch } = signedInFetch(['POST', 'com.atproto.repo.createRecord', 'rate-limited.429.json']);

      const error = await platformError(() =>
        createBlueskyAdapter({ fetch, now: () => new Date('2024-01-16T15:58:00.000Z') }).publish(
          makePost(),
          channel,
          store(),
          CONTEXT,
        ),
      );

      expect(error).toMatchObject({ kind: 'rate-limited', details: { status: 429, retryAfterSeconds: 120 } });
    });

    it('uploads an image as a blob and embeds it', async () => {
      const { fetch, sent } = signedInFetch(
        ['POST', 'com.atproto.repo.uploadBlob', 'upload-blob.200.json'],
        ['POST', 'com.atproto.repo.createRecord', 'create-record.200.json'],
      );
      const withImage: typeof globalThis.fetch = async (input, init) =>
        String(input).endsWith('.png')
          ? new Response(new Uint8Array(2048), { headers: { 'content-type': 'image/png' } })
          : fetch(input, init);

      await createBlueskyAdapter({ fetch: withImage, now: () => DOC_NOW }).publish(
        makePost({ text: 'Look', media: ['https://cdn.example.com/a.png'] }),
        channel,
        store(),
        CONTEXT,
      );

      expect(sent[1]?.headers.get('content-type')).toBe('image/png');
      const record = JSON.parse(sent[2]?.body ?? '').record;
      expect(record.embed).toEqual({
        $type: 'app.bsky.embed.images',
        images: [
          { alt: '', image: (loadFixture('bluesky', 'upload-blob.200.json').body as { blob: unknown }).blob },
        ],
      });
    });

    it('maps getPosts counts and leaves impressions absent; a post missing from the answer is deleted', async () => {
      const { fetch, sent } = signedInFetch(['GET', 'app.bsky.feed.getPosts', 'get-posts.200.json']);
      const uri = 'at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k4duaz5vfs2b';
      const gone = 'at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k43tv4rft22g';

      const readings = await createBlueskyAdapter({ fetch, now: () => DOC_NOW }).fetchMetrics(
        [
          { id: 'a', platformPostId: uri, publishedAt: '2023-08-07T05:31:12.156Z' },
          { id: 'b', platformPostId: gone, publishedAt: '2023-08-07T05:29:40.501Z' },
        ],
        channel,
        store(),
      );

      expect(readings[0]).toMatchObject({
        status: 'ok',
        metrics: { likes: 234, comments: 12, shares: 45, saves: 9, engagements: 300 },
      });
      expect(readings[0]?.metrics).not.toHaveProperty('impressions');
      expect(readings[1]).toMatchObject({ status: 'deleted', metrics: {} });
      expect(sent[1]?.url.searchParams.getAll('uris')).toEqual([uri, gone]);
    });

    it('asks getPosts for at most 25 posts at a time', async () => {
      const { fetch, sent } = signedInFetch([
        'GET',
        'app.bsky.feed.getPosts',
        { source: 'empty', status: 200, body: { posts: [] } },
      ]);
      const posts = Array.from({ length: 60 }, (_, i) => ({
        id: `p${i}`,
        platformPostId: `at://did:plc:x/app.bsky.feed.post/${i}`,
      }));

      await createBlueskyAdapter({ fetch, now: () => DOC_NOW }).fetchMetrics(posts, channel, store());

      expect(sent.slice(1).map((r) => r.url.searchParams.getAll('uris').length)).toEqual([25, 25, 10]);
    });

    it('finds a post by its text among the records created since shortly before it was due', async () => {
      const { fetch, sent } = signedInFetch(['GET', 'com.atproto.repo.listRecords', 'list-records.200.json']);
      const adapter = createBlueskyAdapter({ fetch, now: () => DOC_NOW });

      const found = await adapter.lookup?.(
        makePost({ text: 'Hello World!', scheduledAt: '2023-08-07T05:30:00.000Z' }),
        channel,
        store(),
      );
      const tooOld = await adapter.lookup?.(
        makePost({ text: 'example of a reply', scheduledAt: '2023-08-07T06:00:00.000Z' }),
        channel,
        store(),
      );

      expect(found?.platformPostId).toBe(
        'at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k4duaz5vfs2b',
      );
      expect(tooOld).toBeUndefined();
      expect(Object.fromEntries(sent[1]?.url.searchParams ?? [])).toEqual({
        repo: sessionBody.did,
        collection: 'app.bsky.feed.post',
        limit: '100',
      });
    });
  });

  describe('against the Bluesky simulator', () => {
    let now: Date;
    let sim: BlueskySimulatorHandle;
    let credentials: MemoryCredentialStore;
    const clock = () => now;
    const simChannel = () => platformChannel('bluesky', { apiBaseUrl: sim.url });
    /** One adapter per test, as one warm container would keep it. */
    let built: ReturnType<typeof createBlueskyAdapter>;
    const adapter = () => built;
    /** An adapter that gives up after 300 ms, for answers the simulator holds back. */
    const impatient = () => createBlueskyAdapter({ now: clock, timeoutMs: 300 });

    beforeEach(async () => {
      built = createBlueskyAdapter({ now: clock, sleep: noSleep, timeoutMs: 2000 });
      now = new Date('2026-12-08T09:30:00.000Z');
      sim = await startBlueskySimulator({ clock, audience: { seed: 11 } });
      credentials = new MemoryCredentialStore({
        [SECRET_REF]: {
          identifier: sim.accounts[0]?.handle ?? '',
          appPassword: sim.accounts[0]?.appPassword ?? '',
        },
      });
    });

    afterEach(async () => {
      await sim.stop();
      vi.restoreAllMocks();
    });

    it('publishes with link facets and reads likes, reposts and replies back — never impressions', async () => {
      const a = createBlueskyAdapter({ now: clock, sleep: noSleep });
      const post = makePost({
        text: 'New guide #howto',
        link: 'https://example.com/guide',
        scheduledAt: now.toISOString(),
      });

      const ref = await a.publish(post, simChannel(), credentials, CONTEXT);
      now = new Date(now.getTime() + 72 * 3_600_000);
      const [reading] = await a.fetchMetrics(
        [{ id: post.id, platformPostId: ref.platformPostId }],
        simChannel(),
        credentials,
      );

      const stored = sim.posts[0];
      expect(stored?.text).toBe('New guide #howto https://example.com/guide');
      expect((stored?.data.record as { facets?: unknown[] } | undefined)?.facets).toHaveLength(2);
      expect(stored?.link).toBe('https://example.com/guide');
      expect(ref.platformUrl).toMatch(
        /^https:\/\/bsky\.app\/profile\/pulsecast\.bsky\.social\/post\/[a-z2-7]{13}$/,
      );
      expect(reading?.metrics.likes).toBeGreaterThan(0);
      expect(reading?.metrics).not.toHaveProperty('impressions');
      expect(reading?.metrics).not.toHaveProperty('clicks');
    });

    it("reads a post a person settled by its URL (named by handle) as the channel DID's", async () => {
      const a = createBlueskyAdapter({ now: clock, sleep: noSleep });
      const post = makePost({ text: 'Found by hand', scheduledAt: now.toISOString() });
      const ref = await a.publish(post, simChannel(), credentials, CONTEXT);
      const reading = platformPostIdFromUrl(simChannel(), ref.platformUrl);
      if (!reading.ok) throw new Error(reading.problem);
      expect(reading.platformPostId).toMatch(/^at:\/\/pulsecast\.bsky\.social\//);
      now = new Date(now.getTime() + 72 * 3_600_000);

      const [measured] = await a.fetchMetrics(
        [{ id: post.id, platformPostId: reading.platformPostId }],
        simChannel(),
        credentials,
      );

      expect(measured).toMatchObject({ status: 'ok', platformPostId: reading.platformPostId });
      expect(measured?.metrics.likes).toBeGreaterThan(0);
    });

    it('signs in once and reuses the session across posts and adapter instances', async () => {
      await adapter().publish(makePost({ text: 'one' }), simChannel(), credentials, CONTEXT);
      await adapter().publish(makePost({ text: 'two' }), simChannel(), credentials, CONTEXT);
      // A cold container: a new adapter finds the session in the secret.
      await createBlueskyAdapter({ now: clock }).publish(
        makePost({ text: 'three' }),
        simChannel(),
        credentials,
        CONTEXT,
      );

      expect(sim.sessionsCreated.get(sim.accounts[0]?.did ?? '')).toBe(1);
      expect(sim.posts.map((p) => p.text)).toEqual(['one', 'two', 'three']);
    });

    it('refreshes expired tokens instead of signing in again', async () => {
      await adapter().publish(makePost({ text: 'before' }), simChannel(), credentials, CONTEXT);
      sim.setFaults({ expireTokens: true });

      await adapter().publish(makePost({ text: 'after' }), simChannel(), credentials, CONTEXT);
      now = new Date(now.getTime() + 3 * 3_600_000);
      await adapter().publish(makePost({ text: 'hours later' }), simChannel(), credentials, CONTEXT);

      expect(sim.sessionsCreated.get(sim.accounts[0]?.did ?? '')).toBe(1);
      expect(sim.requests.filter((r) => r.path.endsWith('refreshSession'))).toHaveLength(2);
      expect(sim.posts).toHaveLength(3);
    });

    it('uploads images and a video as blobs', async () => {
      await adapter().publish(
        makePost({
          text: 'two pictures',
          media: [sim.mediaUrl('a.png'), sim.mediaUrl('b.jpg', { bytes: 5000 })],
        }),
        simChannel(),
        credentials,
        CONTEXT,
      );
      await adapter().publish(
        makePost({ text: 'a clip', media: [sim.mediaUrl('c.mp4')] }),
        simChannel(),
        credentials,
        CONTEXT,
      );

      expect(sim.posts.map((p) => p.media.map((m) => m.kind))).toEqual([['image', 'image'], ['video']]);
    });

    it('refuses an image over 1,000,000 bytes before creating anything', async () => {
      const error = await platformError(() =>
        adapter().publish(
          makePost({ media: [sim.mediaUrl('huge.png', { bytes: 1_200_000 })] }),
          simChannel(),
          credentials,
          CONTEXT,
        ),
      );

      expect(error).toMatchObject({ kind: 'rejected', details: { platformCode: 'image-too-large' } });
      expect(sim.posts).toHaveLength(0);
    });

    it('settles an unknown outcome: lookup finds a post whose answer was lost, not one that failed', async () => {
      const lost = makePost({ id: 'lost', text: 'Answer lost', scheduledAt: now.toISOString() });
      const failed = makePost({ id: 'failed', text: 'Server error', scheduledAt: now.toISOString() });
      await adapter().publish(makePost({ text: 'warm up' }), simChannel(), credentials, CONTEXT);

      sim.setFaults({ timeoutAfterAccept: { count: 1, path: '/xrpc/com.atproto.repo.createRecord' } });
      const timeout = await platformError(() =>
        impatient().publish(lost, simChannel(), credentials, CONTEXT),
      );
      sim.setFaults({ serverError: { count: 1, path: '/xrpc/com.atproto.repo.createRecord' } });
      const fiveHundred = await platformError(() =>
        adapter().publish(failed, simChannel(), credentials, CONTEXT),
      );

      expect([timeout.kind, fiveHundred.kind]).toEqual(['ambiguous', 'ambiguous']);
      expect((await adapter().lookup?.(lost, simChannel(), credentials))?.platformPostId).toBe(
        sim.posts[1]?.id,
      );
      expect(await adapter().lookup?.(failed, simChannel(), credentials)).toBeUndefined();
    });

    it('checks the credentials ahead of posting', async () => {
      const wrong = new MemoryCredentialStore({
        [SECRET_REF]: { identifier: 'pulsecast.bsky.social', appPassword: 'revoked-app-password' },
      });

      const healthy = await adapter().checkCredentials(simChannel(), credentials);
      const refused = await createBlueskyAdapter({ now: clock }).checkCredentials(simChannel(), wrong);

      expect(healthy.status).toBe('ok');
      expect(refused.status).toBe('invalid');
      expect(refused.message).toContain('create a new app password');
    });

    it('says a deleted post is deleted', async () => {
      const ref = await adapter().publish(makePost(), simChannel(), credentials, CONTEXT);
      sim.deletePost(ref.platformPostId);

      const [reading] = await adapter().fetchMetrics(
        [{ id: 'post-1', platformPostId: ref.platformPostId }],
        simChannel(),
        credentials,
      );

      expect(reading?.status).toBe('deleted');
    });

    it('never lets the app password or a session token appear in errors, results, logs or the request log', async () => {
      const { capture, haystack } = leakWatch();

      await capture(adapter().publish(makePost({ text: 'ok' }), simChannel(), credentials, CONTEXT));
      sim.setFaults({ serverError: { count: 1 } });
      await capture(adapter().publish(makePost({ text: 'boom' }), simChannel(), credentials, CONTEXT));
      sim.setFaults({ expireTokens: true });
      await capture(adapter().publish(makePost({ text: 'refreshed' }), simChannel(), credentials, CONTEXT));
      const wrong = new MemoryCredentialStore({
        [SECRET_REF]: { identifier: 'pulsecast.bsky.social', appPassword: 'wrong-pass-word-1234' },
      });
      await capture(createBlueskyAdapter({ now: clock }).publish(makePost(), simChannel(), wrong, CONTEXT));

      const stored = credentials.peek(SECRET_REF) ?? {};
      const secrets = [
        sim.accounts[0]?.appPassword ?? '',
        'wrong-pass-word-1234',
        stored.accessJwt ?? '',
        stored.refreshJwt ?? '',
      ];
      const text = haystack(sim.requests);
      expect(secrets.every((s) => s.length > 10)).toBe(true);
      for (const secret of secrets) expect(text).not.toContain(secret);
    });
  });
});
