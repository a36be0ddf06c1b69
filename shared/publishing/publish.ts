import type { Hold } from '../domain/hold.ts';
import { type Channel, canTransition, type Post, type PostStatus } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { announcing, type EventPublisher, makeEvent, type PulsecastEvent } from '../events.ts';
import { heldPost, postsHeldEvents, stoppedBy } from '../holds/gate.ts';
import { CredentialsError } from '../platforms/credentials.ts';
import {
  type CredentialStore,
  type PlatformAdapter,
  PlatformError,
  type PublishedRef,
} from '../platforms/port.ts';
import type { ChannelStore, RateLedger } from '../store/channels.ts';
import type { HoldStore } from '../store/holds.ts';
import type { PostStore } from '../store/posts.ts';
import type { DispatchBatch } from './dispatch.ts';
import { failedEvents, postRef, publishedEvent, unknownEvent } from './post-events.ts';

/** Attempts that definitely did not reach the platform before a post is given up as FAILED. */

export const MAX_ATTEMPTS = 5;
/** When an UNKNOWN post is looked up again on the platform (a platform's search may lag). */
export const RECONCILE_DELAYS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000];

/** What the publish step learned about one post. It changes nothing; the record step does. */
export type PublishOutcome =
  | {
      postId: string;
      kind: 'published';
      platformPostId: string;
      platformUrl: string;
      publishedAt: string;
      /** How late the platform call returned, after the post's `scheduledAt` (for the metrics). */
      latenessSeconds: number;
    }
  | { postId: string; kind: 'failed'; errorKind: string; reason: string; needsAttention?: boolean }
  | {
      postId: string;
      kind: 'retry';
      errorKind: string;
      reason: string;
      notBefore: string;
      countsAsAttempt: boolean;
    }
  | { postId: string; kind: 'unknown'; reason: string }
  | { postId: string; kind: 'skipped'; reason: string }
  /** A crisis hold covers it: no platform call was made; the record step makes it HELD. */
  | { postId: string; kind: 'held'; holdIds: string[] };

export interface PublishDeps {
  store: PostStore & ChannelStore & HoldStore;
  adapterFor: (platform: Channel['platform']) => PlatformAdapter;
  credentials: CredentialStore;
  now: () => Date;
}

export interface RecordDeps {
  store: PostStore & ChannelStore;
  events: EventPublisher;
  adapterFor: (platform: Channel['platform']) => PlatformAdapter;
  now: () => Date;
}

/** Stable for every attempt of one round; a person's reschedule starts a round with a fresh key. */
export const idempotencyKey = (post: Pick<Post, 'id' | 'publishRound'>) =>
  post.publishRound ? `pulsecast-${post.id}-r${post.publishRound}` : `pulsecast-${post.id}`;

/**
 * The publish step: for each post of the batch still claimed by this execution, QUEUED →
 * PUBLISHING (conditional), then exactly one platform call. It never retries a call itself and
 * never records a result: if it dies after the platform accepted a post, the post is left
 * PUBLISHING and the record step (or the lease sweep) makes it UNKNOWN — never a second call.
 */
export async function publishBatch(batch: DispatchBatch, deps: PublishDeps): Promise<PublishOutcome[]> {
  const channelOf = channelCache(deps.store);
  // The holds, read once for the batch before any post moves to PUBLISHING (shared/holds/gate.ts):
  // a post claimed just before a hold began is stopped here, before its platform call.
  const holds = await deps.store.listHolds();
  const settled = await Promise.allSettled(
    batch.postIds.map((postId) => publishOne(postId, batch.executionId, deps, channelOf, holds)),
  );
  // One post's failure (a throttled write, say) must not lose the others' outcomes. Its own
  // outcome is unknown: the record step releases it if no call began, or keeps it UNKNOWN.
  return settled.map((result, i) =>
    result.status === 'fulfilled'
      ? result.value
      : {
          postId: batch.postIds[i] as string,
          kind: 'unknown',
          reason: `publish step failed: ${describe(result.reason)}`,
        },
  );
}

/**
 * A batch's posts are usually on a few channels: read each channel once per batch, not once per
 * post (the same holds in the record step).
 */
function channelCache(store: ChannelStore): (id: string) => Promise<Channel | undefined> {
  const channels = new Map<string, Promise<Channel | undefined>>();
  return (id) => {
    let channel = channels.get(id);
    if (!channel) {
      channel = store.getChannel(id);
      channels.set(id, channel);
    }
    return channel;
  };
}

