import { describe, expect, it } from 'vitest';
import {
  type InstagramSimulatorHandle,
  type InstagramSimulatorOptions,
  startInstagramSimulator,
} from '../../local/simulators/meta/instagram.ts';
import type { Channel } from '../../shared/domain/index.ts';
import { createInstagramAdapter } from '../../shared/platforms/meta/instagram.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import { metricsOf } from './expected-metrics.ts';
import { afterStart, failure, leakWatch, MemoryCredentials, publisher, simulatorPerTest } from './support.ts';

// The Instagram adapter publishing to and measuring from its simulator, through the real code
// path (containers, polling, media_publish over HTTP on 127.0.0.1, virtual time).

let sim: InstagramSimulatorHandle;
let channel: Channel;
let store: MemoryCredentials;

async function start(options: InstagramSimulatorOptions = {}) {
  sim = await startInstagramSimulator({ clock, videoProcessingPolls: 2, ...options });
  channel = platformChannel('instagram', { apiBaseUrl: sim.url });
  const { userId: igUserId, accessToken } = sim.accounts[0] as InstagramSimulatorHandle['accounts'][number];
  // The starting token is 30 days old: it expires in 30 days.
  store = new MemoryCredentials({ igUserId, accessToken, expiresAt: afterStart(30 * 24) });
}

const time = simulatorPerTest(start, () => sim);
const clock = time.clock;

function adapter(timeoutMs?: number, processingBudgetMs?: number) {
  return createInstagramAdapter({
    now: clock,
    sleep: async () => {},
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(processingBudgetMs !== undefined ? { processingBudgetMs } : {}),
  });
}

