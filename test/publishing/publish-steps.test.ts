import { beforeEach, describe, expect, it } from 'vitest';
import { claimDuePosts, LEASE_MS } from '../../shared/publishing/dispatch.ts';
import { publishBatch, recordOutcomes } from '../../shared/publishing/publish.ts';
import { recoverStalled } from '../../shared/publishing/recover.ts';
import { noCredentials, RecordingEvents, runDispatcher, TestClock } from '../support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { type CallFault, RecordingAdapter } from '../support/recording-adapter.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
let clock: TestClock;
let store: MemoryStore;
let events: RecordingEvents;
let faults: CallFault[];
let adapter: RecordingAdapter;
const adapterFor = () => adapter;

beforeEach(async () => {
  clock = new TestClock(T0);
  store = new MemoryStore();
  events = new RecordingEvents();
  faults = [];
  adapter = new RecordingAdapter(() => faults.shift() ?? 'ok', clock.now);
  await store.putChannel(makeChannel({ id: 'x-main' }));
});

const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('claiming', () => {
  it('claims only posts due before the next run starts, once, in per-second batches', async () => {
    await store.createPosts([
      makePost({ id: 'a', scheduledAt: at(0.25) }),
      makePost({ id: 'b', scheduledAt: at(0.25) }),
      makePost({ id: 'c', scheduledAt: at(0.75) }),
      // Due the instant the next run starts: that run publishes it without waiting.
      makePost({ id: 'next-run', scheduledAt: at(1) }),
      makePost({ id: 'later', scheduledAt: at(5) }),
    ]);
    const first = await claimDuePosts('exec-1', { store, now: clock.now });
    const second = await claimDuePosts('exec-2', { store, now: clock.now });

    expect(first.batches).toEqual([
      { executionId: 'exec-1', notBefore: '2026-12-01T10:00:15Z', postIds: ['a', 'b'] },
      { executionId: 'exec-1', notBefore: '2026-12-01T10:00:45Z', postIds: ['c'] },
    ]);
    expect(second.claimed).toBe(0);
    expect(store.posts.get('a')).toMatchObject({
      status: 'QUEUED',
      claimedBy: 'exec-1',
      leaseUntil: new Date(T0 + LEASE_MS).toISOString(),
    });
    expect(store.posts.get('next-run')?.status).toBe('SCHEDULED');
    expect(store.posts.get('later')?.status).toBe('SCHEDULED');
  });

  it('reports more when the due posts exceed what one execution claims', async () => {
    await store.createPosts(
      Array.from({ length: 5 }, (_, i) => makePost({ id: `p${i}`, scheduledAt: at(0.5) })),
    );
    const result = await claimDuePosts('exec-1', { store, now: clock.now }, { limit: 3 });
    expect(result).toMatchObject({ claimed: 3, more: true });
  });
});

describe('rate limits', () => {
  it('moves a post by the platform’s Retry-After on a 429, records the block, and reports the move', async () => {
    await store.createPosts([
      makePost({ id: 'a', scheduledAt: at(0.5) }),
      makePost({ id: 'b', scheduledAt: at(0.5) }),
    ]);
    faults = ['rate-limit'];
    const { batches } = await claimDuePosts('exec-1', { store, now: clock.now });
    clock.set(at(0.5));
    const [batch] = batches;
    const outcomes = await publishBatch(batch!, {
      store,
      adapterFor,
      credentials: noCredentials,
      now: clock.now,
    });
    await recordOutcomes(batch!, outcomes, { store, events, adapterFor, now: clock.now });

    const moved = [...store.posts.values()].find((post) => post.status === 'SCHEDULED');
    expect(moved?.scheduledAt).toBe(new Date(T0 + 30_000 + 90_000).toISOString());
    expect(store.ledgers.get('x-main')?.blockedUntil).toBe(moved?.scheduledAt);
    const [rescheduled] = events.events.filter((event) => event.type === 'Post Rescheduled');
    expect(rescheduled?.detail).toMatchObject({
      postId: moved?.id,
      delaySeconds: 90,
      previousScheduledAt: at(0.5),
    });
  });

  it('moves posts the ledger says would exceed the limit, without calling the platform', async () => {
    await store.putRateLedger({ channel: 'x-main', remaining: 0, resetAt: at(4), updatedAt: at(0) });
    await store.createPosts([makePost({ id: 'a', scheduledAt: at(0.5) })]);
    await runDispatcher('exec-1', { store, adapter, events, clock });
    expect(adapter.calls).toBe(0);
    expect(store.posts.get('a')).toMatchObject({ status: 'SCHEDULED', scheduledAt: at(4) });
    clock.set(at(4));
    await runDispatcher('exec-2', { store, adapter, events, clock });
    expect(store.posts.get('a')?.status).toBe('PUBLISHED');
  });
});

