import type { Channel, Platform, Post } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { type EventPublisher, makeEvent, type PulsecastEvent } from '../events.ts';
import { CredentialsError } from '../platforms/credentials.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  PlatformError,
} from '../platforms/port.ts';
import type { ChannelStore, RateLedger } from '../store/channels.ts';
import { DUE_KINDS } from '../store/keys.ts';
import type { MeasurementStore, MetricSnapshot } from '../store/measurements.ts';
import type { PostStore } from '../store/posts.ts';
import { chunk, forEachConcurrent } from '../store/retry.ts';
import {
  type Cadence,
  checkpointDueAt,
  DEFAULT_CADENCE,
  earlyToleranceMs,
  failureBackoffMs,
  firstCheckpoint,
  giveUpAt,
  nextCheckpointIndex,
  readingCheckpoint,
  resolvePending,
} from './cadence.ts';
import { engagementRate, metricDeltas, unchanged } from './snapshot.ts';

/**
 * The Collector's two steps (infra/constructs/measuring.ts has the state machine):
 *
 * 1. {@link planCollection}: one Query of the due index for posts whose metrics checkpoint is due,
 *    grouped per channel. Newly published posts get their first checkpoint planned here.
 * 2. {@link collectChannel}, once per channel (a Map iteration): the channel's posts are read in
 *    the adapter's batch size, one request per batch, one batch after the other, so the channel's
 *    rate limit is spent by one reader at a time; each reading becomes a snapshot, an event and
 *    the post's next checkpoint.
 *
 * Everything is idempotent, because Step Functions retries a step and schedules overlap: a
 * snapshot is written only if its post has none for that checkpoint, a post only at the version
 * read, and a post whose checkpoint was taken meanwhile is skipped.
 */

/** Posts one sweep takes from the due index (their ids travel in the execution's state: ≤ 256 KB). */
export const SWEEP_LIMIT = 2_000;
/** Requests one channel step makes at most; the rest waits for the next sweep, still due. */
export const MAX_REQUESTS_PER_CHANNEL = 25;
/** Where the Collector keeps what a channel's metrics reads learned about its rate limit. */
export const metricsLedgerKey = (channelId: string) => `${channelId}#metrics`;

export interface PlanDeps {
  store: PostStore & ChannelStore;
  adapterFor: (platform: Platform) => PlatformAdapter;
  now: () => Date;
  cadence?: Cadence;
}

/** One channel's share of a sweep: a Map iteration. */
export interface ChannelWork {
  channel: string;
  /** Due posts first, then posts that join early to fill the last request. */
  postIds: string[];
  due: number;
  early: number;
}

export interface CollectionPlan {
  channels: ChannelWork[];
  /** Posts due now across all channels (planned or not). */
  due: number;
  /** Posts that got their first checkpoint planned. */
  planned: number;
  /** More was due than this sweep takes (the next one continues). */
  more: boolean;
}

/**
 * Reads the due index and groups what is due per channel. A channel with nothing due is not read
 * at all, but a channel that is read anyway takes along posts whose checkpoint is close (see
 * cadence.ts): the request is going out, and it holds up to the adapter's batch size.
 */
