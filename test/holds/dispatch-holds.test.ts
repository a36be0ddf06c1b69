import { beforeEach, describe, expect, it } from 'vitest';
import { cancelPost, editPost } from '../../shared/calendar/edit.ts';
import type { Hold } from '../../shared/domain/hold.ts';
import type { PulsecastEvent } from '../../shared/events.ts';
import { releaseHold } from '../../shared/holds/holds.ts';
import { claimDuePosts } from '../../shared/publishing/dispatch.ts';
import { publishBatch, recordOutcomes } from '../../shared/publishing/publish.ts';
import { noCredentials, RecordingEvents, runDispatcher, TestClock } from '../support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { RecordingAdapter } from '../support/recording-adapter.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
let clock: TestClock;
let store: MemoryStore;
let events: RecordingEvents;
let adapter: RecordingAdapter;
const adapterFor = () => adapter;

function hold(overrides: Partial<Hold> = {}): Hold {
  return {
    id: 'crisis',
    scope: 'all',
    reason: 'a false claim is spreading',
    createdAt: new Date(clock.ms).toISOString(),
    createdBy: 'test',
    version: 1,
    ...overrides,
  };
}

/** One Dispatcher run per minute from now until `minutes` later, as the schedule starts them. */
async function runFor(minutes: number): Promise<void> {
  const start = clock.ms;
  for (let minute = 0; minute <= minutes; minute++) {
    clock.set(new Date(start + minute * 60_000).toISOString());
    await runDispatcher(`run-${clock.ms}`, { store, adapter, events, clock });
  }
}

const heldEvents = () =>
  events.events.filter((event): event is PulsecastEvent<'Posts Held'> => event.type === 'Posts Held');

beforeEach(async () => {
  clock = new TestClock(T0);
  store = new MemoryStore();
  events = new RecordingEvents();
  adapter = new RecordingAdapter(() => 'ok', clock.now);
  await store.putChannel(makeChannel({ id: 'x-main' }));
  await store.putChannel(makeChannel({ id: 'bsky-main', platform: 'bluesky' }));
});

describe('the Claim step under a crisis hold', () => {
  it('holds what is due in scope, leaves what is not due yet, and claims what is out of scope', async () => {
    await store.createPosts([
      makePost({ id: 'overdue', channel: 'x-main', scheduledAt: at(-1) }),
      makePost({ id: 'soon', channel: 'x-main', scheduledAt: at(1) }),
      makePost({ id: 'other-channel', channel: 'bsky-main', scheduledAt: at(0) }),
    ]);
    await store.createHold(hold({ scope: { channels: ['x-main'], campaigns: [] } }));

    const result = await claimDuePosts('exec-1', { store, now: clock.now, events });

    expect(result).toMatchObject({ claimed: 1, held: 1 });
    expect(store.posts.get('overdue')).toMatchObject({
      status: 'HELD',
      holdIds: ['crisis'],
      heldBy: 'exec-1',
      heldAt: at(0),
      version: 2,
    });
    expect(store.posts.get('overdue')?.claimedBy).toBeUndefined();
    expect(store.posts.get('soon')?.status).toBe('SCHEDULED');
    expect(store.posts.get('other-channel')?.status).toBe('QUEUED');
    expect(heldEvents().map((event) => event.detail)).toMatchObject([
      { holdIds: ['crisis'], posts: [{ postId: 'overdue', channel: 'x-main', scheduledAt: at(-1) }] },
    ]);
  });

  it('covers a campaign wherever its posts are, and posts of other campaigns go out', async () => {
    await store.createPosts([
      makePost({ id: 'launch-1', channel: 'bsky-main', campaign: 'launch', scheduledAt: at(0) }),
      makePost({ id: 'evergreen', channel: 'bsky-main', campaign: 'evergreen', scheduledAt: at(0) }),
      makePost({ id: 'no-campaign', channel: 'bsky-main', scheduledAt: at(0) }),
    ]);
    await store.createHold(hold({ scope: { channels: [], campaigns: ['launch'] } }));

    await runFor(1);

    expect(store.posts.get('launch-1')?.status).toBe('HELD');
    expect(store.posts.get('evergreen')?.status).toBe('PUBLISHED');
    expect(store.posts.get('no-campaign')?.status).toBe('PUBLISHED');
    expect(adapter.accepted.has('launch-1')).toBe(false);
  });

  it('reads the holds once per step, and not at all when nothing is due', async () => {
    await store.createHold(hold());
    await claimDuePosts('empty', { store, now: clock.now, events });
    expect(store.holdStore.reads).toBe(0);

    await store.createPosts(
      Array.from({ length: 40 }, (_, i) => makePost({ id: `p${i}`, scheduledAt: at(0) })),
    );
    const result = await claimDuePosts('busy', { store, now: clock.now, events });
    expect(result.held).toBe(40);
    expect(store.holdStore.reads).toBe(1);
  });
});

