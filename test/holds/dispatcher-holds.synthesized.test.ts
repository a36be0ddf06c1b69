import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hold } from '../../shared/domain/hold.ts';
import { releaseHold } from '../../shared/holds/holds.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { type AcceptingDispatcher, startAcceptingDispatcher } from '../support/local-dispatcher.ts';

/**
 * The synthesized Dispatcher (Recover → Claim → Map[Wait → Publish → Record]) on the local runner
 * against dynalite, started every minute on a virtual clock, with a crisis hold written between
 * two runs — and between a run's claim and its publish.
 */
const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
let local: AcceptingDispatcher;

beforeAll(async () => {
  local = await startAcceptingDispatcher(T0, [
    makeChannel({ id: 'x-main' }),
    makeChannel({ id: 'bsky-main', platform: 'bluesky' }),
  ]);
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

describe('a crisis hold in the synthesized Dispatcher', () => {
  it('stops even a post claimed before the hold, holds what falls due, and lets the rest go out on time', async () => {
    await local.store.createPosts([
      // Claimed by the 09:00 run (due before the next run starts), before the hold exists.
      makePost({ id: 'claimed-before', channel: 'x-main', scheduledAt: at(50), text: 'a' }),
      makePost({ id: 'due-during', channel: 'x-main', scheduledAt: at(200), text: 'b' }),
      makePost({ id: 'other-channel', channel: 'bsky-main', scheduledAt: at(150), text: 'c' }),
      makePost({ id: 'after-release', channel: 'x-main', scheduledAt: at(660), text: 'd' }),
    ]);
    const cancel = local.runner.scheduleEvery(60_000, {}, { startMs: T0 });

    await local.clock.advanceTo(T0 + 30_000);
    const claimed = await local.store.getPost('claimed-before');
    expect(claimed?.status).toBe('QUEUED');
    const hold: Hold = {
      id: 'crisis',
      scope: { channels: ['x-main'], campaigns: [] },
      reason: 'false claim spreading',
      createdAt: at(30),
      createdBy: 'test',
      version: 1,
    };
    await local.store.createHold(hold);

    await local.clock.advanceTo(T0 + 8 * 60_000);
    await releaseHold('crisis', 'test', { store: local.store, now: () => local.clock.now() });
    await local.clock.advanceTo(T0 + 13 * 60_000);
    cancel();

    const stored = await local.store.getPosts([
      'claimed-before',
      'due-during',
      'other-channel',
      'after-release',
    ]);
    // Held by the very run that claimed it: its Publish step saw the hold (QUEUED → HELD).
    expect(stored.get('claimed-before')).toMatchObject({
      status: 'HELD',
      holdIds: ['crisis'],
      heldBy: claimed?.claimedBy,
      heldAt: at(50),
    });
    expect(stored.get('due-during')).toMatchObject({ status: 'HELD', holdIds: ['crisis'] });
    expect(local.adapter.accepted.has('claimed-before')).toBe(false);
    expect(local.adapter.accepted.has('due-during')).toBe(false);
    expect(local.adapter.acceptedAt.get('other-channel')?.toISOString()).toBe(at(150));
    expect(local.adapter.acceptedAt.get('after-release')?.toISOString()).toBe(at(660));
    const held = local.events.events.filter((event) => event.type === 'Posts Held');
    expect(
      held
        .flatMap((event) => (event.detail as { posts: { postId: string }[] }).posts.map((p) => p.postId))
        .sort(),
    ).toEqual(['claimed-before', 'due-during']);
    expect(local.runner.executions.filter((execution) => execution.status !== 'SUCCEEDED')).toEqual([]);
  }, 120_000);
});
