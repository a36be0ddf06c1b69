import { DateTime } from 'luxon';
import * as z from 'zod';
import type { NormalisedMetrics, Post } from '../domain/index.ts';
import { type EventPublisher, makeEvent } from '../events.ts';
import { engagementRate } from '../measuring/snapshot.ts';
import type { DigestStore } from '../store/notifications.ts';
import { inScope, type NotifyConfig, type Workspace, workspaceTimezone } from './config.ts';
import { describeRecommendation } from './notice.ts';

/**
 * The daily and weekly digest (issue 7 §4): per workspace, what was published and what failed,
 * the best and worst posts with their numbers, each goal against its pace line, and the current
 * recommendations. The digest is built from the store (never from the events it may have missed),
 * stored as data, and announced with `Digest Ready`; the notifier renders and sends it, so a
 * digest goes through the same dedup, retries and dead-letter queue as every other message.
 */

export const DigestPeriod = z.enum(['daily', 'weekly']);
export type DigestPeriod = z.infer<typeof DigestPeriod>;

const Num = z.number().finite();

export const DigestPost = z.object({
  postId: z.string(),
  channel: z.string(),
  /** The channel's handle on its platform ("@acme"), what the team calls it. */
  handle: z.string().optional(),
  platform: z.string(),
  /** The first words of the post, for recognition. */
  excerpt: z.string(),
  publishedAt: z.string().optional(),
  platformUrl: z.string().optional(),
  metrics: z.record(z.string(), Num),
  /** engagements ÷ reach, or ÷ impressions where reach is absent (the measuring stage's rate). */
  engagementRate: Num.optional(),
  measuredAt: z.string().optional(),
});
export type DigestPost = z.infer<typeof DigestPost>;

export const PacePoint = z.object({
  /** Local calendar date (YYYY-MM-DD). */
  date: z.string(),
  /** Where the metric should be by this date to reach the target on time. */
  pace: Num,
  /** Where it was (absent for dates not measured yet or in the future). */
  actual: Num.optional(),
});
export type PacePoint = z.infer<typeof PacePoint>;

export const GoalProgress = z.object({
  campaignId: z.string(),
  campaignName: z.string().optional(),
  goalId: z.string(),
  metric: z.string(),
  direction: z.enum(['atLeast', 'atMost']).default('atLeast'),
  status: z.string(),
  /** Why this status, in words (the same sentence as the report, the alert and the event). */
  reason: z.string().optional(),
  /** The moment the goal was evaluated at: the digest's own end. */
  asOf: z.string().optional(),
  target: Num,
  current: Num,
  /** Expected-by-now value on the pace line. */
  expected: Num,
  forecast: Num.optional(),
  /** The forecast's 80 % band and what it assumed. */
  forecastLow: Num.optional(),
  forecastHigh: Num.optional(),
  assumptions: z.array(z.string()).optional(),
  window: z.object({ from: z.string(), to: z.string() }),
  points: z.array(PacePoint),
});
export type GoalProgress = z.infer<typeof GoalProgress>;

export const DigestRecommendation = z.object({
  campaignId: z.string().optional(),
  title: z.string(),
  detail: z.string().optional(),
  evidence: z.array(z.string()).default([]),
});
export type DigestRecommendation = z.infer<typeof DigestRecommendation>;

export const ChannelCount = z.object({
  channel: z.string(),
  handle: z.string().optional(),
  platform: z.string(),
  published: z.number().int(),
  failed: z.number().int(),
  unknown: z.number().int(),
});

/**
 * A section contributed by another stage (listening, audience, held posts, approvals...). The
 * builder asks every `DigestSectionProvider` for its sections; the renderers show each one the
 * same way: a title, an optional summary line and bullet items (plain text, escaped by the
 * renderer; an item's `url` becomes its link).
 */
export const DigestSection = z.object({
  /** Stable id, one per kind of section: 'listening', 'audience', 'held', 'approvals'... */
  id: z.string(),
  title: z.string(),
  summary: z.string().optional(),
  items: z.array(z.object({ text: z.string(), url: z.string().optional() })).default([]),
});
export type DigestSection = z.infer<typeof DigestSection>;