async function publishOne(
  postId: string,
  executionId: string,
  deps: PublishDeps,
  channelOf: (id: string) => Promise<Channel | undefined>,
  holds: readonly Hold[],
): Promise<PublishOutcome> {
  const post = await deps.store.getPost(postId);
  if (post?.status !== 'QUEUED' || post.claimedBy !== executionId) {
    return {
      postId,
      kind: 'skipped',
      reason: `not QUEUED for ${executionId} (is ${post?.status ?? 'missing'})`,
    };
  }
  const holdIds = stoppedBy(post, holds, deps.now());
  if (holdIds) return { postId, kind: 'held', holdIds };
  const channel = await channelOf(post.channel);
  if (!channel) {
    return {
      postId,
      kind: 'failed',
      errorKind: 'channel',
      reason: `channel '${post.channel}' no longer exists`,
    };
  }
  const adapter = deps.adapterFor(channel.platform);
  const findings = adapter.validate(post).filter((finding) => finding.severity === 'error');
  if (findings.length > 0) {
    return {
      postId,
      kind: 'failed',
      errorKind: 'validation',
      reason: findings.map((f) => f.message).join('; '),
    };
  }

  const now = deps.now();
  const ledger = await deps.store.getRateLedger(channel.id);
  const blockedUntil = ledgerBlock(ledger, now);
  if (blockedUntil) {
    return {
      postId,
      kind: 'retry',
      errorKind: 'rate-limit-ledger',
      reason: `the ${channel.platform} rate limit for '${channel.id}' is used up until ${blockedUntil}`,
      notBefore: blockedUntil,
      countsAsAttempt: false,
    };
  }

  const publishing: Post = {
    ...post,
    status: 'PUBLISHING',
    version: post.version + 1,
    updatedAt: now.toISOString(),
  };
  try {
    await deps.store.replacePost(publishing, post.version, ['QUEUED']);
  } catch (error) {
    if (error instanceof VersionConflictError)
      return { postId, kind: 'skipped', reason: 'changed while publishing' };
    throw error;
  }

  let ref: PublishedRef;
  try {
    ref = await adapter.publish(publishing, channel, deps.credentials, {
      idempotencyKey: idempotencyKey(post),
    });
  } catch (error) {
    return classify(postId, error, channel, deps);
  }
  const publishedAt = deps.now().toISOString();
  if (ref.rateLimit) {
    await deps.store.putRateLedger({ channel: channel.id, ...ref.rateLimit, updatedAt: publishedAt });
  }
  return {
    postId,
    kind: 'published',
    platformPostId: ref.platformPostId,
    platformUrl: ref.platformUrl,
    publishedAt,
    latenessSeconds: (Date.parse(publishedAt) - Date.parse(publishing.scheduledAt)) / 1000,
  };
}

/** The instant the channel's ledger says nothing may be sent before, if that is in the future. */
function ledgerBlock(ledger: RateLedger | undefined, now: Date): string | undefined {
  if (!ledger) return undefined;
  const nowIso = now.toISOString();
  if (ledger.blockedUntil && ledger.blockedUntil > nowIso) return ledger.blockedUntil;
  if (ledger.remaining === 0 && ledger.resetAt && ledger.resetAt > nowIso) return ledger.resetAt;
  return undefined;
}