describe('a hold racing a claim', () => {
  it('stops a post claimed just before the hold began: the Publish step sees the hold, no platform call', async () => {
    await store.createPosts([makePost({ id: 'racing', scheduledAt: at(0.5) })]);
    // The hold is written between the Claim step's read of the holds and its claim write.
    let started = false;
    store.beforeWrite = (what) => {
      if (what === 'replacePost' && !started) {
        started = true;
        store.holdStore.holds.set('crisis', hold());
      }
    };
    const claim = await claimDuePosts('exec-1', { store, now: clock.now, events });
    store.beforeWrite = () => undefined;
    expect(claim.claimed).toBe(1);
    expect(store.posts.get('racing')?.status).toBe('QUEUED');

    const [batch] = claim.batches;
    clock.set(batch!.notBefore);
    const outcomes = await publishBatch(batch!, {
      store,
      adapterFor,
      credentials: noCredentials,
      now: clock.now,
    });
    expect(outcomes).toEqual([{ postId: 'racing', kind: 'held', holdIds: ['crisis'] }]);
    const summary = await recordOutcomes(batch!, outcomes, { store, events, adapterFor, now: clock.now });
    // A retried record step writes nothing again and announces the same fact under the same id.
    await recordOutcomes(batch!, outcomes, { store, events, adapterFor, now: clock.now });

    expect(summary).toMatchObject({ held: 1, published: 0 });
    expect(adapter.calls).toBe(0);
    expect(store.posts.get('racing')).toMatchObject({ status: 'HELD', heldBy: 'exec-1', version: 3 });
    const ids = heldEvents().map((event) => event.detail.eventId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  it('publishes a post whose Publish step read the holds before the hold was written (the documented edge)', async () => {
    await store.createPosts([makePost({ id: 'edge', scheduledAt: at(0) })]);
    const claim = await claimDuePosts('exec-1', { store, now: clock.now, events });
    // The hold lands after the Publish step's one read, before its QUEUED → PUBLISHING write.
    const read = store.listHolds.bind(store);
    store.listHolds = async () => {
      const holds = await read();
      store.holdStore.holds.set(
        'late',
        hold({ id: 'late', createdAt: new Date(clock.ms + 1).toISOString() }),
      );
      return holds;
    };
    const outcomes = await publishBatch(claim.batches[0]!, {
      store,
      adapterFor,
      credentials: noCredentials,
      now: clock.now,
    });
    expect(outcomes[0]?.kind).toBe('published');
    // It was due before the hold began: that is the only kind of post that can get through.
    expect(Date.parse(store.posts.get('edge')!.scheduledAt)).toBeLessThan(
      Date.parse(store.holdStore.holds.get('late')!.createdAt),
    );
  });
});

describe('releasing a hold', () => {
  it('stops publishing within one run, leaves overdue posts HELD after release, and posts out of scope go out on time', async () => {
    await store.createPosts([
      makePost({ id: 'during-1', channel: 'x-main', scheduledAt: at(2) }),
      makePost({ id: 'during-2', channel: 'x-main', scheduledAt: at(3.5) }),
      makePost({ id: 'outside', channel: 'bsky-main', scheduledAt: at(3) }),
      makePost({ id: 'after', channel: 'x-main', scheduledAt: at(12) }),
    ]);
    await store.createHold(hold({ scope: { channels: ['x-main'], campaigns: [] } }));

    await runFor(6);
    expect(store.posts.get('during-1')?.status).toBe('HELD');
    expect(store.posts.get('during-2')?.status).toBe('HELD');
    expect(store.posts.get('outside')?.status).toBe('PUBLISHED');
    expect(adapter.acceptedAt.get('outside')?.toISOString()).toBe(at(3));

    await releaseHold('crisis', 'test', { store, now: clock.now });
    await runFor(8);

    expect(store.posts.get('during-1')?.status).toBe('HELD');
    expect(store.posts.get('during-2')?.status).toBe('HELD');
    expect(adapter.accepted.has('during-1')).toBe(false);
    expect(adapter.accepted.has('during-2')).toBe(false);
    expect(adapter.acceptedAt.get('after')?.toISOString()).toBe(at(12));
  });

  it('holds a post that fell due during the hold even if no run saw it before the release', async () => {
    await store.createPosts([makePost({ id: 'unseen', scheduledAt: at(0.5) })]);
    await store.createHold(hold({ createdAt: at(0) }));
    clock.set(at(0.9));
    await releaseHold('crisis', 'test', { store, now: clock.now });

    await runFor(1);

    expect(store.posts.get('unseen')).toMatchObject({ status: 'HELD', holdIds: ['crisis'] });
    expect(adapter.calls).toBe(0);
  });

  it('lets a person reschedule a held post (a new round) or cancel it', async () => {
    await store.createPosts([
      makePost({ id: 'keep', scheduledAt: at(0) }),
      makePost({ id: 'drop', scheduledAt: at(0) }),
    ]);
    await store.createHold(hold());
    await runFor(0);
    await releaseHold('crisis', 'test', { store, now: clock.now });

    const { post } = await editPost('keep', { scheduledAt: at(30) }, { store, now: clock.now });
    expect(post).toMatchObject({ status: 'SCHEDULED', scheduledAt: at(30), publishRound: 1 });
    expect(post.holdIds).toBeUndefined();
    expect((await cancelPost('drop', { store, now: clock.now })).status).toBe('CANCELLED');

    await runFor(31);
    expect(adapter.accepted.get('keep')).toBe(1);
    expect(adapter.accepted.has('drop')).toBe(false);
  });
});