describe('failures', () => {
  it('fails a post on expired credentials and asks for the channel to be reconnected', async () => {
    await store.createPosts([makePost({ id: 'a', scheduledAt: at(0.5) })]);
    faults = ['auth'];
    await runDispatcher('exec-1', { store, adapter, events, clock });
    expect(store.posts.get('a')).toMatchObject({ status: 'FAILED', failureReason: 'token expired (401)' });
    expect(events.events.map((event) => event.type)).toEqual(['Post Failed', 'Channel Needs Attention']);
  });

  it('retries a refused connection a bounded number of times, then fails with the reason', async () => {
    await store.createPosts([makePost({ id: 'a', scheduledAt: at(0.5) })]);
    faults = Array(10).fill('unavailable');
    for (let minute = 0; minute < 15; minute++) {
      clock.set(at(minute));
      await runDispatcher(`exec-${minute}`, { store, adapter, events, clock });
    }
    expect(adapter.calls).toBe(5);
    expect(store.posts.get('a')).toMatchObject({
      status: 'FAILED',
      failureReason: expect.stringContaining('gave up after 5 attempts'),
    });
  });
});

describe('recovery', () => {
  it('releases a claim whose Dispatcher died before any platform call, and publishes it once', async () => {
    await store.createPosts([makePost({ id: 'a', scheduledAt: at(0.5) })]);
    await claimDuePosts('dead-exec', { store, now: clock.now });
    clock.set(new Date(T0 + LEASE_MS + 1).toISOString());
    await runDispatcher('exec-2', { store, adapter, events, clock });
    expect(store.posts.get('a')?.status).toBe('PUBLISHED');
    expect(adapter.accepted.get('a')).toBe(1);
  });

  it('turns a call interrupted after the platform accepted it into UNKNOWN, then reconciles it to PUBLISHED', async () => {
    await store.createPosts([makePost({ id: 'a', scheduledAt: at(0.5) })]);
    const { batches } = await claimDuePosts('dead-exec', { store, now: clock.now });
    clock.set(at(0.5));
    await publishBatch(batches[0]!, { store, adapterFor, credentials: noCredentials, now: clock.now }); // no record: died
    clock.set(new Date(T0 + LEASE_MS + 1).toISOString());
    // One sweep: the dead claim becomes UNKNOWN (announced), then the lookup finds the post.
    await recoverStalled({ store, events, adapterFor, credentials: noCredentials, now: clock.now });
    expect(events.events.map((event) => event.type)).toEqual(['Post Outcome Unknown', 'Post Published']);
    expect(events.events[0]).toMatchObject({ detail: { reconcilable: true } });
    expect(store.posts.get('a')).toMatchObject({ status: 'PUBLISHED', platformPostId: 'rec-a' });
    expect(adapter.accepted.get('a')).toBe(1);
  });

  it('keeps a post UNKNOWN, without calling the platform again, when the lookup never finds it', async () => {
    await store.createPosts([makePost({ id: 'a', scheduledAt: at(0.5) })]);
    faults = ['lost-then-timeout'];
    await runDispatcher('exec-1', { store, adapter, events, clock });
    for (let minute = 2; minute < 180; minute += 5) {
      clock.set(at(minute));
      await runDispatcher(`exec-${minute}`, { store, adapter, events, clock });
    }
    expect(adapter.calls).toBe(1);
    expect(store.posts.get('a')).toMatchObject({ status: 'UNKNOWN', reconcileAttempts: 4 });
    expect(store.posts.get('a')?.reconcileAt).toBeUndefined();
  });
});