export async function planCollection(
  deps: PlanDeps,
  options: { limit?: number } = {},
): Promise<CollectionPlan> {
  const cadence = deps.cadence ?? DEFAULT_CADENCE;
  const now = deps.now();
  const nowIso = now.toISOString();
  const until = new Date(now.getTime() + cadence.earlyMaxMs).toISOString();
  const limit = options.limit ?? SWEEP_LIMIT;

  const found: Post[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.dueWork(DUE_KINDS.metrics, until, {
      limit: Math.min(500, limit - found.length),
      ...(cursor ? { cursor } : {}),
    });
    found.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && found.length < limit);
  let more = cursor !== undefined;

  // Just published: plan the first checkpoint (a conditional write; a lost race means another
  // sweep planned it). Those already due are collected in this same sweep.
  let planned = 0;
  const candidates: Post[] = [];
  await forEachConcurrent(found, 8, async (post) => {
    if (post.nextMetricsAt !== undefined) {
      candidates.push(post);
      return;
    }
    const next = await planFirstCheckpoint(post, cadence, now, deps.store);
    if (next) {
      planned += 1;
      if (next.nextMetricsAt !== undefined) candidates.push(next);
    }
  });

  type Entry = { post: Post; due: boolean };
  const byChannel = new Map<string, Entry[]>();
  let due = 0;
  for (const post of candidates) {
    const at = post.nextMetricsAt as string;
    const isDue = at <= nowIso;
    if (!isDue && !joinsEarly(post, cadence, now)) continue;
    if (isDue) due += 1;
    const list = byChannel.get(post.channel) ?? [];
    list.push({ post, due: isDue });
    byChannel.set(post.channel, list);
  }

  const channels = await deps.store.getChannels([...byChannel.keys()]);
  const work: ChannelWork[] = [];
  for (const [channelId, entries] of [...byChannel].sort(([a], [b]) => a.localeCompare(b))) {
    const dueEntries = entries.filter((e) => e.due).sort(byNextMetrics);
    if (dueEntries.length === 0) continue;
    const channel = channels.get(channelId);
    const batchSize = channel
      ? Math.max(1, deps.adapterFor(channel.platform).capabilities.metricsBatchSize)
      : 1;
    const cap = batchSize * MAX_REQUESTS_PER_CHANNEL;
    const taken = dueEntries.slice(0, cap);
    if (dueEntries.length > cap) more = true;
    const room = Math.min(cap, Math.ceil(taken.length / batchSize) * batchSize) - taken.length;
    const early = entries
      .filter((e) => !e.due)
      .sort(byNextMetrics)
      .slice(0, room);
    work.push({
      channel: channelId,
      postIds: [...taken, ...early].map((e) => e.post.id),
      due: taken.length,
      early: early.length,
    });
  }
  return { channels: work, due, planned, more };
}

function byNextMetrics(a: { post: Post }, b: { post: Post }): number {
  return (
    (a.post.nextMetricsAt ?? '').localeCompare(b.post.nextMetricsAt ?? '') ||
    a.post.id.localeCompare(b.post.id)
  );
}

/**
 * A post not yet due may join a request made anyway when its checkpoint is close — but only at
 * its planned time: a post moved later (rate limit, failure) waits as it was told.
 */
function joinsEarly(post: Post, cadence: Cadence, now: Date): boolean {
  if (!post.publishedAt || !post.nextMetricsAt) return false;
  const index = resolvePending(cadence, post.publishedAt, {
    ...(post.metricsCheckpoint ? { name: post.metricsCheckpoint } : {}),
    dueAt: post.nextMetricsAt,
  });
  if (index === undefined) return false;
  if (checkpointDueAt(cadence, post.publishedAt, index) !== post.nextMetricsAt) return false;
  return Date.parse(post.nextMetricsAt) - now.getTime() <= earlyToleranceMs(cadence, index);
}

async function planFirstCheckpoint(
  post: Post,
  cadence: Cadence,
  now: Date,
  store: PostStore,
): Promise<Post | undefined> {
  if (post.status !== 'PUBLISHED' || !post.publishedAt) return undefined;
  const nowIso = now.toISOString();
  const first = firstCheckpoint(cadence, post.publishedAt);
  const next: Post =
    nowIso > giveUpAt(cadence, post.publishedAt)
      ? // Published long before measuring could see it: its checkpoints are history already.
        withMeasuring(post, nowIso, {
          metricsStatus: 'complete',
          metricsError: 'published before its metrics could be collected; its checkpoints had passed',
        })
      : withMeasuring(post, nowIso, {
          metricsStatus: 'collecting',
          nextMetricsAt: first.dueAt,
          metricsCheckpoint: cadence.checkpoints[first.index]?.name,
        });
  return (await writePost(next, post, store)) ? next : undefined;
}

