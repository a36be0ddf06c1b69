import { z } from 'zod';
import { HttpUrl, IanaTimezone, Slug, UtcInstant } from './common.ts';

export const POST_STATUSES = [
  'SCHEDULED',
  'QUEUED',
  'PUBLISHING',
  'PUBLISHED',
  'FAILED',
  'CANCELLED',
  'UNKNOWN',
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
});
export type PostContent = z.infer<typeof PostContent>;

export const Post = PostContent.extend({
  id: Slug,
  status: PostStatus,
  /** Incremented by every write; every write is conditional on the version it read. */
  version: z.number().int().min(1),
  createdAt: UtcInstant,
  updatedAt: UtcInstant,
  uploadId: z.string().optional(),
  /** Which Dispatcher execution holds the claim (QUEUED/PUBLISHING). */
  claimedBy: z.string().optional(),
  claimedAt: UtcInstant.optional(),
  platformPostId: z.string().optional(),
  platformUrl: z.string().optional(),
  publishedAt: UtcInstant.optional(),
  failureReason: z.string().optional(),
  /** Until when the current claim holds; a claim past it is recovered by the next sweep. */
  leaseUntil: UtcInstant.optional(),
  /** Attempts that definitely did not reach the platform (for bounded retries). */
  attempts: z.number().int().min(0).optional(),
  /** When to look an UNKNOWN post up on the platform again. */
  reconcileAt: UtcInstant.optional(),
  reconcileAttempts: z.number().int().min(0).optional(),
});
export type Post = z.infer<typeof Post>;

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
] as const satisfies readonly (keyof PostContent)[];

export function sameContent(a: PostContent, b: PostContent): boolean {
  return CONTENT_FIELDS.every(
    (field) => JSON.stringify(a[field] ?? null) === JSON.stringify(b[field] ?? null),
  );
}
