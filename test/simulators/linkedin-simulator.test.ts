import { describe, expect, it } from 'vitest';
import { type LinkedInSimulatorHandle, startLinkedInSimulator } from '../../local/simulators/linkedin.ts';
import type { Channel } from '../../shared/domain/index.ts';
import { createLinkedInAdapter } from '../../shared/platforms/linkedin/adapter.ts';
import type { Credentials } from '../../shared/platforms/port.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import {
  afterStart,
  failure,
  HOUR,
  leakWatch,
  MemoryCredentials,
  publisher,
  START,
  simulatorPerTest,
} from './support.ts';

// The LinkedIn adapter publishing to and measuring from its simulator, through the real code
// path (HTTP on 127.0.0.1, virtual time).

let sim: LinkedInSimulatorHandle;
let channel: Channel;

const time = simulatorPerTest(
  async () => {
    sim = await startLinkedInSimulator({ clock, videoProcessingPolls: 2 });
    channel = platformChannel('linkedin', { apiBaseUrl: sim.url });
  },
  () => sim,
);
const clock = time.clock;

function account() {
  return sim.accounts[0] as LinkedInSimulatorHandle['accounts'][number];
}

function credentials(overrides: Partial<Credentials> = {}): MemoryCredentials {
  const a = account();
  return new MemoryCredentials({
    accessToken: a.accessToken,
    refreshToken: a.refreshToken,
    clientId: a.clientId,
    clientSecret: a.clientSecret,
    expiresAt: afterStart(50 * 24),
    organizationUrn: `urn:li:organization:${a.organizationId}`,
    ...overrides,
  });
}

function adapter(options: { timeoutMs?: number; version?: string; processingBudgetMs?: number } = {}) {
  return createLinkedInAdapter({ now: clock, sleep: async () => {}, ...options });
}