type MeasuringFields = Pick<
  Post,
  | 'metricsStatus'
  | 'nextMetricsAt'
  | 'metricsCheckpoint'
  | 'metricsStableCount'
  | 'metricsFailures'
  | 'metricsError'
  | 'latestMetrics'
>;
const MEASURING_FIELDS = [
  'metricsStatus',
  'nextMetricsAt',
  'metricsCheckpoint',
  'metricsStableCount',
  'metricsFailures',
  'metricsError',
  'latestMetrics',
] as const satisfies readonly (keyof MeasuringFields)[];

/**
 * The post with its measuring fields replaced by `fields` (those not given are kept, those given
 * as undefined are removed) and its version bumped: every write is conditional on the old one.
 */
function withMeasuring(post: Post, nowIso: string, fields: Partial<MeasuringFields>): Post {
  const next: Post = { ...post, version: post.version + 1, updatedAt: nowIso };
  for (const name of MEASURING_FIELDS) {
    if (!(name in fields)) continue;
    const value = fields[name];
    if (value === undefined) delete next[name];
    else (next as Record<string, unknown>)[name] = value;
  }
  return next;
}

// --------------------------------------------------------------------------------------------
// The channel step
// --------------------------------------------------------------------------------------------

export interface CollectDeps extends PlanDeps {
  store: PostStore & ChannelStore & MeasurementStore;
  events: EventPublisher;
  credentials: CredentialStore;
  /** Asked before each further request; true when the step's time is nearly up. */
  shouldStop?: () => boolean;
}

export interface ChannelSummary {
  channel: string;
  /** Requests made (batches; an adapter may split one when the platform needs it). */
  requests: number;
  collected: number;
  deleted: number;
  /** Moved later: rate limit or platform failure. */
  delayed: number;
  /** No longer due when read again (taken by an overlapping run, or changed meanwhile). */
  skipped: number;
  /** Left due for the next sweep because the step ran out of time. */
  deferred: number;
  /** Why the channel's reading stopped early, if it did. */
  stoppedBy?: 'rate-limit' | 'platform-error' | 'time' | 'channel-missing';
}

/**
 * Reads one channel's due posts, in the adapter's batch size, and records each reading. Honors
 * the channel's rate-limit ledgers first (the publishing ledger — a blocked account is not asked
 * for numbers either — and the Collector's own). A 429 blocks the Collector's ledger until the
 * platform's reset and moves the rest of the channel's posts there; any other failure moves them
 * by a growing backoff. In both cases the pending checkpoint stays the same: nothing is lost,
 * only read later. The Collector never writes the publishing ledger: a metrics read hitting its
 * limit must not hold back a post that is due to go out.
 */
