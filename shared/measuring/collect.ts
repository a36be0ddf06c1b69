import type { Channel, Post } from '../domain/index.ts';
import { type EventPublisher, makeEvent, type PulsecastEvent } from '../events.ts';
import { CredentialsError } from '../platforms/credentials.ts';
import { type CredentialStore, type MetricsReading, PlatformError } from '../platforms/port.ts';
import type { ChannelStore, RateLedger } from '../store/channels.ts';
import type { MeasurementStore, MetricSnapshot } from '../store/measurements.ts';
import type { PostStore } from '../store/posts.ts';
import { chunk, forEachConcurrent } from '../store/retry.ts';
import {
  type Cadence,
  checkpointDueAt,
  DEFAULT_CADENCE,
  failureBackoffMs,
  giveUpAt,
  nextCheckpointIndex,
  readingCheckpoint,
  resolvePending,
} from './cadence.ts';
import {
  type ChannelWork,
  joinsEarly,
  metricsLedgerKey,
  type PlanDeps,
  withMeasuring,
  writePost,
} from './collection-plan.ts';
import { engagementRate, metricDeltas, unchanged } from './snapshot.ts';

export {
  type ChannelWork,
  type CollectionPlan,
  MAX_REQUESTS_PER_CHANNEL,
  metricsLedgerKey,
  type PlanDeps,
  planCollection,
  SWEEP_LIMIT,
} from './collection-plan.ts';

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
  const run: Collection = { deps, cadence, summary };
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
    await delayAll(posts, run, {
      reason: `channel '${work.channel}' no longer exists`,
      failure: true,
    });
    return summary;
  }
  const adapter = deps.adapterFor(channel.platform);
  const blockedUntil = await ledgerBlock(channel.id, deps.store, startedAt);
  if (blockedUntil) {
    summary.stoppedBy = 'rate-limit';
    await delayAll(posts, run, {
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
      await onFetchFailure(error, rest, channel, run);
      break;
    }
    await recordReadings(batch, readings, channel, run);
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
  run: Collection,
): Promise<void> {
  const { deps, summary } = run;
  const now = deps.now();
  if (error instanceof PlatformError && error.kind === 'rate-limited') {
    const until = new Date(now.getTime() + (error.details.retryAfterSeconds ?? 60) * 1000).toISOString();
    await deps.store.putRateLedger({
      channel: metricsLedgerKey(channel.id),
      blockedUntil: until,
      updatedAt: now.toISOString(),
    });
    summary.stoppedBy = 'rate-limit';
    await delayAll(posts, run, { reason: error.message, until, failure: false });
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
  await delayAll(posts, run, { reason, failure: true });
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

/** What the steps of one channel's collection share: the dependencies, the cadence, the summary they add to. */
interface Collection {
  deps: CollectDeps;
  cadence: Cadence;
  summary: ChannelSummary;
}

/**
 * Moves posts' readings later without touching the pending checkpoint. `until` (a rate limit's
 * reset) applies as is; a failure backs off per post by its failures in a row, and a post whose
 * last checkpoint is long past is given up instead.
 */
async function delayAll(
  posts: Post[],
  run: Collection,
  how: { reason: string; until?: string; failure: boolean },
): Promise<void> {
  const { deps, cadence, summary } = run;
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
  run: Collection,
): Promise<void> {
  const { deps, cadence, summary } = run;
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
    await delayAll(missing, run, {
      reason: `${channel.platform} returned no reading for the post`,
      failure: true,
    });
  }
}
