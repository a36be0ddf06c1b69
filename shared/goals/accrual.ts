import type { GoalMetric, NormalisedMetrics } from '../domain/index.ts';
import type { EvaluationInput, PostPerformance } from './model.ts';
import { engagementsOf, metricValue } from './scope.ts';
import { round } from './stats.ts';

/**
 * How a post's numbers accrue with its age (docs/architecture.md#goals-and-recommendations).
 * A post's engagement, reach and clicks come in fast and then level off; the share reached by age
 * a is modelled as s(a) = 1 − e^(−a/τ), and τ is learned per channel from the posts' metric
 * snapshots: every earlier snapshot of a post is compared with its latest one, v(a)/v(A) against
 * s(a)/s(A), and the τ that fits best (least squares over a log-spaced grid of 0.5 h … 30 days)
 * is the channel's. A post measured at age a with value v is then expected to end at v / s(a).
 * A channel without snapshot history takes {@link DEFAULT_GROWTH_HOURS}, and the forecast says so.
 */

/** The growth time constant assumed where no snapshots show it. */
export const DEFAULT_GROWTH_HOURS = 24;
/** Below this share of its final value a post counts as not yet measured. */
export const MIN_SHARE = 0.2;

/** A post's reading at one age: what snapshots give the curve. */
export interface AgedReading {
  ageHours: number;
  metrics: NormalisedMetrics;
}

export interface AccrualCurve {
  channel: string;
  tauHours: number;
  /** Snapshot pairs the fit used; 0 when τ is the default. */
  pairs: number;
  posts: number;
}

/** Share of its final value a post reaches by `ageHours`. */
export function shareAt(curve: AccrualCurve, ageHours: number): number {
  return ageHours <= 0 ? 0 : 1 - Math.exp(-ageHours / curve.tauHours);
}

const GRID = Array.from({ length: 80 }, (_, i) => 0.5 * (1440 / 0.5) ** (i / 79));

function readingValue(metric: GoalMetric, metrics: NormalisedMetrics): number | undefined {
  if (metric === 'conversions' || metric === 'conversionValue' || metric === 'posts')
    return metrics.clicks ?? engagementsOf(metrics);
  return metricValue(metric, metrics) ?? engagementsOf(metrics);
}

/** Fits τ for one channel from its posts' snapshot histories (see the module comment). */
export function learnCurve(
  channel: string,
  histories: readonly (readonly AgedReading[])[],
  metric: GoalMetric,
): AccrualCurve {
  const pairs: { a: number; A: number; ratio: number }[] = [];
  let posts = 0;
  for (const history of histories) {
    const sorted = [...history].sort((x, y) => x.ageHours - y.ageHours);
    const last = sorted.at(-1);
    const final = last ? readingValue(metric, last.metrics) : undefined;
    if (!last || !final || final <= 0 || sorted.length < 2) continue;
    posts++;
    for (const reading of sorted.slice(0, -1)) {
      const v = readingValue(metric, reading.metrics);
      if (v === undefined || reading.ageHours <= 0) continue;
      pairs.push({ a: reading.ageHours, A: last.ageHours, ratio: Math.min(1, v / final) });
    }
  }
  if (pairs.length === 0) return { channel, tauHours: DEFAULT_GROWTH_HOURS, pairs: 0, posts: 0 };
  let best = DEFAULT_GROWTH_HOURS;
  let bestError = Number.POSITIVE_INFINITY;
  for (const tau of GRID) {
    let error = 0;
    for (const { a, A, ratio } of pairs) {
      const predicted = (1 - Math.exp(-a / tau)) / (1 - Math.exp(-A / tau));
      error += (predicted - ratio) ** 2;
    }
    if (error < bestError) {
      bestError = error;
      best = tau;
    }
  }
  return { channel, tauHours: best, pairs: pairs.length, posts };
}

/** The curves of every channel the input's posts are on, for one goal metric. */
export function learnCurves(input: EvaluationInput, metric: GoalMetric): Map<string, AccrualCurve> {
  const byChannel = new Map<string, AgedReading[][]>();
  for (const { post } of input.posts) {
    const history = input.snapshots?.get(post.id);
    const list = byChannel.get(post.channel) ?? [];
    if (history && history.length > 1) list.push([...history]);
    byChannel.set(post.channel, list);
  }
  const curves = new Map<string, AccrualCurve>();
  for (const [channel, histories] of byChannel) curves.set(channel, learnCurve(channel, histories, metric));
  return curves;
}

/** A post's age in hours when its latest metrics were taken. */
export function measuredAge(performance: PostPerformance, now: Date): number {
  const published = Date.parse(performance.post.publishedAt ?? performance.post.scheduledAt);
  const at = performance.metricsAt ? Date.parse(performance.metricsAt) : now.getTime();
  return (at - published) / 3_600_000;
}

export function describeCurve(curve: AccrualCurve): string {
  const day = round(100 * (1 - Math.exp(-24 / curve.tauHours)), 0);
  return curve.pairs === 0
    ? `${curve.channel}: no snapshot history, so posts are assumed to reach ${day} % of their final numbers in their first day (τ = ${DEFAULT_GROWTH_HOURS} h)`
    : `${curve.channel}: posts reach ${day} % of their final numbers in their first day (τ = ${round(curve.tauHours, 1)} h, learned from ${curve.pairs} snapshots of ${curve.posts} posts)`;
}