export async function collectChannel(work: ChannelWork, deps: CollectDeps): Promise<ChannelSummary> {
  const cadence = deps.cadence ?? DEFAULT_CADENCE;
  const summary: ChannelSummary = {
    channel: work.channel,
    requests: 0,
    collected: 0,
    deleted: 0,
    delayed: 0,
    skipped: 0,
    deferred: 0,
  };
  const startedAt = deps.now();
  const stored = await deps.store.getPosts(work.postIds);
  const posts: Post[] = [];
  for (const id of work.postIds) {
    const post = stored.get(id);
    if (post && stillWanted(post, cadence, startedAt)) posts.push(post);
    else summary.skipped += 1;
  }
  if (posts.length === 0) return summary;

  const channel = await deps.store.getChannel(work.channel);
  if (!channel) {
    summary.stoppedBy = 'channel-missing';
    await delayAll(posts, deps, cadence, summary, {
      reason: `channel '${work.channel}' no longer exists`,
      failure: true,
    });
    return summary;
  }
  const adapter = deps.adapterFor(channel.platform);
  const blockedUntil = await ledgerBlock(channel.id, deps.store, startedAt);
  if (blockedUntil) {
    summary.stoppedBy = 'rate-limit';
    await delayAll(posts, deps, cadence, summary, {
      reason: `the ${channel.platform} rate limit of '${channel.id}' is used up until ${blockedUntil}`,
      until: blockedUntil,
      failure: false,
    });
    return summary;
  }

  const batches = chunk(posts, Math.max(1, adapter.capabilities.metricsBatchSize));
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i] as Post[];
    if (i > 0 && deps.shouldStop?.()) {
      summary.stoppedBy = 'time';
      summary.deferred += batches.slice(i).flat().length;
      break;
    }
    let readings: MetricsReading[];
    try {
      summary.requests += 1;
      readings = await adapter.fetchMetrics(
        batch.map((post) => ({
          id: post.id,
          platformPostId: post.platformPostId as string,
          ...(post.publishedAt ? { publishedAt: post.publishedAt } : {}),
        })),
        channel,
        deps.credentials,
      );
    } catch (error) {
      const rest = batches.slice(i).flat();
      await onFetchFailure(error, rest, channel, deps, cadence, summary);
      break;
    }
    await recordReadings(batch, readings, channel, deps, cadence, summary);
  }
  return summary;
}

/** Still pending, and (read again, consistently) still due or close enough to join early. */
function stillWanted(post: Post, cadence: Cadence, now: Date): boolean {
  if (post.status !== 'PUBLISHED' || !post.platformPostId || !post.publishedAt) return false;
  if (post.metricsStatus !== 'collecting' || !post.nextMetricsAt) return false;
  return post.nextMetricsAt <= now.toISOString() || joinsEarly(post, cadence, now);
}

/** The instant before which nothing goes to the platform for this channel, if one is in force. */
async function ledgerBlock(channelId: string, store: ChannelStore, now: Date): Promise<string | undefined> {
  const nowIso = now.toISOString();
  const ledgers = await Promise.all([
    store.getRateLedger(channelId),
    store.getRateLedger(metricsLedgerKey(channelId)),
  ]);
  const blocks = ledgers.flatMap((ledger: RateLedger | undefined) => {
    if (!ledger) return [];
    const until: string[] = [];
    if (ledger.blockedUntil && ledger.blockedUntil > nowIso) until.push(ledger.blockedUntil);
    if (ledger.remaining === 0 && ledger.resetAt && ledger.resetAt > nowIso) until.push(ledger.resetAt);
    return until;
  });
  return blocks.sort().at(-1);
}

async function onFetchFailure(
  error: unknown,
  posts: Post[],
  channel: Channel,
  deps: CollectDeps,
  cadence: Cadence,
  summary: ChannelSummary,
): Promise<void> {
  const now = deps.now();
  if (error instanceof PlatformError && error.kind === 'rate-limited') {
    const until = new Date(now.getTime() + (error.details.retryAfterSeconds ?? 60) * 1000).toISOString();
    await deps.store.putRateLedger({
      channel: metricsLedgerKey(channel.id),
      blockedUntil: until,
      updatedAt: now.toISOString(),
    });
    summary.stoppedBy = 'rate-limit';
    await delayAll(posts, deps, cadence, summary, { reason: error.message, until, failure: false });
    return;
  }
  const auth = error instanceof CredentialsError || (error instanceof PlatformError && error.kind === 'auth');
  const reason = error instanceof Error ? error.message : String(error);
  if (!(error instanceof PlatformError) && !(error instanceof CredentialsError)) {
    // Not a failure the adapter classified (a bug, an answer it could not read): the posts back
    // off like after any failure, and the cause goes to the log, where someone will look.
    console.error(
      JSON.stringify({
        level: 'ERROR',
        message: 'metrics read failed unexpectedly',
        channel: channel.id,
        error:
          error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : reason,
      }),
    );
  }
  summary.stoppedBy = 'platform-error';
  await delayAll(posts, deps, cadence, summary, { reason, failure: true });
  if (auth) {
    await deps.events.publish([
      makeEvent('Channel Needs Attention', {
        // One a day per channel at most from the Collector: the hourly health check says more.
        eventId: `${channel.id}:attention:metrics:${now.toISOString().slice(0, 10)}`,
        occurredAt: now.toISOString(),
        channel: channel.id,
        platform: channel.platform,
        reason: `metrics could not be read: ${reason}`,
      }),
    ]);
  }
}