async function classify(
  postId: string,
  error: unknown,
  channel: Channel,
  deps: PublishDeps,
): Promise<PublishOutcome> {
  const now = deps.now();
  if (error instanceof CredentialsError) {
    return { postId, kind: 'failed', errorKind: 'auth', reason: error.message, needsAttention: true };
  }
  if (!(error instanceof PlatformError)) {
    // An unexpected failure inside the adapter: we cannot tell whether the request left.
    return {
      postId,
      kind: 'unknown',
      reason: `unexpected error during the platform call: ${describe(error)}`,
    };
  }
  switch (error.kind) {
    case 'ambiguous':
      return { postId, kind: 'unknown', reason: error.message };
    case 'rejected':
      return { postId, kind: 'failed', errorKind: 'rejected', reason: error.message };
    case 'auth':
      return { postId, kind: 'failed', errorKind: 'auth', reason: error.message, needsAttention: true };
    case 'rate-limited': {
      const seconds = error.details.retryAfterSeconds ?? 60;
      const notBefore = new Date(now.getTime() + seconds * 1000).toISOString();
      await deps.store.putRateLedger({
        channel: channel.id,
        blockedUntil: notBefore,
        updatedAt: now.toISOString(),
      });
      return {
        postId,
        kind: 'retry',
        errorKind: 'rate-limited',
        reason: error.message,
        notBefore,
        countsAsAttempt: false,
      };
    }
    case 'unavailable': {
      const notBefore = new Date(now.getTime() + 30_000).toISOString();
      return {
        postId,
        kind: 'retry',
        errorKind: 'unavailable',
        reason: error.message,
        notBefore,
        countsAsAttempt: true,
      };
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export interface RecordSummary {
  published: number;
  failed: number;
  rescheduled: number;
  unknown: number;
  skipped: number;
  held: number;
}

/**
 * The record step: applies each outcome as a conditional transition and announces it. Safe to
 * retry: a post already in its outcome's state is not written again, only re-announced (events
 * are at least once; `eventId` lets consumers drop the repeat). Posts of the batch with no
 * outcome (the publish step died) are released if no call began, or made UNKNOWN if one may have.
 */
export async function recordOutcomes(
  batch: DispatchBatch,
  outcomes: readonly PublishOutcome[] | undefined,
  deps: RecordDeps,
): Promise<RecordSummary> {
  const byId = new Map((outcomes ?? []).map((outcome) => [outcome.postId, outcome]));
  const summary: RecordSummary = {
    published: 0,
    failed: 0,
    rescheduled: 0,
    unknown: 0,
    skipped: 0,
    held: 0,
  };
  const channelOf = channelCache(deps.store);
  // What was written is announced even when a later write fails and the step is retried.
  await announcing(deps.events, async (events) => {
    const held: Post[] = [];
    try {
      for (const postId of batch.postIds) {
        const outcome = byId.get(postId) ?? {
          postId,
          kind: 'unknown' as const,
          reason: 'the publish step failed before reporting this post',
        };
        if (outcome.kind === 'held') {
          const post = await recordHeld(outcome, batch.executionId, deps);
          summary[post ? 'held' : 'skipped']++;
          if (post) held.push(post);
          continue;
        }
        const result = await recordOne(outcome, batch.executionId, deps, channelOf);
        summary[result.counted]++;
        events.push(...result.events);
      }
    } finally {
      events.push(...postsHeldEvents(held, deps.now()));
    }
  });
  return summary;
}

async function recordOne(
  outcome: Exclude<PublishOutcome, { kind: 'held' }>,
  executionId: string,
  deps: RecordDeps,
  channelOf: (id: string) => Promise<Channel | undefined>,
): Promise<{ counted: keyof RecordSummary; events: PulsecastEvent[] }> {
  const skip = { counted: 'skipped' as const, events: [] };
  const post = await deps.store.getPost(outcome.postId);
  if (!post || outcome.kind === 'skipped') return skip;
  const channel = await channelOf(post.channel);
  const platform = channel?.platform ?? 'x';
  const now = deps.now().toISOString();
  const ref = postRef(post, platform);
  const ours = post.claimedBy === executionId;

  if (outcome.kind === 'published') {
    // Already recorded by an earlier attempt of this step: announce again, write nothing.
    if (post.status === 'PUBLISHED' && post.platformPostId === outcome.platformPostId) {
      return { counted: 'published', events: [publishedEvent(post, ref)] };
    }
    if (post.status !== 'PUBLISHING' || !ours) return skip;
    const published: Post = {
      ...withoutClaim(post),
      status: 'PUBLISHED',
      platformPostId: outcome.platformPostId,
      platformUrl: outcome.platformUrl,
      publishedAt: outcome.publishedAt,
      version: post.version + 1,
      updatedAt: now,
    };
    await write(deps.store, published, post, ['PUBLISHING']);
    return { counted: 'published', events: [publishedEvent(published, ref)] };
  }

  if (outcome.kind === 'failed') {
    if (post.status === 'FAILED' && post.failureReason === outcome.reason) {
      return { counted: 'failed', events: failedEvents(outcome, ref, now, post.publishRound) };
    }
    if (!(post.status === 'QUEUED' || post.status === 'PUBLISHING') || !ours) return skip;
    const failed: Post = {
      ...withoutClaim(post),
      status: 'FAILED',
      failureReason: outcome.reason,
      version: post.version + 1,
      updatedAt: now,
    };
    await write(deps.store, failed, post, ['QUEUED', 'PUBLISHING']);
    return { counted: 'failed', events: failedEvents(outcome, ref, now, post.publishRound) };
  }

  if (outcome.kind === 'retry') {
    if (!(post.status === 'QUEUED' || post.status === 'PUBLISHING') || !ours) return skip;
    const attempts = (post.attempts ?? 0) + (outcome.countsAsAttempt ? 1 : 0);
    if (attempts >= MAX_ATTEMPTS) {
      return recordOne(
        {
          postId: post.id,
          kind: 'failed',
          errorKind: outcome.errorKind,
          reason: `gave up after ${attempts} attempts: ${outcome.reason}`,
        },
        executionId,
        deps,
        channelOf,
      );
    }
    const moved: Post = {
      ...withoutClaim(post),
      status: 'SCHEDULED',
      scheduledAt: outcome.notBefore,
      attempts,
      version: post.version + 1,
      updatedAt: now,
    };
    await write(deps.store, moved, post, ['QUEUED', 'PUBLISHING']);
    const delaySeconds = Math.max(
      0,
      Math.round((Date.parse(outcome.notBefore) - Date.parse(post.scheduledAt)) / 1000),
    );
    return {
      counted: 'rescheduled',
      events: [
        makeEvent('Post Rescheduled', {
          ...ref,
          eventId: `${post.id}:rescheduled:${post.version + 1}`,
          occurredAt: now,
          reason: outcome.reason,
          previousScheduledAt: post.scheduledAt,
          scheduledAt: outcome.notBefore,
          delaySeconds,
        }),
      ],
    };
  }

  // unknown: a call may have reached the platform. QUEUED means no call began: release it.
  if (post.status === 'QUEUED' && ours) {
    const released: Post = {
      ...withoutClaim(post),
      status: 'SCHEDULED',
      version: post.version + 1,
      updatedAt: now,
    };
    await write(deps.store, released, post, ['QUEUED']);
    return { counted: 'rescheduled', events: [] };
  }
  if (post.status === 'UNKNOWN') return { counted: 'unknown', events: [unknownEvent(post, ref, now)] };
  if (post.status !== 'PUBLISHING' || !ours) return skip;
  const adapter = channel ? deps.adapterFor(channel.platform) : undefined;
  const reconcilable = adapter?.capabilities.lookup === true && adapter.lookup !== undefined;
  const unknown: Post = {
    ...withoutClaim(post),
    status: 'UNKNOWN',
    failureReason: outcome.reason,
    ...(reconcilable
      ? {
          reconcileAt: new Date(Date.parse(now) + (RECONCILE_DELAYS_MS[0] ?? 60_000)).toISOString(),
          reconcileAttempts: 0,
        }
      : {}),
    version: post.version + 1,
    updatedAt: now,
  };
  await write(deps.store, unknown, post, ['PUBLISHING']);
  return { counted: 'unknown', events: [unknownEvent(unknown, ref, now)] };
}

/**
 * A post the publish step stopped for a crisis hold: QUEUED → HELD (no platform call was made).
 * A retry finds it HELD by this execution already and announces it again under the same id.
 */
async function recordHeld(
  outcome: Extract<PublishOutcome, { kind: 'held' }>,
  executionId: string,
  deps: RecordDeps,
): Promise<Post | undefined> {
  const post = await deps.store.getPost(outcome.postId);
  if (post?.status === 'HELD' && post.heldBy === executionId) return post;
  if (post?.status !== 'QUEUED' || post.claimedBy !== executionId) return undefined;
  const held = heldPost(
    post,
    outcome.holdIds.map((id) => ({ id })),
    deps.now(),
    executionId,
  );
  await write(deps.store, held, post, ['QUEUED']);
  return held;
}

export function withoutClaim(post: Post): Post {
  const { claimedBy: _by, claimedAt: _at, leaseUntil: _lease, ...rest } = post;
  return rest;
}

/** Every status change goes through the lifecycle table and a conditional write. */
export async function write(store: PostStore, next: Post, current: Post, from: PostStatus[]): Promise<void> {
  if (next.status !== current.status && !canTransition(current.status, next.status, 'system')) {
    throw new Error(`post ${current.id}: ${current.status} → ${next.status} is not an allowed transition`);
  }
  await store.replacePost(next, current.version, from);
}
