import type { NormalisedMetrics } from '../domain/index.ts';
import type { MetricsReading } from './port.ts';

/** Splits a list into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Drops undefined entries so absent metrics stay absent. */
export function definedMetrics(metrics: Record<string, number | undefined>): NormalisedMetrics {
  return Object.fromEntries(
    Object.entries(metrics).filter(
      ([, value]) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
    ),
  ) as NormalisedMetrics;
}

/** Sum of the values that exist; undefined when none does. */
export function sumDefined(...values: (number | undefined)[]): number | undefined {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0);
}

type ReadPost = { id: string; platformPostId: string };

/** A post's numbers as the platform reported them, with the platform's own payload. */
export function okReading(post: ReadPost, metrics: NormalisedMetrics, raw: unknown): MetricsReading {
  return { postId: post.id, platformPostId: post.platformPostId, status: 'ok', metrics, raw };
}

/** A post the platform says no longer exists (`raw`: what it said about it, if anything). */
export function deletedReading(post: ReadPost, raw: unknown = null): MetricsReading {
  return { postId: post.id, platformPostId: post.platformPostId, status: 'deleted', metrics: {}, raw };
}

/** A batch's readings from the platform's answer, keyed by platform id: a post it left out is `deleted`. */
export function batchReadings<V>(
  batch: readonly ReadPost[],
  found: ReadonlyMap<string, V>,
  normalise: (value: V) => NormalisedMetrics,
): MetricsReading[] {
  return batch.map((post) => {
    const value = found.get(post.platformPostId);
    return value === undefined ? deletedReading(post) : okReading(post, normalise(value), value);
  });
}

/**
 * A post's public counts in Pulsecast's vocabulary: reposts and quotes are both shares, and
 * engagements their sum with likes, replies and saves. What the platform did not report stays absent.
 */
export function publicCounts(counts: {
  likes?: number | undefined;
  replies?: number | undefined;
  reposts?: number | undefined;
  quotes?: number | undefined;
  saves?: number | undefined;
}): NormalisedMetrics {
  const metrics: NormalisedMetrics = {};
  if (counts.likes !== undefined) metrics.likes = counts.likes;
  if (counts.replies !== undefined) metrics.comments = counts.replies;
  if (counts.reposts !== undefined || counts.quotes !== undefined) {
    metrics.shares = (counts.reposts ?? 0) + (counts.quotes ?? 0);
  }
  if (counts.saves !== undefined) metrics.saves = counts.saves;
  const engagements = sumDefined(metrics.likes, metrics.comments, metrics.shares, metrics.saves);
  if (engagements !== undefined) metrics.engagements = engagements;
  return metrics;
}