/**
 * Moves posts' readings later without touching the pending checkpoint. `until` (a rate limit's
 * reset) applies as is; a failure backs off per post by its failures in a row, and a post whose
 * last checkpoint is long past is given up instead.
 */
async function delayAll(
  posts: Post[],
  deps: CollectDeps,
  cadence: Cadence,
  summary: ChannelSummary,
  how: { reason: string; until?: string; failure: boolean },
): Promise<void> {
  const now = deps.now();
  const nowIso = now.toISOString();
  await forEachConcurrent(posts, 8, async (post) => {
    const failures = (post.metricsFailures ?? 0) + (how.failure ? 1 : 0);
    const until = how.until ?? new Date(now.getTime() + failureBackoffMs(failures)).toISOString();
    const giveUp =
      how.failure && post.publishedAt !== undefined && nowIso > giveUpAt(cadence, post.publishedAt);
    const next = giveUp
      ? withMeasuring(post, nowIso, {
          metricsStatus: 'complete',
          nextMetricsAt: undefined,
          metricsCheckpoint: undefined,
          metricsError: `gave up after ${failures} failed readings: ${how.reason}`,
        })
      : withMeasuring(post, nowIso, {
          nextMetricsAt: post.nextMetricsAt && post.nextMetricsAt > until ? post.nextMetricsAt : until,
          metricsError: how.reason,
          ...(how.failure ? { metricsFailures: failures } : {}),
        });
    if (await writePost(next, post, deps.store)) summary.delayed += 1;
    else summary.skipped += 1;
  });
}

/**
 * Records one batch's readings: snapshots first, then their events, then the posts' next
 * checkpoints. If the step dies between, its retry finds the snapshots (the conditional put
 * returns the stored one), announces them again (events are at least once, with stable ids) and
 * moves the posts on: nothing is written twice and nothing announced is left unrecorded.
 */
