import { beforeEach, describe, expect, it } from 'vitest';
import { cancelPost, editPost, settlePost } from '../../shared/calendar/edit.ts';
import { canTransition, POST_STATUSES, type Post, type PostStatus } from '../../shared/domain/index.ts';
import { ConflictError, ValidationError, VersionConflictError } from '../../shared/errors.ts';
import type { CredentialStore, PublishContext, PublishedRef } from '../../shared/platforms/port.ts';
import { platformPostIdFromUrl } from '../../shared/platforms/post-url.ts';
import { DUE_KINDS } from '../../shared/store/keys.ts';
import { RecordingEvents, runDispatcher, TestClock } from '../support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { type CallFault, RecordingAdapter } from '../support/recording-adapter.ts';

/** Remembers the idempotency key of every platform call. */
class KeyRecordingAdapter extends RecordingAdapter {
  readonly keys: string[] = [];
  override async publish(
    post: Post,
    channel: Parameters<RecordingAdapter['publish']>[1],
    credentials: CredentialStore,
    context?: PublishContext,
  ): Promise<PublishedRef> {
    this.keys.push(context?.idempotencyKey ?? '');
    return super.publish(post, channel, credentials);
  }
}

const DUE = '2026-12-10T09:00:00.000Z';
let store: MemoryStore;
let clock: TestClock;
let events: RecordingEvents;

beforeEach(async () => {
  store = new MemoryStore();
  clock = new TestClock(Date.parse('2026-12-10T08:00:00.000Z'));
  events = new RecordingEvents();
  await store.putChannel(makeChannel({ id: 'x-main', platform: 'x', handle: '@pulsecast' }));
  await store.putChannel(
    makeChannel({ id: 'bsky-main', platform: 'bluesky', handle: 'pulsecast.bsky.social' }),
  );
});

async function dispatchWith(faults: CallFault[]): Promise<KeyRecordingAdapter> {
  const adapter = new KeyRecordingAdapter(() => faults.shift() ?? 'ok', clock.now);
  clock.set(DUE);
  clock.ms += 60_000;
  await runDispatcher(`exec-${clock.ms}`, { store, adapter, events, clock });
  return adapter;
}

async function post(id = 'post-1'): Promise<Post> {
  return (await store.getPost(id)) as Post;
}

describe('the lifecycle table', () => {
  it('gives a person only the settling moves, and the pipeline only its own', () => {
    const person: [PostStatus, PostStatus][] = [];
    for (const from of POST_STATUSES)
      for (const to of POST_STATUSES) if (canTransition(from, to, 'person')) person.push([from, to]);
    expect(person).toEqual([
      ['SCHEDULED', 'CANCELLED'],
      ['SCHEDULED', 'PENDING_APPROVAL'],
      ['FAILED', 'SCHEDULED'],
      ['FAILED', 'CANCELLED'],
      ['FAILED', 'PENDING_APPROVAL'],
      ['UNKNOWN', 'PUBLISHED'],
      ['UNKNOWN', 'FAILED'],
      ['UNKNOWN', 'CANCELLED'],
      ['HELD', 'SCHEDULED'],
      ['HELD', 'CANCELLED'],
      ['HELD', 'PENDING_APPROVAL'],
      // Approvals (test/approvals): a person's review moves, never a claim or a publish.
      ['PENDING_APPROVAL', 'SCHEDULED'],
      ['PENDING_APPROVAL', 'CANCELLED'],
      ['APPROVAL_MISSED', 'SCHEDULED'],
      ['APPROVAL_MISSED', 'CANCELLED'],
      ['APPROVAL_MISSED', 'PENDING_APPROVAL'],
    ]);
    expect(canTransition('FAILED', 'SCHEDULED', 'system')).toBe(false);
    // A crisis hold never lifts itself: only a person moves a HELD post on.
    expect(canTransition('HELD', 'SCHEDULED', 'system')).toBe(false);
    expect(canTransition('UNKNOWN', 'PUBLISHED', 'system')).toBe(true);
  });
});

