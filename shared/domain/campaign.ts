import { z } from 'zod';
import { Platform } from './channel.ts';
import { IanaTimezone, Slug, UtcInstant } from './common.ts';

export const GOAL_METRICS = [
  'impressions',
  'reach',
  'engagements',
  'engagementRate',
  'likes',
  'comments',
  'shares',
  'saves',
  'clicks',
  'videoViews',
  'conversions',
  'conversionValue',
  'posts',
  'responseTimeMinutes',
] as const;
export const GoalMetric = z.enum(GOAL_METRICS);
export type GoalMetric = z.infer<typeof GoalMetric>;

const IsoDate = z.iso.date();

/** A period of calendar days, inclusive, in the campaign's time zone. */
export const DateWindow = z
  .strictObject({ from: IsoDate, to: IsoDate })
  .refine((window) => window.from <= window.to, { message: 'window.from must not be after window.to' });

/** A goal's target: an absolute value, or a change relative to a baseline period. */
export const GoalTarget = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('absolute'), value: z.number().finite() }),
  z.strictObject({
    kind: z.literal('relative'),
    /** +15 means 15 % above the baseline. */
    changePercent: z.number().finite(),
    baseline: DateWindow,
  }),
]);

export const GoalScope = z.strictObject({
  channels: z.array(Slug).optional(),
  platforms: z.array(Platform).optional(),
  tags: z.array(z.string().min(1)).optional(),
});

/** Shape only in the foundation; the goals issue evaluates it. */
export const Goal = z.strictObject({
  id: Slug,
  metric: GoalMetric,
  /** `atLeast` for most metrics; `atMost` for e.g. response time. */
  direction: z.enum(['atLeast', 'atMost']).default('atLeast'),
  target: GoalTarget,
  window: DateWindow,
  scope: GoalScope.default({}),
});
export type Goal = z.infer<typeof Goal>;

export const CampaignInput = z.strictObject({
  id: Slug,
  name: z.string().trim().min(1).max(200),
  timezone: IanaTimezone.default('UTC'),
  goals: z.array(Goal).default([]),
});
export type CampaignInput = z.infer<typeof CampaignInput>;

export const Campaign = CampaignInput.extend({
  createdAt: UtcInstant,
  updatedAt: UtcInstant,
  version: z.number().int().min(1),
});
export type Campaign = z.infer<typeof Campaign>;