async function recordReadings(
  batch: Post[],
  readings: MetricsReading[],
  channel: Channel,
  deps: CollectDeps,
  cadence: Cadence,
  summary: ChannelSummary,
): Promise<void> {
  const now = deps.now();
  const nowIso = now.toISOString();
  const byPost = new Map(readings.map((reading) => [reading.postId, reading]));
  const writes: { next: Post; current: Post; kind: 'collected' | 'deleted' }[] = [];
  const events: PulsecastEvent[] = [];
  const missing: Post[] = [];

  await forEachConcurrent(batch, 8, async (post) => {
    const reading = byPost.get(post.id);
    if (!reading) {
      missing.push(post);
      return;
    }
    if (reading.status === 'deleted') {
      writes.push({
        current: post,
        kind: 'deleted',
        next: withMeasuring(post, nowIso, {
          metricsStatus: 'deleted',
          nextMetricsAt: undefined,
          metricsCheckpoint: undefined,
          metricsFailures: undefined,
          metricsError: `deleted on ${channel.platform}; noticed ${nowIso}`,
        }),
      });
      return;
    }
    const publishedAt = post.publishedAt as string;
    const pending = resolvePending(cadence, publishedAt, {
      ...(post.metricsCheckpoint ? { name: post.metricsCheckpoint } : {}),
      dueAt: post.nextMetricsAt as string,
    });
    if (pending === undefined) {
      writes.push({
        current: post,
        kind: 'collected',
        next: withMeasuring(post, nowIso, {
          metricsStatus: 'complete',
          nextMetricsAt: undefined,
          metricsCheckpoint: undefined,
        }),
      });
      return;
    }
    const { index, covers } = readingCheckpoint(cadence, publishedAt, pending, now);
    const checkpoint = cadence.checkpoints[index]?.name as string;
    const rate = engagementRate(reading.metrics);
    const candidate: MetricSnapshot = {
      postId: post.id,
      checkpoint,
      dueAt: checkpointDueAt(cadence, publishedAt, index),
      collectedAt: nowIso,
      metrics: reading.metrics,
      ...(rate ?? {}),
      ...(covers.length > 0 ? { covers } : {}),
      raw: reading.raw ?? null,
    };
    const { snapshot } = await deps.store.putSnapshot(candidate);
    const previous = post.latestMetrics?.metrics;
    const stable = unchanged(snapshot.metrics, previous) ? (post.metricsStableCount ?? 0) + 1 : 0;
    const nextIndex = nextCheckpointIndex(cadence, index, stable);
    const next = nextIndex === undefined ? undefined : cadence.checkpoints[nextIndex];
    writes.push({
      current: post,
      kind: 'collected',
      next: withMeasuring(post, nowIso, {
        metricsStatus: next ? 'collecting' : 'complete',
        nextMetricsAt: next ? checkpointDueAt(cadence, publishedAt, nextIndex as number) : undefined,
        metricsCheckpoint: next?.name,
        metricsStableCount: stable,
        metricsFailures: undefined,
        metricsError: undefined,
        latestMetrics: {
          checkpoint: snapshot.checkpoint,
          collectedAt: snapshot.collectedAt,
          metrics: snapshot.metrics,
          ...(snapshot.engagementRate !== undefined ? { engagementRate: snapshot.engagementRate } : {}),
          ...(snapshot.engagementRateBasis ? { engagementRateBasis: snapshot.engagementRateBasis } : {}),
        },
      }),
    });
    events.push(
      makeEvent('Post Metrics Collected', {
        eventId: `${post.id}:metrics:${snapshot.checkpoint}`,
        occurredAt: snapshot.collectedAt,
        postId: post.id,
        channel: post.channel,
        platform: channel.platform,
        scheduledAt: post.scheduledAt,
        ...(post.campaign ? { campaign: post.campaign } : {}),
        checkpoint: snapshot.checkpoint,
        metrics: snapshot.metrics as Record<string, number>,
        deltas: metricDeltas(snapshot.metrics, previous) as Record<string, number>,
        collectedAt: snapshot.collectedAt,
        publishedAt,
        platformPostId: post.platformPostId as string,
        ...(snapshot.engagementRate !== undefined ? { engagementRate: snapshot.engagementRate } : {}),
        ...(snapshot.engagementRateBasis ? { engagementRateBasis: snapshot.engagementRateBasis } : {}),
        ...(snapshot.covers ? { covers: snapshot.covers } : {}),
      }),
    );
  });

  await deps.events.publish(events);
  await forEachConcurrent(writes, 8, async ({ next, current, kind }) => {
    if (!(await writePost(next, current, deps.store))) summary.skipped += 1;
    else if (kind === 'deleted') summary.deleted += 1;
    else summary.collected += 1;
  });
  if (missing.length > 0) {
    await delayAll(missing, deps, cadence, summary, {
      reason: `${channel.platform} returned no reading for the post`,
      failure: true,
    });
  }
}

/** A conditional write at the version read; false when someone changed the post meanwhile. */
async function writePost(next: Post, current: Post, store: PostStore): Promise<boolean> {
  try {
    await store.replacePost(next, current.version, ['PUBLISHED']);
    return true;
  } catch (error) {
    // An overlapping run took this checkpoint (or something else changed the post): the next
    // sweep reads it fresh, and finds any snapshot written here through the conditional put.
    if (error instanceof VersionConflictError) return false;
    throw error;
  }
}