describe('settling a FAILED post', () => {
  it('reschedules it in a new round with a fresh idempotency key, and it is published once', async () => {
    await store.createPosts([makePost({ scheduledAt: DUE })]);
    const first = await dispatchWith(['reject']);
    expect(await post()).toMatchObject({ status: 'FAILED' });

    clock.ms += 3_600_000;
    const at = new Date(clock.ms + 3_600_000).toISOString();
    const { post: rescheduled } = await editPost('post-1', { scheduledAt: at }, { store, now: clock.now });
    expect(rescheduled).toMatchObject({ status: 'SCHEDULED', scheduledAt: at, publishRound: 1, attempts: 0 });
    expect(rescheduled.failureReason).toBeUndefined();

    clock.set(at);
    const adapter = new KeyRecordingAdapter(() => 'ok', clock.now);
    clock.ms += 60_000;
    await runDispatcher('exec-again', { store, adapter, events, clock });

    expect(await post()).toMatchObject({ status: 'PUBLISHED', platformPostId: 'rec-post-1' });
    expect(adapter.accepted.get('post-1')).toBe(1);
    expect(first.keys).toEqual(['pulsecast-post-1']);
    expect(adapter.keys).toEqual(['pulsecast-post-1-r1']);
    // Each round's failure is its own event: a second failure would not be dropped as a repeat.
    expect(events.events.map((e) => e.detail.eventId)).toContain('post-1:failed');
  });

  it('refuses a reschedule without a new time, one at a stale version, and a second one that lost', async () => {
    await store.createPosts([makePost({ scheduledAt: DUE })]);
    await dispatchWith(['reject']);
    const failed = await post();
    const later = new Date(clock.ms + 3_600_000).toISOString();

    await expect(editPost('post-1', { text: 'fixed' }, { store, now: clock.now })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(
      editPost('post-1', { scheduledAt: later, version: failed.version - 1 }, { store, now: clock.now }),
    ).rejects.toBeInstanceOf(VersionConflictError);

    await editPost('post-1', { scheduledAt: later, version: failed.version }, { store, now: clock.now });
    const again = editPost(
      'post-1',
      { scheduledAt: later, version: failed.version },
      { store, now: clock.now },
    );
    await expect(again).rejects.toMatchObject({ status: 409 });
    expect(await post()).toMatchObject({ status: 'SCHEDULED', publishRound: 1 });
  });

  it('cancels it', async () => {
    await store.createPosts([makePost({ scheduledAt: DUE })]);
    await dispatchWith(['reject']);
    expect(await cancelPost('post-1', { store, now: clock.now })).toMatchObject({ status: 'CANCELLED' });
    expect(await cancelPost('post-1', { store, now: clock.now })).toMatchObject({ status: 'CANCELLED' });
  });

  it('cannot be marked published: it definitely did not go out', async () => {
    await store.createPosts([makePost({ scheduledAt: DUE })]);
    await dispatchWith(['reject']);
    const settled = settlePost(
      'post-1',
      { outcome: 'published', url: 'https://x.com/pulsecast/status/1234' },
      { store, now: clock.now },
    );
    await expect(settled).rejects.toMatchObject({ status: 409, extensions: { currentStatus: 'FAILED' } });
  });
});

describe('settling an UNKNOWN post', () => {
  async function unknownPost(channel = 'x-main'): Promise<Post> {
    await store.createPosts([makePost({ scheduledAt: DUE, channel })]);
    await dispatchWith(['lost-then-timeout']);
    const current = await post();
    expect(current.status).toBe('UNKNOWN');
    return current;
  }

  it('marks it PUBLISHED with the id read from its URL, due for metrics from then on', async () => {
    const current = await unknownPost();
    const url = 'https://x.com/pulsecast/status/1850000000000000001';
    const settled = await settlePost(
      'post-1',
      { outcome: 'published', url, version: current.version },
      { store, now: clock.now },
    );
    expect(settled).toMatchObject({
      status: 'PUBLISHED',
      platformPostId: '1850000000000000001',
      platformUrl: url,
      publishedAt: DUE,
      settledBy: 'person',
    });
    expect(settled.reconcileAt).toBeUndefined();
    // The Collector finds it in the due index like any published post.
    const due = await store.dueWork(DUE_KINDS.metrics, new Date(clock.ms + 1000).toISOString(), {
      limit: 10,
    });
    expect(due.items.map((p) => p.id)).toEqual(['post-1']);
    // Saying it again is a no-op; saying something else is a 409.
    expect(await settlePost('post-1', { outcome: 'published', url }, { store, now: clock.now })).toEqual(
      settled,
    );
    await expect(
      settlePost('post-1', { outcome: 'failed', reason: 'no' }, { store, now: clock.now }),
    ).rejects.toMatchObject({ status: 409, extensions: { currentStatus: 'PUBLISHED' } });
  });

  it('refuses a URL of another platform, or of another account, with a 422 that says what fits', async () => {
    await unknownPost('bsky-main');
    const settle = (url: string) =>
      settlePost('post-1', { outcome: 'published', url }, { store, now: clock.now });
    await expect(settle('https://x.com/pulsecast/status/1234')).rejects.toBeInstanceOf(ValidationError);
    await expect(settle('https://x.com/pulsecast/status/1234')).rejects.toMatchObject({
      issues: [{ column: 'url', message: expect.stringContaining('https://bsky.app/profile/') }],
    });
    await expect(settle('https://bsky.app/profile/someone.else/post/3kabc')).rejects.toMatchObject({
      status: 422,
    });
    expect(await post()).toMatchObject({ status: 'UNKNOWN' });
    expect(await settle('https://bsky.app/profile/pulsecast.bsky.social/post/3kabc22')).toMatchObject({
      platformPostId: 'at://pulsecast.bsky.social/app.bsky.feed.post/3kabc22',
    });
  });

  it('marks it FAILED with a reason, at the version read only', async () => {
    const current = await unknownPost();
    await expect(
      settlePost(
        'post-1',
        { outcome: 'failed', reason: 'not there', version: current.version + 1 },
        {
          store,
          now: clock.now,
        },
      ),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(
      await settlePost('post-1', { outcome: 'failed', reason: 'not there' }, { store, now: clock.now }),
    ).toMatchObject({ status: 'FAILED', failureReason: 'not there', settledBy: 'person' });
  });
  it('is never retried before a person says it is not live: a reschedule is refused until it is settled as failed', async () => {
    const current = await unknownPost();
    const later = new Date(clock.ms + 3_600_000).toISOString();
    const refused = await editPost('post-1', { scheduledAt: later }, { store, now: clock.now }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).message).toMatch(/settle it first/);
    expect((refused as ConflictError).extensions).toMatchObject({ currentStatus: 'UNKNOWN' });
    expect((await post()).version).toBe(current.version);

    await settlePost(
      'post-1',
      { outcome: 'failed', reason: 'not on the timeline' },
      { store, now: clock.now },
    );
    const { post: rescheduled } = await editPost('post-1', { scheduledAt: later }, { store, now: clock.now });
    expect(rescheduled.status).toBe('SCHEDULED');
  });
});

describe('reading a post id from its URL', () => {
  const on = (platform: Parameters<typeof platformPostIdFromUrl>[0]['platform'], handle = '@pulsecast') => ({
    platform,
    handle,
  });
  it.each([
    [on('x'), 'https://x.com/pulsecast/status/123', '123'],
    [on('x'), 'https://twitter.com/i/web/status/456/', '456'],
    [
      on('bluesky', 'a.bsky.social'),
      'https://bsky.app/profile/did:plc:abc/post/3kx',
      'at://did:plc:abc/app.bsky.feed.post/3kx',
    ],
    [on('mastodon', '@alice@fosstodon.org'), 'https://fosstodon.org/@alice/1130', '1130'],
    [on('mastodon'), 'http://127.0.0.1:4000/@demo/77', '77'],
    [on('linkedin'), 'https://www.linkedin.com/feed/update/urn:li:share:789/', 'urn:li:share:789'],
    [on('facebook'), 'https://www.facebook.com/100/posts/200', '100_200'],
  ])('%o %s → %s', (channel, url, id) => {
    expect(platformPostIdFromUrl(channel, url)).toEqual({ ok: true, platformPostId: id });
  });

  it.each([
    [on('x'), 'https://bsky.app/profile/a/post/3kx'],
    [on('mastodon'), 'https://x.com/pulsecast/status/123'],
    [on('linkedin'), 'https://www.linkedin.com/in/someone'],
    [on('instagram'), 'https://www.instagram.com/p/Cabc123/'],
    [on('x'), 'not a url'],
  ])('%o refuses %s', (channel, url) => {
    expect(platformPostIdFromUrl(channel, url).ok).toBe(false);
  });
});
