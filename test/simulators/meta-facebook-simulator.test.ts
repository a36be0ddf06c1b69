import { describe, expect, it } from 'vitest';
import {
  type FacebookSimulatorHandle,
  startFacebookSimulator,
} from '../../local/simulators/meta/facebook.ts';
import type { Channel } from '../../shared/domain/index.ts';
import { createFacebookAdapter } from '../../shared/platforms/meta/facebook.ts';
import { makePost, platformChannel } from '../support/fixtures.ts';
import { failure, leakWatch, MemoryCredentials, publisher, simulatorPerTest } from './support.ts';

// The Facebook Pages adapter publishing to and measuring from its simulator, through the real
// code path (HTTP on 127.0.0.1, virtual time).

let sim: FacebookSimulatorHandle;
let channel: Channel;
let store: MemoryCredentials;

const time = simulatorPerTest(
  async () => {
    sim = await startFacebookSimulator({ clock });
    channel = platformChannel('facebook', { apiBaseUrl: sim.url });
    const page = sim.pages[0] as FacebookSimulatorHandle['pages'][number];
    store = new MemoryCredentials({ pageId: page.pageId, pageAccessToken: page.pageAccessToken });
  },
  () => sim,
);
const clock = time.clock;

function adapter(timeoutMs?: number) {
  return createFacebookAdapter({ now: clock, ...(timeoutMs ? { timeoutMs } : {}) });
}

