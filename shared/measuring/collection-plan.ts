import type { Platform, Post } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import type { PlatformAdapter } from '../platforms/port.ts';
import type { ChannelStore } from '../store/channels.ts';
import { DUE_KINDS } from '../store/keys.ts';
import type { PostStore } from '../store/posts.ts';
import { forEachConcurrent } from '../store/retry.ts';
import {
  type Cadence,
  checkpointDueAt,
  DEFAULT_CADENCE,
  earlyToleranceMs,
  firstCheckpoint,
  giveUpAt,
  resolvePending,
} from './cadence.ts';

/**
 * The Collector's first step (see collect.ts): which posts' metrics are due, per channel, and the
 * first checkpoint of a post newly published. Also the conditional post write both steps use.
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
export function joinsEarly(post: Post, cadence: Cadence, now: Date): boolean {
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

export type MeasuringFields = Pick<
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
export function withMeasuring(post: Post, nowIso: string, fields: Partial<MeasuringFields>): Post {
  const next: Post = { ...post, version: post.version + 1, updatedAt: nowIso };
  for (const name of MEASURING_FIELDS) {
    if (!(name in fields)) continue;
    const value = fields[name];
    if (value === undefined) delete next[name];
    else (next as Record<string, unknown>)[name] = value;
  }
  return next;
}

/** A conditional write at the version read; false when someone changed the post meanwhile. */
export async function writePost(next: Post, current: Post, store: PostStore): Promise<boolean> {
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