/** What a section provider is told: the period, the team's zone and the workspace's scope. */
export interface DigestSectionContext {
  from: string;
  to: string;
  timezone: string;
  workspace: Workspace;
}

/** Gives the sections of one stage for a digest's period (empty when it has nothing to say). */
export type DigestSectionProvider = (context: DigestSectionContext) => Promise<DigestSection[]>;

export const Digest = z.object({
  id: z.string(),
  workspaceId: z.string(),
  workspaceName: z.string(),
  period: DigestPeriod,
  timezone: z.string(),
  /** [from, to) in UTC. */
  from: z.string(),
  to: z.string(),
  /** The period in the team's words: "Tue 3 Jun 2025" or "2 – 8 Jun 2025". */
  label: z.string(),
  createdAt: z.string(),
  counts: z.object({
    published: z.number().int(),
    failed: z.number().int(),
    unknown: z.number().int(),
    /** Still ahead, scheduled in the next period of the same length. */
    upcoming: z.number().int(),
  }),
  byChannel: z.array(ChannelCount),
  failures: z.array(
    z.object({
      postId: z.string(),
      channel: z.string(),
      handle: z.string().optional(),
      platform: z.string().optional(),
      excerpt: z.string().optional(),
      reason: z.string(),
    }),
  ),
  /** The metric the top and bottom posts are ranked by. */
  rankedBy: z.string(),
  top: z.array(DigestPost),
  bottom: z.array(DigestPost),
  goals: z.array(GoalProgress),
  recommendations: z.array(DigestRecommendation),
  /** Sections from other stages, in the order of the providers (see `DigestSection`). */
  sections: z.array(DigestSection).default([]),
});
export type Digest = z.infer<typeof Digest>;

// --- the source ---------------------------------------------------------------------------------

/** A post with the latest metrics snapshot it has (none yet right after publishing). */
export interface PostWithMetrics {
  post: Post;
  /** The platform of the post's channel. */
  platform: string;
  /** The channel's handle, when the channel is known. */
  handle?: string;
  metrics?: NormalisedMetrics;
  /** The rate the measuring stage stored with the snapshot, when it did. */
  engagementRate?: number;
  measuredAt?: string;
}

/**
 * What the digest reads. Posts come from the store; metrics snapshots, goal evaluations and
 * recommendations come from the measuring and goals stages (see `source.ts` for the adapter over
 * the store). Everything is filtered to the workspace's scope by the builder.
 */
export interface DigestSource {
  /** Every post scheduled in [from, to), with its latest metrics. */
  posts(from: string, to: string): Promise<PostWithMetrics[]>;
  /** Every goal of every campaign as evaluated at `asOf` (the digest's end), with its pace points. */
  goals(asOf: string): Promise<GoalProgress[]>;
  /** The recommendations current at `asOf` (raw: any shape the goals stage gives). */
  recommendations(asOf: string): Promise<{ campaignId?: string; recommendation: unknown }[]>;
  /** Sections from other stages for the period (optional: none when absent). */
  sections?(context: DigestSectionContext): Promise<DigestSection[]>;
}

// --- the period ---------------------------------------------------------------------------------

export interface DigestWindow {
  from: string;
  to: string;
  label: string;
  /** Local date of the period's first day, part of the digest id. */
  startDate: string;
}

/**
 * The period a digest run covers: the local day (daily) or the seven local days (weekly) that
 * ended at the last local midnight at or before `at`. Computed in the team's zone, so a day is a
 * day even across DST changes (23 or 25 hours), and a late or repeated run covers the same days.
 */