describe('Facebook adapter ↔ simulator', () => {
  it('publishes text with a link preview, a photo, and several photos, and finds a post again', async () => {
    const a = adapter();
    const publish = publisher(a, channel, store);
    const text = await publish(makePost({ id: 't', text: 'Hello Fans!', link: 'https://example.com/x' }));
    const photo = await publish(makePost({ id: 'p', text: 'A photo', media: [sim.mediaUrl('a.jpg')] }));
    const album = await publish(
      makePost({ id: 'm', text: 'Two photos', media: [sim.mediaUrl('a.jpg'), sim.mediaUrl('b.jpg')] }),
    );

    expect(sim.posts.map((p) => [p.id, p.text, p.media.length, p.link])).toEqual([
      [text.platformPostId, 'Hello Fans!', 0, 'https://example.com/x'],
      [photo.platformPostId, 'A photo', 1, undefined],
      [album.platformPostId, 'Two photos', 2, undefined],
    ]);
    expect(text.platformUrl).toBe(sim.posts[0]?.url);
    expect(await a.lookup?.(makePost({ text: 'Two photos' }), channel, store)).toMatchObject({
      platformPostId: album.platformPostId,
    });
  });

  it('reads metrics for many posts in one request, growing over virtual time', async () => {
    const a = adapter();
    const refs = [];
    for (const i of [1, 2, 3]) {
      refs.push(
        await a.publish(
          makePost({ id: `p${i}`, text: `Post ${i}`, link: 'https://example.com/l' }),
          channel,
          store,
          { idempotencyKey: `${i}` },
        ),
      );
    }
    const posts = refs.map((ref, i) => ({ id: `p${i + 1}`, platformPostId: ref.platformPostId }));
    sim.clearRequests();

    time.at(2);
    const early = await a.fetchMetrics(posts, channel, store);
    time.at(72);
    const later = await a.fetchMetrics(posts, channel, store);

    expect(sim.requests.map((r) => r.path)).toEqual(['/v27.0/', '/v27.0/']);
    const e = sim.engagementOf(refs[0]?.platformPostId ?? '') as NonNullable<
      ReturnType<typeof sim.engagementOf>
    >;
    expect(later[0]?.metrics).toEqual({
      impressions: e.impressions,
      reach: e.reach,
      clicks: e.clicks,
      likes: e.likes,
      comments: e.comments,
      shares: e.shares,
      engagements: e.likes + e.comments + e.shares + e.clicks,
    });
    expect(later[0]?.metrics.impressions ?? 0).toBeGreaterThan(early[0]?.metrics.impressions ?? 0);
  });

  it('reports a deleted post as deleted and still reads the others', async () => {
    const a = adapter();
    const kept = await a.publish(makePost({ id: 'kept', text: 'kept' }), channel, store, {
      idempotencyKey: '1',
    });
    const gone = await a.publish(makePost({ id: 'gone', text: 'gone' }), channel, store, {
      idempotencyKey: '2',
    });
    sim.deletePost(gone.platformPostId);

    const readings = await a.fetchMetrics(
      [
        { id: 'kept', platformPostId: kept.platformPostId },
        { id: 'gone', platformPostId: gone.platformPostId },
      ],
      channel,
      store,
    );

    expect(readings.map((r) => [r.postId, r.status])).toEqual([
      ['kept', 'ok'],
      ['gone', 'deleted'],
    ]);
  });

  it('refuses retired metrics the way Graph does', async () => {
    const ref = await adapter().publish(makePost({ text: 'x' }), channel, store, { idempotencyKey: '1' });
    const url = new URL(`${sim.url}/v27.0/${ref.platformPostId}/insights`);
    url.searchParams.set('metric', 'post_impressions');
    url.searchParams.set('access_token', store.value.pageAccessToken as string);
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 100, type: 'OAuthException' } });
  });

  it('reads throttling (400, code 32) as rate-limited for the minutes the BUC header names', async () => {
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 120 } });
    const error = await failure(adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' }));
    expect(error).toMatchObject({
      kind: 'rate-limited',
      details: { status: 400, retryAfterSeconds: 120, platformCode: '32' },
    });
    expect(sim.posts).toHaveLength(0);
  });

  it('calls a 5xx on the feed post ambiguous and a duplicate rejected', async () => {
    sim.setFaults({ serverError: { count: 1 } });
    expect((await failure(adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' }))).kind).toBe(
      'ambiguous',
    );
    await adapter().publish(makePost({ text: 'same' }), channel, store, { idempotencyKey: 'a' });
    const duplicate = await failure(
      adapter().publish(makePost({ text: 'same' }), channel, store, { idempotencyKey: 'b' }),
    );
    expect(duplicate).toMatchObject({ kind: 'rejected', details: { platformCode: '506' } });
  });

  it('calls a post accepted but never answered ambiguous, and lookup reconciles it', async () => {
    sim.setFaults({ timeoutAfterAccept: { count: 1 } });
    const post = makePost({ text: 'Lost answer' });
    expect((await failure(adapter(300).publish(post, channel, store, { idempotencyKey: 'k' }))).kind).toBe(
      'ambiguous',
    );
    expect(await adapter().lookup?.(post, channel, store)).toEqual({
      platformPostId: sim.posts[0]?.id,
      platformUrl: sim.posts[0]?.url,
    });
  });

  it('turns a Page token the platform stopped accepting into auth (code 190)', async () => {
    sim.setFaults({ expireTokens: true });
    const error = await failure(adapter().publish(makePost(), channel, store, { idempotencyKey: 'k' }));
    expect(error).toMatchObject({ kind: 'auth', details: { platformCode: '190/463' } });
    expect(await adapter().checkCredentials(channel, store)).toMatchObject({ status: 'invalid' });
  });

  it('never lets the Page token show in logs, errors, results or the simulator request log', async () => {
    const { capture, haystack } = leakWatch();
    const token = store.value.pageAccessToken as string;
    const a = adapter(300);
    const ref = await a.publish(makePost({ text: 'one' }), channel, store, { idempotencyKey: '0' });
    await capture(a.fetchMetrics([{ id: 'x', platformPostId: ref.platformPostId }], channel, store));
    sim.setFaults({ rateLimit: { count: 1, resetSeconds: 60 } });
    await capture(a.publish(makePost({ text: 'two' }), channel, store, { idempotencyKey: '1' }));
    sim.setFaults({ serverError: { count: 1 } });
    await capture(a.publish(makePost({ text: 'three' }), channel, store, { idempotencyKey: '2' }));
    sim.setFaults({ timeoutAfterAccept: { count: 1 } });
    await capture(a.publish(makePost({ text: 'four' }), channel, store, { idempotencyKey: '3' }));
    sim.setFaults({ expireTokens: true });
    await capture(a.publish(makePost({ text: 'five' }), channel, store, { idempotencyKey: '4' }));
    await capture(a.fetchMetrics([{ id: 'x', platformPostId: ref.platformPostId }], channel, store));

    expect(haystack(sim.requests)).toContain('access_token');
    expect(haystack).not.toContain(token);
  });
});
