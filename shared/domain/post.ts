import * as z from 'zod';
import { ApprovalLogEntry, PostApproval } from './approval.ts';
import { HttpUrl, IanaTimezone, Slug, STORED_FIELDS, UtcInstant } from './common.ts';
import { NormalisedMetrics } from './metrics.ts';

export const POST_STATUSES = [
  'SCHEDULED',
  'QUEUED',
  'PUBLISHING',
  'PUBLISHED',
  'FAILED',
  'CANCELLED',
  'UNKNOWN',
  'HELD',
  'PENDING_APPROVAL',
  'APPROVAL_MISSED',
  'IMPORTED',
] as const;
export const PostStatus = z.enum(POST_STATUSES);
export type PostStatus = z.infer<typeof PostStatus>;

/** The fields a calendar (or a PATCH) sets: what the post says, where and when. */
export const PostContent = z.object({
  channel: Slug,
  scheduledAt: UtcInstant,
  /** The IANA zone the scheduled time was given in (row, upload default or channel). */
  timezone: IanaTimezone,
  text: z.string(),
  link: HttpUrl.optional(),
  media: z.array(HttpUrl).default([]),
  campaign: Slug.optional(),
  tags: z.array(z.string().min(1).max(64)).default([]),
  /** `false`: the row opted out of UTM tagging, so `link` is published exactly as given. */
  utm: z.boolean().optional(),
});
export type PostContent = z.infer<typeof PostContent>;

export const Post = PostContent.extend({
  id: Slug,
  status: PostStatus,
  ...STORED_FIELDS,
  uploadId: z.string().optional(),
  /**
   * Where the post came from: absent for the calendar's posts; `imported` for a post the account
   * published before (or beside) Pulsecast, read by the history import. An imported post is
   * created in status IMPORTED, which no transition leads into or out of.
   */
  origin: z.literal('imported').optional(),
  /** An imported post's media by kind (the platform's media URLs are not kept). */
  importedMedia: z.array(z.enum(['image', 'video'])).optional(),
  /** Which Dispatcher execution holds the claim (QUEUED/PUBLISHING). */
  claimedBy: z.string().optional(),
  claimedAt: UtcInstant.optional(),
  platformPostId: z.string().optional(),
  platformUrl: z.string().optional(),
  publishedAt: UtcInstant.optional(),
  failureReason: z.string().optional(),
  /** Until when the current claim holds; a claim past it is recovered by the next sweep. */
  leaseUntil: UtcInstant.optional(),
  /** Attempts that definitely did not reach the platform (for bounded retries); reset by a reschedule. */
  attempts: z.number().int().min(0).optional(),
  /**
   * How many times a person rescheduled the post after it FAILED or went UNKNOWN (absent: never).
   * Each reschedule starts a new round whose platform calls carry a fresh idempotency key: the
   * previous round's key may have been spent on the platform, and reusing it could return (or
   * block) that round's outcome instead of publishing.
   */
  publishRound: z.number().int().min(1).optional(),
  /** Set when a person settled the post's outcome (UNKNOWN → PUBLISHED or FAILED) by hand. */
  settledBy: z.literal('person').optional(),
  // --- crisis holds (shared/holds): set on HELD posts only ---
  /** When a crisis hold stopped the post (it fell due while the hold covered it). */
  heldAt: UtcInstant.optional(),
  /** The holds that covered it. */
  holdIds: z.array(z.string()).optional(),
  /** The Dispatcher execution that held it (its record step re-announces only its own). */
  heldBy: z.string().optional(),
  /** When to look an UNKNOWN post up on the platform again. */
  reconcileAt: UtcInstant.optional(),
  reconcileAttempts: z.number().int().min(0).optional(),
  // --- approvals (shared/approvals): set on posts under an approval rule ---
  /** The review the post is in (PENDING_APPROVAL) or passed (SCHEDULED and after). */
  approval: PostApproval.optional(),
  /** Who approved, asked for changes or changed what, when, and why a review started again. */
  approvalLog: z.array(ApprovalLogEntry).optional(),
  // --- measuring (shared/measuring): set on PUBLISHED posts only ---
  /** `collecting` while checkpoints remain; `complete` after the last; `deleted` once the platform says it is gone. */
  metricsStatus: z.enum(['collecting', 'complete', 'deleted']).optional(),
  /** When the next metrics checkpoint is due: the post's METRICS entry in the due index. */
  nextMetricsAt: UtcInstant.optional(),
  /** Which checkpoint that is (`1h`, `24h`, `7d`, …); a delay moves `nextMetricsAt`, never this. */
  metricsCheckpoint: z.string().optional(),
  /** Readings in a row that came back unchanged (a stable post is read less often). */
  metricsStableCount: z.number().int().min(0).optional(),
  /** Failed readings in a row (backoff); absent after a success. */
  metricsFailures: z.number().int().min(0).optional(),
  /** Why the last reading did not happen (rate limit, platform error), for people. */
  metricsError: z.string().optional(),
  /** The latest snapshot's numbers, kept on the post for lists and sorting. */
  latestMetrics: z
    .object({
      checkpoint: z.string(),
      collectedAt: UtcInstant,
      metrics: NormalisedMetrics,
      engagementRate: z.number().optional(),
      engagementRateBasis: z.enum(['reach', 'impressions']).optional(),
    })
    .optional(),
});
export type Post = z.infer<typeof Post>;

/**
 * When a PUBLISHED post's metrics are next due (its METRICS due-index entry), derived from its
 * state so the index and the post cannot disagree. A post published but not yet planned is due
 * at once: the Collector plans its first checkpoint, whatever published it (Dispatcher,
 * reconciliation) and whichever cadence is configured.
 */
export function metricsDueAt(post: Post): string | undefined {
  if (post.status !== 'PUBLISHED' || !post.platformPostId) return undefined;
  if (post.metricsStatus === 'complete' || post.metricsStatus === 'deleted') return undefined;
  return post.nextMetricsAt ?? post.publishedAt ?? post.updatedAt;
}

/** The content fields, in a fixed order: what decides whether a re-upload changes a post. */
export const CONTENT_FIELDS = [
  'channel',
  'scheduledAt',
  'timezone',
  'text',
  'link',
  'media',
  'campaign',
  'tags',
  'utm',
] as const satisfies readonly (keyof PostContent)[];

export function sameContent(a: PostContent, b: PostContent): boolean {
  return CONTENT_FIELDS.every(
    (field) => JSON.stringify(a[field] ?? null) === JSON.stringify(b[field] ?? null),
  );
}
