import { z } from 'zod';
import { Platform, type PostStatus, UtcInstant } from './domain/index.ts';

/**
 * The events on the `pulsecast` bus (DESIGN §7), defined once: the handlers that emit them and
 * the infra rules that route them import these names and schemas. Each detail carries a schema
 * `version`; consumers must tolerate unknown fields (schemas here are not strict) and repeats
 * (delivery is at least once: `eventId` is stable per fact, so a consumer can deduplicate).
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
  'Post Metrics Collected': PostRef.extend({
    checkpoint: z.string(),
    metrics: z.record(z.string(), z.number()),
    deltas: z.record(z.string(), z.number()),
  }),
  'Goal Status Changed': Base.extend({
    campaignId: z.string(),
    goalId: z.string(),
    previousStatus: z.string().optional(),
    status: z.string(),
  }),
  'Strategy Adjustment Recommended': Base.extend({ campaignId: z.string(), recommendation: z.unknown() }),
  'Digest Ready': Base.extend({ period: z.enum(['daily', 'weekly']), digestId: z.string() }),
  'Channel Needs Attention': Base.extend({
    channel: z.string(),
    platform: Platform,
    reason: z.string(),
    postId: z.string().optional(),
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

/** The post statuses that end a publish attempt, with the event that announces each. */
export const OUTCOME_EVENTS: Partial<Record<PostStatus, EventType>> = {
  PUBLISHED: 'Post Published',
  FAILED: 'Post Failed',
  UNKNOWN: 'Post Outcome Unknown',
  SCHEDULED: 'Post Rescheduled',
};
