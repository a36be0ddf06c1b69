import { DateTime } from 'luxon';
import type { Channel, Post } from '../domain/index.ts';
import { engagementsOf } from '../goals/scope.ts';
import { familyZ, mean, round, sampleVariance } from '../goals/stats.ts';
import { cellBounds, cellOf, describeCell, PRIOR_SD, TIMING } from '../goals/timing.ts';
import { type BreakdownSummary, breakdownSummary } from './breakdowns.ts';
import type { Audience, AudienceBreakdownSnapshot, Audit } from './model.ts';

/**
 * The audit report of a channel (`GET /v1/channels/{id}/audit`): how it has posted and how that
 * did, from its measured posts — imported ones and Pulsecast's own, each counted as such.
 *
 * Hour-of-week cells and content features are judged the way the goal recommendations judge
 * posting windows (shared/goals/timing.ts): engagements on a log scale, centred on the channel;
 * a cell's mean residual shrunk toward 0 with the same prior (PRIOR_SD), and intervals that hold
 * together with 90 % confidence over every cell or feature looked at (familyZ). A cell or feature
 * is named only when its whole interval is above (or below) the channel's typical post, so a flat
 * history names none.
 */

export interface Spread {
  posts: number;
  mean: number;
  stdDev: number;
  p10: number;
  median: number;
  p90: number;
}

export interface CellFinding {
  window: string;
  day: string;
  from: string;
  to: string;
  timezone: string;
  posts: number;
  /** Engagements relative to the channel's typical post (×), with its 90 % family interval. */
  lift: number;
  liftLow: number;
  liftHigh: number;
}

export interface FeatureFinding {
  feature: string;
  postsWith: number;
  postsWithout: number;
  medianEngagementsWith: number;
  medianEngagementsWithout: number;
  lift: number;
  liftLow: number;
  liftHigh: number;
  /** `better` / `worse` when the whole interval is above / below ×1; `unclear` otherwise. */
  verdict: 'better' | 'worse' | 'unclear';
}

export interface PostLine {
  postId: string;
  origin: 'imported' | 'pulsecast';
  publishedAt: string;
  platformUrl?: string;
  engagements: number;
  engagementRate?: number;
  reach?: number;
  text: string;
}

export interface ChannelComparison {
  channel: string;
  platform: string;
  posts: number;
  postsPerWeek: number;
  medianEngagements?: number;
  meanEngagementRate?: number;
  followers?: number;
}

export interface AudienceSummary {
  followers: number;
  asOf: string;
  /** Change since the previous day's snapshot; absent without one. */
  growthPerDay?: number;
  /** Change since the snapshot 7 days earlier; absent without one. */
  growthPerWeek?: number;
  breakdowns?: Audience['breakdowns'];
}

export interface AuditReport {
  channel: string;
  platform: string;
  timezone: string;
  period: { from: string; to: string; weeks: number };
  audit?: Audit;
  /** What the numbers rest on: measured posts, split by where they came from. */
  evidence: { posts: number; imported: number; pulsecast: number };
  cadence: { perWeek: { weekStart: string; posts: number }[]; meanPerWeek: number; stdDev: number };
  perPost: {
    engagements?: Spread;
    engagementRate?: Spread & { basis: 'reach' | 'impressions' | 'mixed' };
    reach?: Spread;
  };
  hourOfWeek: { cellsJudged: number; best: CellFinding[]; worst: CellFinding[] };
  top: PostLine[];
  bottom: PostLine[];
  features: FeatureFinding[];
  comparison: ChannelComparison[];
  audience?: AudienceSummary;
  /** Who the followers are and when they are online, where the platform says; what it does not offer. */
  audienceBreakdowns?: BreakdownSummary;
  /** What the platform cannot give, and what the report could not compute. */
  limitations: string[];
  assumptions: string[];
}

const TOP_N = 3;
/** Posts a feature needs on each side before it is compared. */
const MIN_FEATURE_POSTS = 3;

/** A post counted as evidence: published (by Pulsecast or before it) and measured. */
function measured(post: Post): post is Post & { publishedAt: string } {
  return (
    (post.status === 'PUBLISHED' || post.status === 'IMPORTED') &&
    post.publishedAt !== undefined &&
    engagementsOf(post.latestMetrics?.metrics) !== undefined
  );
}

