import { METRIC_NAMES, type MetricName, type NormalisedMetrics } from '../domain/index.ts';

/** What an engagement rate was divided by: reach where the platform reports it, else impressions. */
export type EngagementRateBasis = 'reach' | 'impressions';

/**
 * Engagements ÷ reach, or ÷ impressions where reach is absent, and which of the two it is. A post
 * reached by nobody (yet), or on a platform that reports neither (Bluesky, Mastodon), has no rate:
 * absent, never zero. Engagements the adapter did not total are summed from the parts it gave.
 */
export function engagementRate(
  metrics: NormalisedMetrics,
): { engagementRate: number; engagementRateBasis: EngagementRateBasis } | undefined {
  const engagements = engagementsOf(metrics);
  if (engagements === undefined) return undefined;
  for (const basis of ['reach', 'impressions'] as const) {
    const denominator = metrics[basis];
    if (denominator !== undefined && denominator > 0) {
      // Six decimals: a rate shown to people, not an accumulator; keeps float noise out of the API.
      return {
        engagementRate: Math.round((engagements / denominator) * 1e6) / 1e6,
        engagementRateBasis: basis,
      };
    }
    // Reach reported as 0 is still "reach": the post reached nobody, so there is no rate.
    if (denominator !== undefined) return undefined;
  }
  return undefined;
}

function engagementsOf(metrics: NormalisedMetrics): number | undefined {
  if (metrics.engagements !== undefined) return metrics.engagements;
  const parts = [metrics.likes, metrics.comments, metrics.shares, metrics.saves].filter(
    (value): value is number => value !== undefined,
  );
  return parts.length > 0 ? parts.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * What changed since the previous reading, metric by metric (negative when people took a like
 * back). The first reading's deltas are its numbers: everything was zero at publication. A metric
 * the previous reading had and this one lacks is left out, not reported as a fall to zero.
 */
export function metricDeltas(
  current: NormalisedMetrics,
  previous?: NormalisedMetrics,
): NormalisedMetricsDelta {
  const deltas: NormalisedMetricsDelta = {};
  for (const name of METRIC_NAMES) {
    const value = current[name];
    if (value === undefined) continue;
    deltas[name] = value - (previous?.[name] ?? 0);
  }
  return deltas;
}

export type NormalisedMetricsDelta = Partial<Record<MetricName, number>>;

/** The same metrics with the same numbers: the post's numbers stood still between two readings. */
export function unchanged(current: NormalisedMetrics, previous: NormalisedMetrics | undefined): boolean {
  if (!previous) return false;
  return METRIC_NAMES.every((name) => current[name] === previous[name]);
}
