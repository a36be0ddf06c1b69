import * as z from 'zod';

/**
 * The API's answers as the CLI reads them. Deliberately loose: unknown fields are kept (and shown
 * by `--json`), and only what the CLI prints is required, so a newer API does not break an older
 * CLI.
 */

export const IssueSchema = z.object({
  row: z.number().optional(),
  column: z.string().optional(),
  message: z.string(),
});

export const ProblemSchema = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
  /** Validated item by item, so one odd entry does not hide the others. */
  errors: z.array(z.unknown()).optional(),
  /** API Gateway's own errors (e.g. a rejected signature) are `{ "message": "..." }`. */
  message: z.string().optional(),
});

export const UploadPlanSchema = z.looseObject({
  uploadId: z.string().optional(),
  dryRun: z.boolean(),
  summary: z.looseObject({
    created: z.number(),
    updated: z.number(),
    unchanged: z.number(),
    conflict: z.number().optional(),
  }),
  posts: z.array(
    z.looseObject({
      row: z.number(),
      id: z.string(),
      action: z.string(),
      current: z.looseObject({ status: z.string(), version: z.number() }).optional(),
    }),
  ),
  warnings: z.array(IssueSchema).optional(),
});
export type UploadPlan = z.infer<typeof UploadPlanSchema>;

export const PostSchema = z.looseObject({
  id: z.string(),
  channel: z.string(),
  scheduledAt: z.string(),
  status: z.string(),
  text: z.string().default(''),
  timezone: z.string().optional(),
  link: z.string().nullish(),
  media: z.array(z.string()).optional(),
  campaign: z.string().nullish(),
  tags: z.array(z.string()).optional(),
  version: z.number().optional(),
  platformPostId: z.string().nullish(),
  platformUrl: z.string().nullish(),
  publishedAt: z.string().nullish(),
  failureReason: z.string().nullish(),
  /** The newest metrics snapshot, when the post has one. */
  latestMetrics: z
    .looseObject({ metrics: z.record(z.string(), z.number()), engagementRate: z.number().optional() })
    .optional(),
  /** Metric snapshots, oldest first (only on `GET /v1/posts/{id}`). */
  metrics: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type Post = z.infer<typeof PostSchema>;

export const ChannelSchema = z.looseObject({
  id: z.string(),
  platform: z.string(),
  handle: z.string(),
  timezone: z.string(),
  secretRef: z.string().optional(),
  apiBaseUrl: z.string().nullish(),
  version: z.number().optional(),
});
export type Channel = z.infer<typeof ChannelSchema>;

/** Every list answers `{ items, nextCursor }`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ items: z.array(item), nextCursor: z.string().nullish() });
}
