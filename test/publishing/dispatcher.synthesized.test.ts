import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Post } from '../../shared/domain/index.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { type AcceptingDispatcher, startAcceptingDispatcher } from '../support/local-dispatcher.ts';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
let local: AcceptingDispatcher;

beforeAll(async () => {
  local = await startAcceptingDispatcher(T0, [makeChannel({ id: 'x-main' })]);
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

/** A deterministic spread of `n` instants over `minutes`, starting `offsetMs` after T0. */
function spread(n: number, minutes: number, offsetMs: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const jitter = (i * 7919) % 1000; // sub-second parts too
    return new Date(T0 + offsetMs + Math.floor((i * minutes * 60_000) / n) + jitter).toISOString();
  });
}

describe('the synthesized Dispatcher, run locally against dynalite', () => {
  it('publishes 500 posts due across 10 minutes exactly once, each within 1 s of its time', async () => {
    const posts: Post[] = spread(500, 10, 3 * 60_000).map((scheduledAt, i) =>
      makePost({ id: `burst-${i}`, scheduledAt, text: `Post ${i}` }),
    );
    await local.store.createPosts(posts);

    const cancel = local.runner.scheduleEvery(60_000, {}, { startMs: T0 });
    await local.clock.advanceTo(T0 + 16 * 60_000);
    cancel();

    const stored = await local.store.getPosts(posts.map((post) => post.id));
    for (const post of posts) {
      expect(local.adapter.accepted.get(post.id), post.id).toBe(1);
      const lateness = (local.adapter.acceptedAt.get(post.id)?.getTime() ?? 0) - Date.parse(post.scheduledAt);
      expect(lateness, `${post.id} lateness ${lateness} ms`).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThanOrEqual(1000);
      expect(stored.get(post.id)).toMatchObject({ status: 'PUBLISHED', platformPostId: `rec-${post.id}` });
    }
    expect(local.events.events.filter((event) => event.type === 'Post Published')).toHaveLength(500);
    const failed = local.runner.executions.filter((execution) => execution.status !== 'SUCCEEDED');
    expect(failed).toEqual([]);
  }, 120_000);

  it('publishes a post edited before its claim with the new text at the new time, and never a cancelled one', async () => {
    const start = local.clock.nowMs();
    const edited = makePost({
      id: 'edited',
      scheduledAt: new Date(start + 10 * 60_000).toISOString(),
      text: 'old',
    });
    const cancelled = makePost({ id: 'cancelled', scheduledAt: new Date(start + 5 * 60_000).toISOString() });
    await local.store.createPosts([edited, cancelled]);
    await local.store.replacePost(
      { ...edited, text: 'new', scheduledAt: new Date(start + 7 * 60_000).toISOString(), version: 2 },
      1,
      ['SCHEDULED'],
    );
    await local.store.replacePost({ ...cancelled, status: 'CANCELLED', version: 2 }, 1, ['SCHEDULED']);

    const cancel = local.runner.scheduleEvery(60_000, {}, { startMs: start });
    await local.clock.advanceTo(start + 12 * 60_000);
    cancel();

    expect(local.adapter.accepted.get('edited')).toBe(1);
    expect(local.adapter.acceptedAt.get('edited')?.getTime()).toBe(start + 7 * 60_000);
    expect((await local.store.getPost('edited'))?.text).toBe('new');
    expect(local.adapter.accepted.has('cancelled')).toBe(false);
  }, 60_000);

  it('fans out to another Dispatcher when more posts are due than one execution claims', async () => {
    const start = local.clock.nowMs();
    const at = new Date(start + 90_000).toISOString();
    const burst = Array.from({ length: 1600 }, (_, i) =>
      makePost({ id: `same-second-${i}`, scheduledAt: at, text: `B${i}` }),
    );
    await local.store.createPosts(burst);
    const before = local.runner.executions.length;

    const cancel = local.runner.scheduleEvery(60_000, {}, { startMs: start });
    await local.clock.advanceTo(start + 3 * 60_000);
    cancel();

    for (const post of burst) {
      expect(local.adapter.accepted.get(post.id)).toBe(1);
      expect(local.adapter.acceptedAt.get(post.id)?.getTime()).toBe(Date.parse(at));
    }
    // Two schedule ticks plus at least one fan-out execution.
    expect(local.runner.executions.length - before).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