export interface ReportInput {
  channel: Channel;
  /** The channel's posts (any status; the measured published and imported ones count). */
  posts: readonly Post[];
  /** The account's other channels and their posts, for the comparison. */
  others: readonly { channel: Channel; posts: readonly Post[]; followers?: number }[];
  audit?: Audit;
  audience: readonly Audience[];
  /** The channel's latest breakdown snapshot. */
  breakdown?: AudienceBreakdownSnapshot;
  limitations: readonly string[];
  from: string;
  to: string;
}

export function auditReport(input: ReportInput): AuditReport {
  const { channel } = input;
  const zone = channel.timezone;
  const inPeriod = (post: Post & { publishedAt: string }) =>
    post.publishedAt >= input.from && post.publishedAt < input.to;
  const posts = input.posts.filter(measured).filter(inPeriod);
  const weeks = Math.max(1, (Date.parse(input.to) - Date.parse(input.from)) / (7 * 86_400_000));
  const limitations = [...input.limitations];
  const engagements = posts.map((post) => engagementsOf(post.latestMetrics?.metrics) as number);
  const y = engagements.map((e) => Math.log1p(e));
  const level = mean(y);
  const sigma2 = Math.max(sampleVariance(y), 1e-6);
  const residuals = y.map((value) => value - level);

  const rates = posts.flatMap((post) =>
    post.latestMetrics?.engagementRate !== undefined
      ? [{ rate: post.latestMetrics.engagementRate, basis: post.latestMetrics.engagementRateBasis }]
      : [],
  );
  const reaches = posts.flatMap((post) =>
    post.latestMetrics?.metrics.reach !== undefined ? [post.latestMetrics.metrics.reach] : [],
  );
  if (posts.length > 0 && rates.length === 0)
    limitations.push(
      'no engagement rate: the platform reported neither reach nor impressions for these posts',
    );
  if (posts.length > 0 && reaches.length === 0) limitations.push('no reach: the platform did not report it');
  const bases = new Set(rates.map((r) => r.basis));

  const report: AuditReport = {
    channel: channel.id,
    platform: channel.platform,
    timezone: zone,
    period: { from: input.from, to: input.to, weeks: round(weeks, 1) },
    ...(input.audit ? { audit: input.audit } : {}),
    evidence: {
      posts: posts.length,
      imported: posts.filter((p) => p.origin === 'imported').length,
      pulsecast: posts.filter((p) => p.origin !== 'imported').length,
    },
    cadence: cadence(posts, zone, input.from, input.to),
    perPost: {
      ...(engagements.length > 0 ? { engagements: spread(engagements) } : {}),
      ...(rates.length > 0
        ? {
            engagementRate: {
              ...spread(rates.map((r) => r.rate)),
              basis: bases.size === 1 ? ([...bases][0] ?? 'reach') : 'mixed',
            },
          }
        : {}),
      ...(reaches.length > 0 ? { reach: spread(reaches) } : {}),
    },
    hourOfWeek: cells(posts, residuals, sigma2, zone),
    ...topAndBottom(posts, engagements),
    features: features(posts, engagements, residuals, sigma2),
    comparison: input.others.map(({ channel: other, posts: otherPosts, followers }) =>
      compare(other, otherPosts.filter(measured).filter(inPeriod), weeks, followers),
    ),
    ...(audienceSummary(input.audience)
      ? { audience: audienceSummary(input.audience) as AudienceSummary }
      : {}),
    ...(input.breakdown ? { audienceBreakdowns: breakdownSummary(input.breakdown, zone) } : {}),
    limitations,
    assumptions: [
      `engagements are the latest numbers measured for each post (imported posts: once, when imported); older posts have had longer to collect them`,
      `hour-of-week cells are ${TIMING.blockHours}-hour blocks in ${zone}; a cell is judged with ≥ ${TIMING.minWindowPosts} posts and named only when its 90 % interval (holding across every judged cell) excludes the channel's typical post`,
      `effects are shrunk toward "no effect" (prior spread ×e^±${PRIOR_SD} ), so a cell or feature with few posts moves little`,
    ],
  };
  return report;
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    posts: values.length,
    mean: round(mean(values), 4),
    stdDev: round(Math.sqrt(sampleVariance(values)), 4),
    p10: at(0.1),
    median: at(0.5),
    p90: at(0.9),
  };
}

