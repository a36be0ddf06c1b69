import * as z from 'zod';
import { METRIC_NAMES, type Post } from '../domain/index.ts';
import { BadRequestError } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';
import type { Conversion, MeasurementStore, MetricSnapshot } from '../store/measurements.ts';
import { pagesOf, readAll } from '../store/pages.ts';
import type { PageRequest } from '../store/port.ts';
import type { PostFilter, PostStore } from '../store/posts.ts';
import { conversionTotals } from './conversions.ts';

/** What `GET /v1/posts?sort=` can order by: a normalised metric or the engagement rate. */
export const SORTABLE_METRICS = [...METRIC_NAMES, 'engagementRate'] as const;
export type SortableMetric = (typeof SORTABLE_METRICS)[number];

/** `reach` (ascending) or `-reach` (descending, the usual "top posts"). */
export const MetricSort = z
  .string()
  .regex(
    new RegExp(`^-?(${SORTABLE_METRICS.join('|')})$`),
    `must be a metric, optionally with "-" for descending: ${SORTABLE_METRICS.join(', ')}`,
  )
  .transform((value) => ({
    metric: value.replace(/^-/, '') as SortableMetric,
    descending: value.startsWith('-'),
    text: value,
  }));
export type MetricSort = z.infer<typeof MetricSort>;

/**
 * Most posts a sorted list reads. DynamoDB cannot order by a metric, so the matching posts are
 * read (one Query through the list index, filtered) and sorted here; beyond this many the caller
 * is asked to narrow the list rather than made to wait.
 */
export const MAX_SORTED_POSTS = 10_000;

/** The value a post is sorted by: its latest snapshot's. */
export function latestValue(post: Post, metric: SortableMetric): number | undefined {
  const latest = post.latestMetrics;
  if (!latest) return undefined;
  return metric === 'engagementRate' ? latest.engagementRate : latest.metrics[metric];
}

/**
 * One page of the posts matching `filter`, ordered by their latest value of a metric. Posts
 * without that metric (not measured yet, or a platform that does not report it) come last in
 * either direction; ties keep calendar order. The cursor is an offset bound to the sort, so a
 * cursor from another sort is refused, not misread.
 */
export async function listPostsByMetric(
  store: PostStore,
  filter: PostFilter,
  sort: MetricSort,
  page: PageRequest,
): Promise<{ items: Post[]; nextCursor?: string }> {
  const position = decodeCursor(page.cursor, ['sort', 'offset']);
  if (position && position.sort !== sort.text) {
    throw new BadRequestError(`this cursor belongs to sort=${position.sort}; start again without it`);
  }
  const offset = position ? Number(position.offset) : 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new BadRequestError('cursor is not one this API returned; start again without it');
  }

  const posts: Post[] = [];
  for await (const items of pagesOf(1000, (page) => store.listPosts(filter, page))) {
    posts.push(...items);
    if (posts.length > MAX_SORTED_POSTS) {
      throw new BadRequestError(
        `more than ${MAX_SORTED_POSTS} posts match; narrow the list (from, to, channel, campaign, status) to sort it by ${sort.metric}`,
      );
    }
  }

  const direction = sort.descending ? -1 : 1;
  const sorted = posts
    .map((post, order) => ({ post, order, value: latestValue(post, sort.metric) }))
    .sort((a, b) => {
      if (a.value === undefined || b.value === undefined) {
        return a.value === b.value ? a.order - b.order : a.value === undefined ? 1 : -1;
      }
      return (a.value - b.value) * direction || a.order - b.order;
    })
    .map((entry) => entry.post);
  const items = sorted.slice(offset, offset + page.limit);
  const nextOffset = offset + items.length;
  const nextCursor =
    nextOffset < sorted.length ? encodeCursor({ sort: sort.text, offset: String(nextOffset) }) : undefined;
  return { items, ...(nextCursor ? { nextCursor } : {}) };
}

/** What `GET /v1/posts/{id}` adds to a post: its snapshot history and its conversions. */
export interface PostMeasurements {
  /** Snapshots, oldest first; `raw` only when asked for. */
  metrics: (Omit<MetricSnapshot, 'raw' | 'postId'> & { raw?: unknown })[];
  conversions: { count: number; value: Record<string, number> };
}

export async function postMeasurements(
  store: MeasurementStore,
  postId: string,
  options: { raw?: boolean } = {},
): Promise<PostMeasurements> {
  const [snapshots, conversions] = await Promise.all([
    store.listSnapshots(postId),
    allConversions(store, postId),
  ]);
  return {
    metrics: snapshots.map(({ postId: _post, raw, ...snapshot }) => ({
      ...snapshot,
      ...(options.raw ? { raw } : {}),
    })),
    conversions: conversionTotals(conversions),
  };
}

function allConversions(store: MeasurementStore, postId: string): Promise<Conversion[]> {
  return readAll(500, (page) => store.listConversions(postId, page));
}