export function digestWindow(period: DigestPeriod, at: Date, timezone: string): DigestWindow {
  const end = DateTime.fromJSDate(at, { zone: timezone }).startOf('day');
  const start = end.minus({ days: period === 'daily' ? 1 : 7 });
  const last = end.minus({ days: 1 });
  const label =
    period === 'daily'
      ? start.toFormat('ccc d LLL yyyy')
      : start.year !== last.year
        ? `${start.toFormat('d LLL yyyy')} – ${last.toFormat('d LLL yyyy')}`
        : start.month !== last.month
          ? `${start.toFormat('d LLL')} – ${last.toFormat('d LLL yyyy')}`
          : `${start.toFormat('d')} – ${last.toFormat('d LLL yyyy')}`;
  return {
    from: start.toUTC().toISO() as string,
    to: end.toUTC().toISO() as string,
    label,
    startDate: start.toISODate() as string,
  };
}

export const digestId = (workspaceId: string, period: DigestPeriod, startDate: string) =>
  `digest-${workspaceId}-${period}-${startDate}`;

// --- the builder --------------------------------------------------------------------------------

/** How many posts head each end of the ranking. */
export const RANKED_POSTS = 3;
const MAX_FAILURES = 10;
const MAX_RECOMMENDATIONS = 10;
const EXCERPT = 120;

export interface BuildDigestInput {
  config: NotifyConfig;
  workspace: Workspace;
  period: DigestPeriod;
  /** When the run was scheduled (Scheduler's scheduled time), or now. */
  at: Date;
  now: Date;
}

/** Engagements as the measuring stage counts them: the platform's total, else the parts summed. */
function engagementsOf(metrics: NormalisedMetrics): number | undefined {
  if (metrics.engagements !== undefined) return metrics.engagements;
  const parts = [metrics.likes, metrics.comments, metrics.shares, metrics.saves].filter(
    (v): v is number => v !== undefined,
  );
  return parts.length > 0 ? parts.reduce((a, b) => a + b, 0) : undefined;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= EXCERPT ? flat : `${chars.slice(0, EXCERPT - 1).join('')}…`;
}

function toDigestPost(entry: PostWithMetrics): DigestPost {
  const { post } = entry;
  const metrics = { ...(entry.metrics ?? {}) } as Record<string, number>;
  const engagements = engagementsOf(entry.metrics ?? {});
  if (engagements !== undefined) metrics.engagements = engagements;
  const rate =
    entry.engagementRate ?? (entry.metrics ? engagementRate(entry.metrics)?.engagementRate : undefined);
  return {
    postId: post.id,
    channel: post.channel,
    ...(entry.handle ? { handle: entry.handle } : {}),
    platform: entry.platform,
    excerpt: excerpt(post.text),
    ...(post.publishedAt ? { publishedAt: post.publishedAt } : {}),
    ...(post.platformUrl ? { platformUrl: post.platformUrl } : {}),
    metrics,
    ...(rate !== undefined ? { engagementRate: rate } : {}),
    ...(entry.measuredAt ? { measuredAt: entry.measuredAt } : {}),
  };
}

/**
 * Builds one workspace's digest for the period that ended before `at`. Pure apart from reading
 * the source: the same store gives the same digest, whatever time the run happens.
 */