describe('Instagram adapter ↔ simulator', () => {
  it('publishes an image, a reel and a carousel through containers, polling until FINISHED', async () => {
    const a = adapter();
    const publish = publisher(a, channel, store);
    const image = await publish(makePost({ id: 'i', text: 'Image ❄️', media: [sim.mediaUrl('look.jpg')] }));
    const reel = await publish(makePost({ id: 'r', text: 'Reel', media: [sim.mediaUrl('clip.mp4')] }));
    const carousel = await a.publish(
      makePost({
        id: 'c',
        text: 'Carousel',
        media: [sim.mediaUrl('a.jpg'), sim.mediaUrl('b.mp4'), sim.mediaUrl('c.jpeg')],
      }),
      channel,
      store,
      { idempotencyKey: 'c' },
    );

    expect(sim.posts.map((p) => [p.id, p.text, p.media.map((m) => m.kind), p.data.mediaType])).toEqual([
      [image.platformPostId, 'Image ❄️', ['image'], 'IMAGE'],
      [reel.platformPostId, 'Reel', ['video'], 'VIDEO'],
      [carousel.platformPostId, 'Carousel', ['image', 'video', 'image'], 'CAROUSEL_ALBUM'],
    ]);
    expect(image.platformUrl).toBe(sim.posts[0]?.url);
    expect(carousel.rateLimit).toEqual({
      remaining: 47,
      resetAt: afterStart(24),
    });
    // The reel was IN_PROGRESS twice before it could be published.
    const polls = sim.requests.filter((r) => r.method === 'GET' && r.query.fields === 'status_code,status');
    expect(polls.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses an image Instagram cannot take (only JPEG) without publishing anything', async () => {
    const error = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('logo.png')] }), channel, store, {
        idempotencyKey: 'k',
      }),
    );
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('2207026');
    expect(sim.posts).toHaveLength(0);
  });

  it('reads insights that grow over virtual time, views standing in for impressions', async () => {
    const a = adapter();
    const ref = await a.publish(
      makePost({ text: 'Measure me #newin', media: [sim.mediaUrl('a.jpg')] }),
      channel,
      store,
      { idempotencyKey: 'k' },
    );
    const posts = [{ id: 'p', platformPostId: ref.platformPostId }];

    time.at(1);
    const [early] = await a.fetchMetrics(posts, channel, store);
    time.at(48);
    const [later] = await a.fetchMetrics(posts, channel, store);

    const e = sim.engagementOf(ref.platformPostId) as NonNullable<ReturnType<typeof sim.engagementOf>>;
    expect(later?.metrics).toEqual(
      metricsOf(
        e,
        ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves'],
        ['likes', 'saves', 'comments', 'shares'],
      ),
    );
    expect(later?.metrics.impressions ?? 0).toBeGreaterThan(early?.metrics.impressions ?? 0);
  });

  it('answers the retired impressions metric with an error, as Instagram does since April 2025', async () => {
    const ref = await adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
      idempotencyKey: 'k',
    });
    const url = new URL(`${sim.url}/v27.0/${ref.platformPostId}/insights`);
    url.searchParams.set('metric', 'impressions,reach');
    url.searchParams.set('access_token', store.value.accessToken as string);
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('views');
  });

  it('reports a deleted media object as deleted', async () => {
    const ref = await adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
      idempotencyKey: 'k',
    });
    sim.deletePost(ref.platformPostId);
    const readings = await adapter().fetchMetrics(
      [{ id: 'p', platformPostId: ref.platformPostId }],
      channel,
      store,
    );
    expect(readings[0]?.status).toBe('deleted');
  });

  it('stops at the publishing limit before creating a container', async () => {
    await sim.stop();
    await start({ publishingLimit: 1 });
    await adapter().publish(
      makePost({ id: '1', text: 'one', media: [sim.mediaUrl('a.jpg')] }),
      channel,
      store,
      { idempotencyKey: '1' },
    );
    sim.clearRequests();

    const error = await failure(
      adapter().publish(makePost({ id: '2', text: 'two', media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: '2',
      }),
    );

    expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 3600 } });
    expect(sim.requests.map((r) => r.path)).toEqual([
      `/v27.0/${store.value.igUserId}/content_publishing_limit`,
    ]);
  });

  it('calls a lost media_publish answer ambiguous; lookup finds the media', async () => {
    sim.setFaults({ timeoutAfterAccept: { count: 1, path: `/v27.0/${store.value.igUserId}/media_publish` } });
    const post = makePost({ text: 'Did it go out?', media: [sim.mediaUrl('a.jpg')] });

    const error = await failure(adapter(300).publish(post, channel, store, { idempotencyKey: 'k' }));

    expect(error.kind).toBe('ambiguous');
    expect(sim.posts).toHaveLength(1);
    expect(await adapter().lookup?.(post, channel, store)).toEqual({
      platformPostId: sim.posts[0]?.id,
      platformUrl: sim.posts[0]?.url,
    });
  });

  it('gives up on a slow video within its budget, and the next attempt continues with the same container', async () => {
    await sim.stop();
    await start({ videoProcessingPolls: 5 });
    const a = adapter(undefined, 6_000); // three polls per attempt
    const post = makePost({ text: 'Slow reel', media: [sim.mediaUrl('long.mp4')] });

    const first = await failure(a.publish(post, channel, store, { idempotencyKey: 'pulsecast-slow' }));
    const ref = await a.publish(post, channel, store, { idempotencyKey: 'pulsecast-slow' });

    expect(first).toMatchObject({ kind: 'unavailable', details: { platformCode: 'container-processing' } });
    expect(sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/media'))).toHaveLength(1);
    expect(sim.posts.map((p) => p.id)).toEqual([ref.platformPostId]);
  });

  it('never publishes twice, even if asked again after an ambiguous outcome', async () => {
    const a = adapter(300);
    const post = makePost({ text: 'Only once', media: [sim.mediaUrl('a.jpg')] });
    sim.setFaults({ timeoutAfterAccept: { count: 1, path: `/v27.0/${store.value.igUserId}/media_publish` } });
    expect((await failure(a.publish(post, channel, store, { idempotencyKey: 'pulsecast-once' }))).kind).toBe(
      'ambiguous',
    );

    const again = await failure(a.publish(post, channel, store, { idempotencyKey: 'pulsecast-once' }));

    expect(again).toMatchObject({ kind: 'ambiguous', details: { platformCode: 'container-published' } });
    expect(sim.posts).toHaveLength(1);
  });

  it('calls a 5xx at container creation unavailable and one at media_publish ambiguous', async () => {
    const user = store.value.igUserId as string;
    sim.setFaults({ serverError: { count: 1, path: `/v27.0/${user}/media` } });
    const early = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: 'k',
      }),
    );
    expect(early.kind).toBe('unavailable');

    sim.setFaults({ serverError: { count: 1, path: `/v27.0/${user}/media_publish` } });
    const late = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: 'k',
      }),
    );
    expect(late.kind).toBe('ambiguous');
    expect(sim.posts).toHaveLength(0);
  });

  it('reads Instagram throttling (code 80002) as rate-limited for the BUC minutes', async () => {
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 300 } });
    const error = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: 'k',
      }),
    );
    expect(error).toMatchObject({
      kind: 'rate-limited',
      details: { retryAfterSeconds: 300, platformCode: '80002' },
    });
  });

  it('refreshes a token in its last week with ig_refresh_token and publishes with the new one', async () => {
    time.at(25 * 24);
    const before = store.value.accessToken;

    await adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
      idempotencyKey: 'k',
    });

    expect(store.puts).toHaveLength(1);
    expect(store.value.accessToken).not.toBe(before);
    expect(store.value.expiresAt).toBe(new Date(time.now.getTime() + 5_184_000_000).toISOString());
    expect(sim.posts).toHaveLength(1);
    expect(await adapter().checkCredentials(channel, store)).toMatchObject({ status: 'ok' });
  });

  it('refreshes once when several posts of the account go out together', async () => {
    time.at(25 * 24);
    const a = adapter();
    await Promise.all(
      [1, 2].map((i) =>
        a.publish(
          makePost({ id: `c${i}`, text: `together ${i}`, media: [sim.mediaUrl('a.jpg')] }),
          channel,
          store,
          {
            idempotencyKey: `${i}`,
          },
        ),
      ),
    );
    expect(sim.requests.filter((r) => r.path === '/refresh_access_token')).toHaveLength(1);
    expect(store.puts).toHaveLength(1);
    expect(sim.posts).toHaveLength(2);
  });

  it('turns an expired token into auth (code 190/463), which cannot be refreshed', async () => {
    sim.setFaults({ expireTokens: true });
    const error = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: 'k',
      }),
    );
    expect(error).toMatchObject({ kind: 'auth', details: { platformCode: '190/463' } });
  });

  it('never lets a token show in logs, errors, results or the simulator request log', async () => {
    const { capture, haystack } = leakWatch();
    const secrets = [store.value.accessToken as string];
    const a = adapter(300);
    time.at(25 * 24);
    await capture(
      a.publish(makePost({ id: '1', text: 'a', media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: '1',
      }),
    );
    secrets.push(store.value.accessToken as string);
    await capture(a.fetchMetrics([{ id: '1', platformPostId: sim.posts[0]?.id ?? '' }], channel, store));
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 60 } });
    await capture(
      a.publish(makePost({ id: '2', media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: '2',
      }),
    );
    sim.setFaults({ timeoutAfterAccept: { count: 1, path: `/v27.0/${store.value.igUserId}/media_publish` } });
    await capture(
      a.publish(makePost({ id: '3', text: 'c', media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: '3',
      }),
    );
    await capture(
      a.publish(makePost({ id: '4', media: [sim.mediaUrl('x.png')] }), channel, store, {
        idempotencyKey: '4',
      }),
    );
    sim.setFaults({ expireTokens: true });
    await capture(
      a.publish(makePost({ id: '5', media: [sim.mediaUrl('a.jpg')] }), channel, store, {
        idempotencyKey: '5',
      }),
    );
    await capture(a.checkCredentials(channel, store));

    expect(haystack(sim.requests)).toContain('refresh_access_token');
    for (const secret of secrets) expect(haystack(sim.requests)).not.toContain(secret);
  });
});
