import * as z from 'zod';
import { HoldScope } from './domain/hold.ts';
import { GoalMetric, GoalStatus, Platform, type PostStatus, UtcInstant } from './domain/index.ts';

/**
 * The events on the `pulsecast` bus (docs/architecture.md#events), defined once: the handlers that
 * emit them and the infra rules that route them import these names and schemas. Each detail carries
 * a schema `version`; consumers must tolerate unknown fields (schemas here are not strict) and
 * repeats (delivery is at least once: `eventId` is stable per fact, so a consumer can deduplicate).
 */
export const EVENT_SOURCE = 'pulsecast';
export const EVENT_BUS_NAME = 'pulsecast';

const Base = z.object({ version: z.literal(1), eventId: z.string(), occurredAt: UtcInstant });
const PostRef = Base.extend({
  postId: z.string(),
  channel: z.string(),
  platform: Platform,
  scheduledAt: UtcInstant,
  campaign: z.string().optional(),
});

export const EVENT_SCHEMAS = {
  'Post Published': PostRef.extend({
    platformPostId: z.string(),
    platformUrl: z.string(),
    publishedAt: UtcInstant,
    /** Seconds between `scheduledAt` and the platform call returning. */
    latenessSeconds: z.number(),
  }),
  'Post Failed': PostRef.extend({ reason: z.string(), errorKind: z.string() }),
  'Post Outcome Unknown': PostRef.extend({ reason: z.string(), reconcilable: z.boolean() }),
  'Post Rescheduled': PostRef.extend({
    reason: z.string(),
    previousScheduledAt: UtcInstant,
    delaySeconds: z.number(),
  }),
  // Measuring (shared/measuring). Still version 1: the fields after `deltas` were added, none
  // removed or retyped, and consumers tolerate unknown fields.
  'Post Metrics Collected': PostRef.extend({
    checkpoint: z.string(),
    metrics: z.record(z.string(), z.number()),
    /** Change since the post's previous snapshot (the first snapshot: since publication). */
    deltas: z.record(z.string(), z.number()),
    collectedAt: UtcInstant.optional(),
    publishedAt: UtcInstant.optional(),
    platformPostId: z.string().optional(),
    engagementRate: z.number().optional(),
    /** What `engagementRate` divides by: `reach`, or `impressions` where reach is absent. */
    engagementRateBasis: z.enum(['reach', 'impressions']).optional(),
    /** Earlier checkpoints this late reading stands in for. */
    covers: z.array(z.string()).optional(),
  }),
  // Goals (shared/goals). Still version 1: fields were only added (consumers tolerate unknown
  // fields) and `status`/`previousStatus` narrowed from any string to the GoalStatus values,
  // which every v1 consumer already accepts; this is the only producer.
  'Goal Status Changed': Base.extend({
    campaignId: z.string(),
    goalId: z.string(),
    /** Absent on a goal's first evaluation. */
    previousStatus: GoalStatus.optional(),
    status: GoalStatus,
    metric: GoalMetric.optional(),
    direction: z.enum(['atLeast', 'atMost']).optional(),
    window: z.object({ from: z.string(), to: z.string() }).optional(),
    /** The campaign-local date of the evaluation. */
    asOfDate: z.string().optional(),
    reason: z.string().optional(),
    current: z.number().optional(),
    target: z.number().optional(),
    expectedByNow: z.number().optional(),
    /** Forecast at the window's end with its 80 % band. */
    forecast: z.object({ value: z.number(), low: z.number(), high: z.number() }).optional(),
    /** For NOT_ENOUGH_DATA: what is missing. */
    missing: z.array(z.string()).optional(),
  }),
  'Strategy Adjustment Recommended': Base.extend({
    campaignId: z.string(),
    asOfDate: z.string().optional(),
    recommendation: z.looseObject({
      id: z.string(),
      kind: z.enum(['postingWindow', 'weakWindowPost', 'boostPost', 'content', 'channelShift', 'cadence']),
      summary: z.string(),
      /** Numbers, sample sizes and the baseline they are compared with. */
      evidence: z.record(z.string(), z.unknown()),
      channel: z.string().optional(),
      goalId: z.string().optional(),
      postId: z.string().optional(),
    }),
  }),
  'Digest Ready': Base.extend({ period: z.enum(['daily', 'weekly']), digestId: z.string() }),
  // Approvals (shared/approvals).
  /** A step's approvers are asked to review a post (or reminded, with `reminder`). */
  'Approval Requested': PostRef.extend({
    round: z.number().int(),
    /** Index of the step (0 = first) and its name. */
    step: z.number().int(),
    stepName: z.string(),
    stepCount: z.number().int(),
    required: z.number().int(),
    /** The approvers still to decide, each with their time zone when known. */
    approvers: z.array(z.object({ email: z.string(), timezone: z.string().optional() })),
    /** The post as it will appear. */
    text: z.string(),
    link: z.string().optional(),
    media: z.array(z.string()),
    timezone: z.string(),
    /** `24h`, `1h`: this is the reminder that long before the post's time. */
    reminder: z.string().optional(),
  }),
  /** A post fell due before every step approved it: it is not published. */
  'Post Approval Missed': PostRef.extend({ stepName: z.string(), reason: z.string() }),
  'Channel Needs Attention': Base.extend({
    channel: z.string(),
    platform: Platform,
    reason: z.string(),
    postId: z.string().optional(),
  }),
  // Crisis holds (shared/holds).
  'Hold Started': Base.extend({
    holdId: z.string(),
    scope: HoldScope,
    reason: z.string(),
    createdAt: UtcInstant,
    createdBy: z.string(),
    /** A hold started by a negative mention spike: the spike's episode. */
    episodeId: z.string().optional(),
  }),
  'Posts Held': Base.extend({
    /** The holds that covered them. */
    holdIds: z.array(z.string()).min(1),
    /** The posts this event lists (one Dispatcher step's; a large step announces in chunks). */
    posts: z
      .array(
        z.object({
          postId: z.string(),
          channel: z.string(),
          scheduledAt: UtcInstant,
          campaign: z.string().optional(),
        }),
      )
      .min(1),
  }),
  // Listening (shared/listening): one Detected and one Ended per episode, `episodeId` stable.
  'Mention Spike Detected': Base.extend({
    episodeId: z.string(),
    /** The subject id: `brand`, or a competitor's listening id. */
    subject: z.string(),
    subjectName: z.string().optional(),
    platform: Platform,
    /** Mentions in the last `windowMinutes`. */
    count: z.number().int(),
    /** Mentions expected in that window at the usual level (median hour of the past week). */
    baseline: z.number(),
    windowMinutes: z.number().int(),
    /** Share of `count` whose sentiment is negative (0..1). */
    negativeShare: z.number().min(0).max(1),
    /** The listening settings' `autoHold` when the spike was detected. */
    autoHold: z.boolean(),
    startedAt: UtcInstant,
    samples: z.array(z.object({ author: z.string(), text: z.string(), url: z.string() })),
  }),
  'Mention Spike Ended': Base.extend({
    episodeId: z.string(),
    subject: z.string(),
    subjectName: z.string().optional(),
    platform: Platform,
    startedAt: UtcInstant,
    endedAt: UtcInstant,
    /** The highest window count of the episode. */
    peak: z.number().int(),
    baseline: z.number(),
    windowMinutes: z.number().int(),
  }),
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventDetail<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;
export interface PulsecastEvent<T extends EventType = EventType> {
  type: T;
  detail: EventDetail<T>;
}

export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

/** Builds and validates an event; a detail that breaks its schema is a programming error. */
export function makeEvent<T extends EventType>(
  type: T,
  detail: Omit<EventDetail<T>, 'version'>,
): PulsecastEvent<T> {
  const parsed = EVENT_SCHEMAS[type].parse({ version: 1, ...detail }) as EventDetail<T>;
  return { type, detail: parsed };
}

/** Where events go: EventBridge on AWS, the local bus in local mode, a recorder in tests. */
export interface EventPublisher {
  publish(events: readonly PulsecastEvent[]): Promise<void>;
}

/**
 * Runs `work`, which collects the events its writes call for, and publishes them even when it
 * fails part-way: a write that landed is announced, though a later one failed.
 */
export async function announcing<T>(
  publisher: EventPublisher,
  work: (events: PulsecastEvent[]) => Promise<T>,
): Promise<T> {
  const events: PulsecastEvent[] = [];
  try {
    return await work(events);
  } finally {
    await publisher.publish(events);
  }
}

/** The post statuses that end a publish attempt, with the event that announces each. */
export const OUTCOME_EVENTS: Partial<Record<PostStatus, EventType>> = {
  PUBLISHED: 'Post Published',
  FAILED: 'Post Failed',
  UNKNOWN: 'Post Outcome Unknown',
  SCHEDULED: 'Post Rescheduled',
};