describe('LinkedIn adapter ↔ simulator', () => {
  it('publishes text with reserved characters intact, and finds it again', async () => {
    const text = 'Launch day (finally)! Ask us @ the booth, see [slides] & #launch';
    const post = makePost({ channel: channel.id, text });

    const ref = await adapter().publish(post, channel, credentials(), { idempotencyKey: 'pulsecast-post-1' });

    const published = sim.posts[0];
    expect(published?.id).toBe(ref.platformPostId);
    expect(ref.platformPostId).toMatch(/^urn:li:share:\d+$/);
    expect(published?.text).toBe(text);
    expect(await adapter().lookup?.(post, channel, credentials())).toEqual(ref);
  });

  it('shows why escaping matters: the same text sent raw is cut at the first parenthesis', async () => {
    const a = account();
    const response = await fetch(`${sim.url}/rest/posts`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${a.accessToken}`,
        'linkedin-version': '202607',
        'x-restli-protocol-version': '2.0.0',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        author: `urn:li:organization:${a.organizationId}`,
        commentary: 'Launch day (finally)!',
        visibility: 'PUBLIC',
        distribution: {
          feedDistribution: 'MAIN_FEED',
          targetEntities: [],
          thirdPartyDistributionChannels: [],
        },
        lifecycleState: 'PUBLISHED',
      }),
    });
    expect(response.status).toBe(201);
    expect(sim.posts[0]?.text).toBe('Launch day ');
  });

  it('publishes a link as an article, one image, several images and a video', async () => {
    const a = adapter();
    const store = credentials();
    const publish = publisher(a, channel, store);
    const article = await publish(makePost({ id: 'a', text: 'Read', link: 'https://www.example.com/post' }));
    const one = await publish(makePost({ id: 'b', text: 'One', media: [sim.mediaUrl('one.jpg')] }));
    const many = await publish(
      makePost({ id: 'c', text: 'Many', media: [sim.mediaUrl('one.jpg'), sim.mediaUrl('two.png')] }),
    );
    const video = await publish(
      makePost({ id: 'd', text: 'Watch', media: [sim.mediaUrl('clip.mp4', { bytes: 5 * 1024 * 1024 })] }),
    );

    expect(article.platformPostId).toMatch(/^urn:li:share:/);
    expect(one.platformPostId).toMatch(/^urn:li:share:/);
    expect(many.platformPostId).toMatch(/^urn:li:ugcPost:/);
    expect(video.platformPostId).toMatch(/^urn:li:ugcPost:/);
    expect(sim.posts.map((p) => [p.text, p.media.map((m) => m.kind), p.link])).toEqual([
      ['Read', [], 'https://www.example.com/post'],
      ['One', ['image'], undefined],
      ['Many', ['image', 'image'], undefined],
      ['Watch', ['video'], undefined],
    ]);
    // The 5 MB video went up in two parts, each answered with an ETag, then finalized.
    const parts = sim.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/dms-uploads/video/'));
    expect(parts).toHaveLength(2);
  });

  it('gives up on a video still processing within its budget, and the next attempt reuses the upload', async () => {
    await sim.stop();
    sim = await startLinkedInSimulator({ clock, videoProcessingPolls: 3 });
    channel = { ...channel, apiBaseUrl: sim.url };
    const a = adapter({ processingBudgetMs: 3_000 }); // two status reads per attempt
    const post = makePost({ text: 'Slow video', media: [sim.mediaUrl('slow.mp4')] });

    const first = await failure(
      a.publish(post, channel, credentials(), { idempotencyKey: 'pulsecast-slow' }),
    );
    const ref = await a.publish(post, channel, credentials(), { idempotencyKey: 'pulsecast-slow' });

    expect(first).toMatchObject({ kind: 'unavailable', details: { platformCode: 'video-processing' } });
    expect(
      sim.requests.filter((r) => r.path === '/rest/videos' && r.query.action === 'initializeUpload'),
    ).toHaveLength(1);
    expect(sim.posts.map((p) => p.id)).toEqual([ref.platformPostId]);
  });

  it('reads metrics that grow over virtual time, batched, matching the audience model', async () => {
    const a = adapter();
    const store = credentials();
    const first = await a.publish(makePost({ id: 'p1', text: 'Morning post #launch' }), channel, store, {
      idempotencyKey: '1',
    });
    const second = await a.publish(
      makePost({ id: 'p2', text: 'Photo post', media: [sim.mediaUrl('a.jpg'), sim.mediaUrl('b.jpg')] }),
      channel,
      store,
      {
        idempotencyKey: '2',
      },
    );
    const posts = [
      { id: 'p1', platformPostId: first.platformPostId },
      { id: 'p2', platformPostId: second.platformPostId },
    ];

    time.advance(HOUR);
    const early = await a.fetchMetrics(posts, channel, store);
    time.advance(47 * HOUR);
    const later = await a.fetchMetrics(posts, channel, store);

    const expected = sim.engagementOf(first.platformPostId) as NonNullable<
      ReturnType<typeof sim.engagementOf>
    >;
    expect(later[0]?.metrics).toEqual({
      impressions: expected.impressions,
      reach: expected.reach,
      likes: expected.likes,
      comments: expected.comments,
      shares: expected.shares,
      clicks: expected.clicks,
      engagements: expected.likes + expected.comments + expected.shares + expected.clicks,
    });
    for (const i of [0, 1]) {
      expect(later[i]?.metrics.impressions ?? 0).toBeGreaterThan(early[i]?.metrics.impressions ?? 0);
    }
    const statsCalls = sim.requests.filter((r) => r.path === '/rest/organizationalEntityShareStatistics');
    // One share and one ugcPost → one request per kind, per reading.
    expect(statsCalls).toHaveLength(4);
  });

  it('refreshes the token when the simulator expires it, and keeps publishing', async () => {
    const store = credentials();
    sim.setFaults({ expireTokens: true });

    await adapter().publish(makePost({ text: 'after expiry' }), channel, store, { idempotencyKey: 'k' });

    expect(sim.posts).toHaveLength(1);
    expect(store.value.accessToken).not.toBe(account().accessToken);
    expect(store.value.expiresAt).toBe(new Date(START.getTime() + 5_184_000_000).toISOString());
  });

  it('refreshes once when several posts of the channel go out together', async () => {
    time.at(45 * 24);
    const store = credentials();
    const a = adapter();

    await Promise.all(
      [1, 2, 3].map((i) =>
        a.publish(makePost({ id: `c${i}`, text: `together ${i}` }), channel, store, {
          idempotencyKey: `${i}`,
        }),
      ),
    );

    expect(sim.requests.filter((r) => r.path === '/oauth/v2/accessToken')).toHaveLength(1);
    expect(sim.posts).toHaveLength(3);
  });

  it('turns an expired token that cannot be refreshed into an auth failure (Channel Needs Attention)', async () => {
    sim.setFaults({ expireTokens: true });
    const store = credentials({ refreshToken: '', clientId: '', clientSecret: '' });
    store.value = Object.fromEntries(Object.entries(store.value).filter(([, v]) => v !== '')) as Credentials;

    const error = await failure(adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' }));

    expect(error).toMatchObject({
      kind: 'auth',
      details: { status: 401, platformCode: 'EXPIRED_ACCESS_TOKEN' },
    });
    expect(sim.posts).toHaveLength(0);
  });

  it('moves a post after a 429 until midnight UTC, without creating it', async () => {
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 60, path: '/rest/posts' } });
    const error = await failure(
      adapter().publish(makePost(), channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(error).toMatchObject({
      kind: 'rate-limited',
      details: { status: 429, retryAfterSeconds: 15 * 3600 },
    });
    expect(sim.posts).toHaveLength(0);
  });

  it('calls a 5xx on the post ambiguous, and one on an upload unavailable', async () => {
    sim.setFaults({ serverError: { count: 1, status: 503, path: '/rest/posts' } });
    const atPost = await failure(
      adapter().publish(makePost(), channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(atPost.kind).toBe('ambiguous');

    sim.setFaults({ serverError: { count: 1, status: 500, path: '/rest/images' } });
    const atUpload = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('x.jpg')] }), channel, credentials(), {
        idempotencyKey: 'k',
      }),
    );
    expect(atUpload.kind).toBe('unavailable');
  });

  it('calls a post accepted but never answered ambiguous, and lookup reconciles it', async () => {
    sim.setFaults({ timeoutAfterAccept: { count: 1, path: '/rest/posts' } });
    const post = makePost({ text: 'Lost in transit' });

    const error = await failure(
      adapter({ timeoutMs: 300 }).publish(post, channel, credentials(), { idempotencyKey: 'k' }),
    );

    expect(error.kind).toBe('ambiguous');
    expect(sim.posts).toHaveLength(1);
    expect(await adapter().lookup?.(post, channel, credentials())).toEqual({
      platformPostId: sim.posts[0]?.id,
      platformUrl: `https://www.linkedin.com/feed/update/${sim.posts[0]?.id}/`,
    });
  });

  it('refuses a sunset LinkedIn-Version (426) as rejected', async () => {
    const error = await failure(
      adapter({ version: '202501' }).publish(makePost(), channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(error).toMatchObject({ kind: 'rejected', details: { status: 426 } });
  });

  it('never lets a credential show in logs, errors, results or the simulator request log', async () => {
    const { capture, haystack } = leakWatch();
    const store = credentials();
    const secrets = [store.value.accessToken, store.value.refreshToken, store.value.clientSecret] as string[];
    const a = adapter({ timeoutMs: 300 });

    sim.setFaults({ expireTokens: true });
    await capture(
      a.publish(makePost({ id: 'r1', text: 'refresh me' }), channel, store, { idempotencyKey: '1' }),
    );
    secrets.push(store.value.accessToken as string);
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 5 } });
    await capture(a.publish(makePost({ id: 'r2' }), channel, store, { idempotencyKey: '2' }));
    sim.setFaults({ serverError: { count: 1 } });
    await capture(a.publish(makePost({ id: 'r3' }), channel, store, { idempotencyKey: '3' }));
    sim.setFaults({ timeoutAfterAccept: { count: 1 } });
    await capture(a.publish(makePost({ id: 'r4' }), channel, store, { idempotencyKey: '4' }));
    await capture(
      a.publish(
        makePost({ id: 'r5' }),
        channel,
        new MemoryCredentials({ ...store.value, accessToken: 'wrong-token-value-123456' }),
        { idempotencyKey: '5' },
      ),
    );
    await capture(a.fetchMetrics([{ id: 'r1', platformPostId: sim.posts[0]?.id ?? '' }], channel, store));
    await capture(a.checkCredentials(channel, store));

    const everything = haystack(sim.requests);
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
