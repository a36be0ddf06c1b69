import * as z from 'zod';

/** Pulsecast's one metric vocabulary; each adapter maps its platform's numbers onto it. */
export const METRIC_NAMES = [
  'impressions',
  'reach',
  'likes',
  'comments',
  'shares',
  'saves',
  'clicks',
  'videoViews',
  'engagements',
] as const;
export const MetricName = z.enum(METRIC_NAMES);
export type MetricName = z.infer<typeof MetricName>;

/**
 * Normalised numbers for one post at one moment. A metric the platform does not offer is
 * absent, never zero (Bluesky has no impressions; Instagram has had no impressions since 2025).
 */
export const NormalisedMetrics = z.partialRecord(MetricName, z.number().nonnegative());
export type NormalisedMetrics = z.infer<typeof NormalisedMetrics>;
