import * as z from 'zod';
import { PostStatus, Slug } from '../../shared/domain/index.ts';
import type { PageRequest } from '../../shared/store/port.ts';
import { type ApiEvent, parseQuery, QueryLimit } from './http.ts';

/** An instant in a query string: any ISO-8601 date-time with offset (or a date), normalised to UTC. */
const QueryInstant = z
  .string()
  .refine(
    (value) =>
      /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value)),
    {
      message: 'must be an ISO-8601 date or date-time with offset, e.g. 2026-12-01 or 2026-12-01T09:00:00Z',
    },
  )
  .transform((value) => new Date(value).toISOString());

/**
 * A time window given backwards is the caller's mistake, said as such: left to the store it
 * would be a key condition DynamoDB refuses (BETWEEN wants its lower bound first).
 */
function fromNotAfterTo(query: { from?: string | undefined; to?: string | undefined }): boolean {
  return query.from === undefined || query.to === undefined || query.from <= query.to;
}

/**
 * Filters shared by the post list and the calendar exports. A route adding parameters of its own
 * uses `.safeExtend()`, which keeps the from/to check (`.extend()` refuses a refined object).
 */
export const PostFilterQuery = z
  .strictObject({
    from: QueryInstant.optional(),
    to: QueryInstant.optional(),
    status: PostStatus.optional(),
    channel: Slug.optional(),
    campaign: Slug.optional(),
  })
  .refine(fromNotAfterTo, {
    path: ['from'],
    error: (issue) => {
      const { from, to } = issue.input as { from: string; to: string };
      return `${from} is later than to (${to}); the window runs from the earlier instant to the later`;
    },
  });

/** The query parameters of every list route: `limit`, and the `cursor` the previous page returned. */
export const PageParams = { limit: QueryLimit, cursor: z.string().optional() };

/** The page that parsed {@link PageParams} ask for, as the store takes it. */
export function pageRequest({ limit, cursor }: { limit: number; cursor?: string | undefined }): PageRequest {
  return { limit, ...(cursor ? { cursor } : {}) };
}

/** The page a list route without other parameters is asked for. */
export function pageQuery(event: ApiEvent): PageRequest {
  return pageRequest(parseQuery(event, z.strictObject(PageParams)));
}
