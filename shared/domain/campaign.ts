import * as z from 'zod';
import { ApprovalRule } from './approval.ts';
import { Platform } from './channel.ts';
import { IanaTimezone, Slug, STORED_FIELDS } from './common.ts';
import { METRIC_NAMES } from './metrics.ts';

/** Every measured metric, and what is derived from them, the audience and the conversations. */
export const GOAL_METRICS = [
  ...METRIC_NAMES,
  'engagementRate',
  'conversions',
  'conversionValue',
  'posts',
  'responseTimeMinutes',
  'shareOfVoice',
  'responseRate',
  'followers',
  'followerGrowth',
] as const;
export const GoalMetric = z.enum(GOAL_METRICS);
export type GoalMetric = z.infer<typeof GoalMetric>;

const IsoDate = z.iso.date();

/** A period of calendar days, inclusive, in the campaign's time zone. */
export const DateWindow = z
  .strictObject({ from: IsoDate, to: IsoDate })
  .refine((window) => window.from <= window.to, { message: 'window.from must not be after window.to' });
export type DateWindow = z.infer<typeof DateWindow>;

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
export type GoalTarget = z.infer<typeof GoalTarget>;

/**
 * Which posts (and the conversions attributed to them) a goal counts. Every filter given must
 * match: a post counts when it is on one of `channels`, on one of `platforms`, carries at least
 * one of `tags`, and — unless `posts` is `all` — belongs to the campaign. A baseline period is
 * measured with the same scope, so `posts: "all"` is what compares a campaign with the
 * account's history from before the campaign existed.
 */
export const GoalScope = z.strictObject({
  channels: z.array(Slug).optional(),
  platforms: z.array(Platform).optional(),
  tags: z.array(z.string().min(1)).optional(),
  /** `campaign` (the default when left out): only the campaign's posts; `all`: every post of the account. */
  posts: z.enum(['campaign', 'all']).optional(),
});
export type GoalScope = z.infer<typeof GoalScope>;

/**
 * Where a goal stands (shared/goals/evaluate.ts says how each is decided). ACHIEVED and MISSED
 * are final; NOT_ENOUGH_DATA says what is missing instead of guessing.
 */
export const GOAL_STATUSES = [
  'NOT_STARTED',
  'ON_TRACK',
  'AT_RISK',
  'OFF_TRACK',
  'ACHIEVED',
  'MISSED',
  'NOT_ENOUGH_DATA',
] as const;
export const GoalStatus = z.enum(GOAL_STATUSES);
export type GoalStatus = z.infer<typeof GoalStatus>;

/**
 * A business goal, evaluated daily by shared/goals. Totals (impressions, conversions, posts, …)
 * are summed over the window; `engagementRate` is a level, in percent (2 means 2 %), over the
 * window's posts. A relative target is scaled per day from its baseline period to the window.
 */
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
  /**
   * Posts a week the team plans per channel, beyond what is on the calendar. Only a stated
   * cadence lets a forecast count posts that are not scheduled yet.
   */
  cadence: z.record(Slug, z.number().nonnegative().max(500)).optional(),
  /** Sign-off every post of this campaign needs, after its channel's (shared/approvals). */
  approval: ApprovalRule.optional(),
});
export type CampaignInput = z.infer<typeof CampaignInput>;

export const Campaign = CampaignInput.extend(STORED_FIELDS);
export type Campaign = z.infer<typeof Campaign>;
