import { describe, expect, it } from 'vitest';
import { startThreadsSimulator, type ThreadsSimulatorHandle } from '../../local/simulators/meta/threads.ts';
import type { Channel } from '../../shared/domain/index.ts';
import { createThreadsAdapter } from '../../shared/platforms/meta/threads.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import { metricsOf } from './expected-metrics.ts';
import { afterStart, failure, leakWatch, MemoryCredentials, publisher, simulatorPerTest } from './support.ts';

// The Threads adapter publishing to and measuring from its simulator, through the real code path.

let sim: ThreadsSimulatorHandle;
let channel: Channel;
let store: MemoryCredentials;

const time = simulatorPerTest(
  async () => {
    sim = await startThreadsSimulator({ clock, mediaProcessingPolls: 2 });
    channel = platformChannel('threads', { apiBaseUrl: sim.url });
    const { userId: threadsUserId, accessToken } = sim
      .accounts[0] as ThreadsSimulatorHandle['accounts'][number];
    store = new MemoryCredentials({ threadsUserId, accessToken, expiresAt: afterStart(30 * 24) });
  },
  () => sim,
);
const clock = time.clock;

function adapter(timeoutMs?: number) {
  return createThreadsAdapter({ now: clock, sleep: async () => {}, ...(timeoutMs ? { timeoutMs } : {}) });
}

describe('Threads adapter ↔ simulator', () => {
  it('publishes text (with its link), an image, a video and a carousel', async () => {
    const a = adapter();
    const publish = publisher(a, channel, store);
    const text = await publish(makePost({ id: 't', text: 'Hello Threads', link: 'https://example.com/t' }));
    await publish(makePost({ id: 'i', text: 'Image', media: [sim.mediaUrl('a.jpg')] }));
    await publish(makePost({ id: 'v', text: 'Video', media: [sim.mediaUrl('v.mp4')] }));
    const carousel = await publish(
      makePost({ id: 'c', text: 'Carousel', media: [sim.mediaUrl('a.png'), sim.mediaUrl('b.mp4')] }),
    );

    expect(sim.posts.map((p) => [p.text, p.media.map((m) => m.kind), p.data.mediaType])).toEqual([
      ['Hello Threads https://example.com/t', [], 'TEXT_POST'],
      ['Image', ['image'], 'IMAGE'],
      ['Video', ['video'], 'VIDEO'],
      ['Carousel', ['image', 'video'], 'CAROUSEL_ALBUM'],
    ]);
    expect(text.platformUrl).toBe(sim.posts[0]?.url);
    expect(carousel.rateLimit?.remaining).toBe(246);
  });

  it('reads insights growing over virtual time', async () => {
    const a = adapter();
    const ref = await a.publish(makePost({ text: 'Count me #threads' }), channel, store, {
      idempotencyKey: 'k',
    });
    time.at(1);
    const [early] = await a.fetchMetrics([{ id: 'p', platformPostId: ref.platformPostId }], channel, store);
    time.at(30);
    const [later] = await a.fetchMetrics([{ id: 'p', platformPostId: ref.platformPostId }], channel, store);

    const e = sim.engagementOf(ref.platformPostId) as NonNullable<ReturnType<typeof sim.engagementOf>>;
    expect(later?.metrics).toEqual(
      metricsOf(e, ['impressions', 'likes', 'comments', 'shares'], ['likes', 'comments', 'shares']),
    );
    expect(later?.metrics.impressions ?? 0).toBeGreaterThan(early?.metrics.impressions ?? 0);
  });

  it('refuses text over 500 characters as Threads counts them (emoji = UTF-8 bytes)', async () => {
    const error = await failure(
      adapter().publish(makePost({ text: '😀'.repeat(126) }), channel, store, { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('rejected');
    expect(sim.posts).toHaveLength(0);
  });

  it('calls a container whose media cannot be downloaded rejected, with the reason', async () => {
    const error = await failure(
      adapter().publish(makePost({ media: [sim.mediaUrl('gone.jpg', { status: 404 })] }), channel, store, {
        idempotencyKey: 'k',
      }),
    );
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('FAILED_DOWNLOADING_IMAGE');
  });

  it('calls a lost threads_publish answer ambiguous; lookup finds the thread', async () => {
    // The harness matches fault paths by prefix, and `…/threads_publish` is a prefix of
    // `…/threads_publishing_limit` (read first): so the answer is lost on the client side here,
    // after the simulator has processed the request.
    const lossy = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/threads_publish')) {
        await response.arrayBuffer();
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
      }
      return response;
    }) as typeof fetch;
    const post = makePost({ text: 'Where did it go', link: 'https://example.com/w' });
    const lossyAdapter = createThreadsAdapter({ now: clock, sleep: async () => {}, fetch: lossy });
    expect((await failure(lossyAdapter.publish(post, channel, store, { idempotencyKey: 'k' }))).kind).toBe(
      'ambiguous',
    );
    expect(sim.posts).toHaveLength(1);
    expect(await adapter().lookup?.(post, channel, store)).toEqual({
      platformPostId: sim.posts[0]?.id,
      platformUrl: sim.posts[0]?.url,
    });
  });

  it('reads throttling as rate-limited and expiry as auth', async () => {
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 600 } });
    expect(
      await failure(adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' })),
    ).toMatchObject({
      kind: 'rate-limited',
      details: { retryAfterSeconds: 600 },
    });
    sim.setFaults({ expireTokens: true });
    expect((await failure(adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' }))).kind).toBe(
      'auth',
    );
  });

  it('refreshes a token in its last week with th_refresh_token', async () => {
    time.at(24 * 24);
    const before = store.value.accessToken;
    expect(await adapter().checkCredentials(channel, store)).toMatchObject({ status: 'refreshed' });
    expect(store.value.accessToken).not.toBe(before);
    await adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' });
    expect(sim.posts).toHaveLength(1);
  });

  it('never lets a token show in logs, errors, results or the simulator request log', async () => {
    const { capture, haystack } = leakWatch();
    const secrets = [store.value.accessToken as string];
    const a = adapter(300);
    time.at(24 * 24);
    await capture(a.publish(makePost({ text: 'one' }), channel, store, { idempotencyKey: '1' }));
    secrets.push(store.value.accessToken as string);
    await capture(a.fetchMetrics([{ id: '1', platformPostId: sim.posts[0]?.id ?? '' }], channel, store));
    sim.setFaults({ serverError: { count: 1 } });
    await capture(a.publish(makePost({ text: 'two' }), channel, store, { idempotencyKey: '2' }));
    sim.setFaults({
      timeoutAfterAccept: { count: 1, path: `/v1.0/${store.value.threadsUserId}/threads_publishing_limit` },
    });
    await capture(a.publish(makePost({ text: 'three' }), channel, store, { idempotencyKey: '3' }));
    sim.setFaults({ expireTokens: true });
    await capture(a.publish(makePost({ text: 'four' }), channel, store, { idempotencyKey: '4' }));

    for (const secret of secrets) expect(haystack(sim.requests)).not.toContain(secret);
  });
});
