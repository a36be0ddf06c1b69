import type {
  Campaign,
  GoalMetric,
  GoalScope,
  MetricName,
  NormalisedMetrics,
  Post,
} from '../domain/index.ts';
import type { ChannelInfo, PostPerformance } from './model.ts';

/**
 * Statuses of posts that went out (or may have: UNKNOWN posts are left out until settled). An
 * IMPORTED post went out too, before or beside Pulsecast: it is evidence like any other (a
 * relative goal's baseline, a post's expected yield, posting windows) and counted as imported.
 */
export function isPublished(post: Post): boolean {
  return post.status === 'PUBLISHED' || post.status === 'IMPORTED';
}

/** Statuses of posts still on their way out. */
export function isUpcoming(post: Post): boolean {
  return post.status === 'SCHEDULED' || post.status === 'QUEUED' || post.status === 'PUBLISHING';
}

/** When a post went out, or is due to. */
export function postInstant(post: Post): string {
  return post.publishedAt ?? post.scheduledAt;
}

/** Does the post fall in the goal's scope (see GoalScope)? */
export function inScope(
  post: Post,
  scope: GoalScope,
  campaign: Pick<Campaign, 'id'>,
  channels: ReadonlyMap<string, ChannelInfo>,
): boolean {
  if ((scope.posts ?? 'campaign') === 'campaign' && post.campaign !== campaign.id) return false;
  if (scope.channels && !scope.channels.includes(post.channel)) return false;
  if (scope.platforms) {
    const platform = channels.get(post.channel)?.platform;
    if (!platform || !scope.platforms.includes(platform)) return false;
  }
  if (scope.tags && !post.tags.some((tag) => scope.tags?.includes(tag))) return false;
  return true;
}

/**
 * A post's engagements: the platform's own count when the adapter reports one, else the sum of
 * the interactions it does report (likes, comments, shares, saves). Undefined when none is known.
 */
export function engagementsOf(metrics: NormalisedMetrics | undefined): number | undefined {
  if (!metrics) return undefined;
  if (metrics.engagements !== undefined) return metrics.engagements;
  const parts = [metrics.likes, metrics.comments, metrics.shares, metrics.saves].filter(
    (value): value is number => value !== undefined,
  );
  return parts.length === 0 ? undefined : parts.reduce((a, b) => a + b, 0);
}

/**
 * The audience a post's engagement rate is measured against: reach, else impressions — the
 * basis the measuring stage uses for a snapshot's engagement rate, so the two agree.
 */
export function audienceOf(metrics: NormalisedMetrics | undefined): number | undefined {
  return metrics?.reach ?? metrics?.impressions;
}

/** Goal metrics read from a post's metric snapshot. */
const POST_METRICS: Partial<Record<GoalMetric, MetricName>> = {
  impressions: 'impressions',
  reach: 'reach',
  likes: 'likes',
  comments: 'comments',
  shares: 'shares',
  saves: 'saves',
  clicks: 'clicks',
  videoViews: 'videoViews',
  engagements: 'engagements',
};

export type MetricKind = 'postMetric' | 'conversions' | 'posts' | 'rate' | 'listening';

/** How a goal metric is measured. */
export function metricKind(metric: GoalMetric): MetricKind {
  if (metric in POST_METRICS) return 'postMetric';
  if (metric === 'conversions' || metric === 'conversionValue') return 'conversions';
  if (metric === 'posts') return 'posts';
  if (metric === 'engagementRate') return 'rate';
  // shareOfVoice, responseRate, responseTimeMinutes: from the conversation (goals/listening.ts).
  return 'listening';
}

/** Metrics that count things (daily counts vary at least as much as a Poisson count). */
export function isCount(metric: GoalMetric): boolean {
  return metric !== 'conversionValue' && metric !== 'engagementRate' && metricKind(metric) !== 'listening';
}

/** A post's value of a post metric, undefined when its platform does not report it. */
export function postMetricValue(metric: GoalMetric, performance: PostPerformance): number | undefined {
  return metricValue(metric, performance.metrics);
}

/** A post metric's value in a set of metrics, undefined when absent. */
export function metricValue(metric: GoalMetric, metrics: NormalisedMetrics | undefined): number | undefined {
  if (metric === 'engagements') return engagementsOf(metrics);
  const name = POST_METRICS[metric];
  return name ? metrics?.[name] : undefined;
}

/** Hours after publication before a post's numbers count as settled enough to compare posts. */
export const MATURE_AFTER_HOURS = 24;

/** Metrics taken at least a day after the post went out (most engagement comes in the first day). */
export function isMature(performance: PostPerformance, now: Date): boolean {
  const published = performance.post.publishedAt;
  if (!isPublished(performance.post) || !published || !performance.metrics) return false;
  const measuredAt = Date.parse(performance.metricsAt ?? now.toISOString());
  return measuredAt - Date.parse(published) >= MATURE_AFTER_HOURS * 3_600_000;
}