export async function buildDigest(input: BuildDigestInput, source: DigestSource): Promise<Digest> {
  const { workspace, period } = input;
  const timezone = workspaceTimezone(input.config, workspace);
  const window = digestWindow(period, input.at, timezone);
  const length = Date.parse(window.to) - Date.parse(window.from);
  const upcomingTo = new Date(Date.parse(window.to) + length).toISOString();

  const scoped = (post: Post) =>
    inScope(workspace, { campaign: post.campaign ?? null, channel: post.channel });
  const entries = (await source.posts(window.from, upcomingTo)).filter((entry) => scoped(entry.post));
  const inPeriod = entries.filter((e) => e.post.scheduledAt >= window.from && e.post.scheduledAt < window.to);
  const published = inPeriod.filter((e) => e.post.status === 'PUBLISHED');
  const failed = inPeriod.filter((e) => e.post.status === 'FAILED');
  const unknown = inPeriod.filter((e) => e.post.status === 'UNKNOWN');
  const upcoming = entries.filter(
    (e) => e.post.scheduledAt >= window.to && ['SCHEDULED', 'QUEUED'].includes(e.post.status),
  );

  const channels = new Map<string, z.infer<typeof ChannelCount>>();
  for (const { post, platform, handle } of inPeriod) {
    const row = channels.get(post.channel) ?? {
      channel: post.channel,
      ...(handle ? { handle } : {}),
      platform,
      published: 0,
      failed: 0,
      unknown: 0,
    };
    if (post.status === 'PUBLISHED') row.published++;
    if (post.status === 'FAILED') row.failed++;
    if (post.status === 'UNKNOWN') row.unknown++;
    channels.set(post.channel, row);
  }

  // Rank by engagements: the count every platform reports in some form. Posts without a snapshot
  // yet are left out rather than ranked as zero.
  const ranked = published
    .map(toDigestPost)
    .filter((post) => post.metrics.engagements !== undefined)
    .sort(
      (a, b) =>
        (b.metrics.engagements ?? 0) - (a.metrics.engagements ?? 0) || a.postId.localeCompare(b.postId),
    );
  const top = ranked.slice(0, RANKED_POSTS);
  const bottom = ranked.slice(Math.max(RANKED_POSTS, ranked.length - RANKED_POSTS)).reverse();

  const goals = (await source.goals(window.to)).filter((goal) =>
    inScope(workspace, { campaign: goal.campaignId }),
  );
  const recommendations = (await source.recommendations(window.to))
    .filter((r) => inScope(workspace, { campaign: r.campaignId ?? null }))
    .slice(0, MAX_RECOMMENDATIONS)
    .map(({ campaignId, recommendation }) => ({
      ...(campaignId ? { campaignId } : {}),
      ...describeRecommendation(recommendation),
    }));

  const sections = source.sections
    ? await source.sections({ from: window.from, to: window.to, timezone, workspace })
    : [];

  return Digest.parse({
    id: digestId(workspace.id, period, window.startDate),
    workspaceId: workspace.id,
    workspaceName: workspace.name ?? workspace.id,
    period,
    timezone,
    from: window.from,
    to: window.to,
    label: window.label,
    createdAt: input.now.toISOString(),
    counts: {
      published: published.length,
      failed: failed.length,
      unknown: unknown.length,
      upcoming: upcoming.length,
    },
    byChannel: [...channels.values()].sort((a, b) => a.channel.localeCompare(b.channel)),
    failures: failed.slice(0, MAX_FAILURES).map(({ post, platform, handle }) => ({
      postId: post.id,
      channel: post.channel,
      ...(handle ? { handle } : {}),
      platform,
      excerpt: excerpt(post.text),
      reason: post.failureReason ?? 'no reason recorded',
    })),
    rankedBy: 'engagements',
    top,
    bottom,
    goals,
    recommendations,
    sections,
  });
}

export interface DigestRunDeps {
  store: DigestStore;
  source: DigestSource;
  events: EventPublisher;
  now: () => Date;
}

/**
 * A scheduled run: build, store, announce. Safe to repeat (Scheduler delivers at least once):
 * the digest id is derived from the workspace and period, so a repeat overwrites the same
 * record with the same numbers and re-announces the same `eventId`, which the notifier
 * recognises and does not send twice.
 */
export async function runDigest(input: Omit<BuildDigestInput, 'now'>, deps: DigestRunDeps): Promise<Digest> {
  const now = deps.now();
  const digest = await buildDigest({ ...input, now }, deps.source);
  await deps.store.putDigest({
    id: digest.id,
    workspaceId: digest.workspaceId,
    period: digest.period,
    from: digest.from,
    to: digest.to,
    createdAt: digest.createdAt,
    content: digest,
  });
  await deps.events.publish([
    makeEvent('Digest Ready', {
      eventId: digest.id,
      occurredAt: now.toISOString(),
      period: digest.period,
      digestId: digest.id,
    }),
  ]);
  return digest;
}