function cadence(posts: readonly (Post & { publishedAt: string })[], zone: string, from: string, to: string) {
  const weekOf = (instant: string) =>
    DateTime.fromISO(instant, { zone }).startOf('week').toISODate() as string;
  const counts = new Map<string, number>();
  let week = DateTime.fromISO(from, { zone }).startOf('week');
  const end = DateTime.fromISO(to, { zone });
  while (week < end) {
    counts.set(week.toISODate() as string, 0);
    week = week.plus({ weeks: 1 });
  }
  for (const post of posts) {
    const key = weekOf(post.publishedAt);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const perWeek = [...counts.entries()].sort().map(([weekStart, n]) => ({ weekStart, posts: n }));
  const values = perWeek.map((w) => w.posts);
  return {
    perWeek,
    meanPerWeek: values.length > 0 ? round(mean(values), 2) : 0,
    stdDev: round(Math.sqrt(sampleVariance(values)), 2),
  };
}

/** Shrunk effect of a group of residuals, as timing.ts shrinks a window's. */
function shrunk(groupResiduals: readonly number[], sigma2: number): { mean: number; sd: number } {
  const se2 = sigma2 / groupResiduals.length;
  const w = PRIOR_SD ** 2 / (PRIOR_SD ** 2 + se2);
  return { mean: w * mean(groupResiduals), sd: Math.sqrt(w * se2) };
}

const lift = (x: number) => round(Math.exp(x), 2);

function cells(
  posts: readonly (Post & { publishedAt: string })[],
  residuals: readonly number[],
  sigma2: number,
  zone: string,
): AuditReport['hourOfWeek'] {
  const byCell = new Map<number, number[]>();
  posts.forEach((post, i) => {
    const cell = cellOf(post.publishedAt, zone);
    const list = byCell.get(cell) ?? [];
    list.push(residuals[i] as number);
    byCell.set(cell, list);
  });
  const judged = [...byCell.entries()].filter(([, list]) => list.length >= TIMING.minWindowPosts);
  if (posts.length < TIMING.minChannelPosts || judged.length === 0)
    return { cellsJudged: 0, best: [], worst: [] };
  const z = familyZ(judged.length);
  const findings = judged.map(([cell, list]) => {
    const effect = shrunk(list, sigma2);
    const finding: CellFinding = {
      window: describeCell(cell, zone),
      ...cellBounds(cell),
      timezone: zone,
      posts: list.length,
      lift: lift(effect.mean),
      liftLow: lift(effect.mean - z * effect.sd),
      liftHigh: lift(effect.mean + z * effect.sd),
    };
    return {
      finding,
      low: effect.mean - z * effect.sd,
      high: effect.mean + z * effect.sd,
      mean: effect.mean,
    };
  });
  return {
    cellsJudged: judged.length,
    best: findings
      .filter((f) => f.low > 0)
      .sort((a, b) => b.mean - a.mean)
      .map((f) => f.finding),
    worst: findings
      .filter((f) => f.high < 0)
      .sort((a, b) => a.mean - b.mean)
      .map((f) => f.finding),
  };
}

function line(post: Post & { publishedAt: string }, engagements: number): PostLine {
  return {
    postId: post.id,
    origin: post.origin === 'imported' ? 'imported' : 'pulsecast',
    publishedAt: post.publishedAt,
    ...(post.platformUrl ? { platformUrl: post.platformUrl } : {}),
    engagements,
    ...(post.latestMetrics?.engagementRate !== undefined
      ? { engagementRate: post.latestMetrics.engagementRate }
      : {}),
    ...(post.latestMetrics?.metrics.reach !== undefined ? { reach: post.latestMetrics.metrics.reach } : {}),
    text: post.text.length > 120 ? `${post.text.slice(0, 117)}…` : post.text,
  };
}

function topAndBottom(
  posts: readonly (Post & { publishedAt: string })[],
  engagements: readonly number[],
): { top: PostLine[]; bottom: PostLine[] } {
  const ranked = posts
    .map((post, i) => ({ post, engagements: engagements[i] as number }))
    .sort((a, b) => b.engagements - a.engagements || a.post.publishedAt.localeCompare(b.post.publishedAt));
  const n = Math.min(TOP_N, Math.floor(ranked.length / 2));
  return {
    top: ranked.slice(0, n).map((r) => line(r.post, r.engagements)),
    bottom: ranked
      .slice(ranked.length - n)
      .reverse()
      .map((r) => line(r.post, r.engagements)),
  };
}

/** The content features the report compares: media, links, long texts, and each hashtag. */
function featureSets(posts: readonly Post[]): Map<string, boolean[]> {
  const lengths = posts.map((post) => post.text.length).sort((a, b) => a - b);
  const medianLength = lengths[Math.floor(lengths.length / 2)] ?? 0;
  const sets = new Map<string, boolean[]>([
    ['media', posts.map((post) => post.media.length > 0 || (post.importedMedia?.length ?? 0) > 0)],
    ['link', posts.map((post) => post.link !== undefined || /https?:\/\//.test(post.text))],
    [`text longer than ${medianLength} characters`, posts.map((post) => post.text.length > medianLength)],
  ]);
  const tags = new Set(posts.flatMap((post) => post.tags));
  for (const tag of [...tags].sort())
    sets.set(
      `#${tag}`,
      posts.map((post) => post.tags.includes(tag)),
    );
  return sets;
}

function features(
  posts: readonly Post[],
  engagements: readonly number[],
  residuals: readonly number[],
  sigma2: number,
): FeatureFinding[] {
  const compared = [...featureSets(posts).entries()].filter(([, has]) => {
    const n = has.filter(Boolean).length;
    return n >= MIN_FEATURE_POSTS && has.length - n >= MIN_FEATURE_POSTS;
  });
  const z = familyZ(compared.length);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return compared.map(([feature, has]) => {
    const withR = residuals.filter((_, i) => has[i]);
    const withoutR = residuals.filter((_, i) => !has[i]);
    // The difference of the two groups, shrunk like a window effect (its variance from both sides).
    const se2 = sigma2 / withR.length + sigma2 / withoutR.length;
    const w = PRIOR_SD ** 2 / (PRIOR_SD ** 2 + se2);
    const effect = w * (mean(withR) - mean(withoutR));
    const sd = Math.sqrt(w * se2);
    const low = effect - z * sd;
    const high = effect + z * sd;
    return {
      feature,
      postsWith: withR.length,
      postsWithout: withoutR.length,
      medianEngagementsWith: median(engagements.filter((_, i) => has[i]) as number[]),
      medianEngagementsWithout: median(engagements.filter((_, i) => !has[i]) as number[]),
      lift: lift(effect),
      liftLow: lift(low),
      liftHigh: lift(high),
      verdict: low > 0 ? 'better' : high < 0 ? 'worse' : 'unclear',
    };
  });
}

function compare(
  channel: Channel,
  posts: readonly (Post & { publishedAt: string })[],
  weeks: number,
  followers: number | undefined,
): ChannelComparison {
  const engagements = posts.map((post) => engagementsOf(post.latestMetrics?.metrics) as number);
  const rates = posts.flatMap((post) =>
    post.latestMetrics?.engagementRate !== undefined ? [post.latestMetrics.engagementRate] : [],
  );
  return {
    channel: channel.id,
    platform: channel.platform,
    posts: posts.length,
    postsPerWeek: round(posts.length / weeks, 2),
    ...(engagements.length > 0 ? { medianEngagements: spread(engagements).median } : {}),
    ...(rates.length > 0 ? { meanEngagementRate: round(mean(rates), 4) } : {}),
    ...(followers !== undefined ? { followers } : {}),
  };
}

/** Followers now, and how they changed over the last day and week, from the daily snapshots. */
export function audienceSummary(snapshots: readonly Audience[]): AudienceSummary | undefined {
  const sorted = [...snapshots].sort((a, b) => a.date.localeCompare(b.date));
  const latest = sorted.at(-1);
  if (!latest) return undefined;
  const dayBefore = (days: number) => {
    const date = DateTime.fromISO(latest.date, { zone: 'UTC' }).minus({ days }).toISODate();
    return sorted.find((s) => s.date === date);
  };
  const yesterday = dayBefore(1);
  const lastWeek = dayBefore(7);
  return {
    followers: latest.followers,
    asOf: latest.collectedAt,
    ...(yesterday ? { growthPerDay: latest.followers - yesterday.followers } : {}),
    ...(lastWeek ? { growthPerWeek: latest.followers - lastWeek.followers } : {}),
    ...(latest.breakdowns ? { breakdowns: latest.breakdowns } : {}),
  };
}
