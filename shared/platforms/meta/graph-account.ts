import * as z from 'zod';
import type { AccountGet, AccountPost, AccountSpec } from '../account.ts';
import { firstLinkIn, hashtagsIn, withQuery } from '../account.ts';
import type { ErrorClassifier } from '../http.ts';
import { readAnswer } from '../http.ts';
import { classifyGraphFailure, GRAPH_API_VERSION, graphEndpoint, graphRetryAfterSeconds } from './graph.ts';

/**
 * What the Facebook and Instagram account readers share: a Graph edge listed newest first with
 * `since` (Unix seconds), `limit` and cursor paging (`after`, followed only while `paging.next`
 * says there is more), the token in the `access_token` parameter, and Graph's error codes (a 400
 * with code 4, 17, 32 or 613 is throttling; 190 an expired token).
 */
export const PAGE_SIZE = 100;

const GraphPage = z.object({
  data: z.array(z.looseObject({ id: z.string() })),
  paging: z
    .looseObject({
      cursors: z.looseObject({ after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

/** Graph errors by code, for a read (nothing it asks for changes anything). */
export const graphReadErrors: ErrorClassifier = (response) =>
  classifyGraphFailure(response, { retrySafe: true }, new Date()).kind;

/** One page of a Graph edge, read into account posts by `toPost`. */
export async function graphEdgePage<T extends z.ZodType>(
  get: AccountGet,
  platformName: string,
  url: string,
  item: T,
  fields: string,
  request: { since: string; cursor?: string },
  toPost: (node: z.infer<T>) => AccountPost,
): Promise<{ posts: AccountPost[]; cursor?: string }> {
  const body = await get(
    withQuery(url, {
      fields,
      limit: String(PAGE_SIZE),
      since: String(Math.floor(Date.parse(request.since) / 1000)),
      after: request.cursor,
    }),
  );
  const page = readAnswer(platformName, GraphPage, body, 'the account listing', 'unavailable');
  const nodes = readAnswer(platformName, z.array(item), page.data, 'the account listing', 'unavailable');
  const sinceMs = Date.parse(request.since);
  const posts = nodes.map(toPost).filter((post) => Date.parse(post.publishedAt) >= sinceMs);
  const after = page.paging?.next ? page.paging.cursors?.after : undefined;
  const older = nodes.length > 0 && posts.length < nodes.length;
  return { posts, ...(after && !older ? { cursor: after } : {}) };
}

/** The text features of a caption or message: its link and hashtags. */
export function textFeatures(text: string): Pick<AccountPost, 'hashtags'> & { link?: string } {
  const link = firstLinkIn(text);
  return { hashtags: hashtagsIn(text), ...(link ? { link } : {}) };
}

/** The fields a listed Instagram or Threads media object has in both: id, time, link and type. */
export const GRAPH_MEDIA_FIELDS = {
  id: z.string(),
  timestamp: z.string(),
  permalink: z.string().optional(),
  media_type: z.string().optional(),
};

/** A listed Graph media object (its id, time and permalink) with its text, media and counts. */
export function graphMediaPost(
  node: { id: string; timestamp: string; permalink?: string | undefined },
  post: {
    text: string | undefined;
    profileUrl: string;
    media: AccountPost['media'];
    metrics: AccountPost['metrics'];
  },
): AccountPost {
  const text = post.text ?? '';
  return {
    platformPostId: node.id,
    platformUrl: node.permalink ?? post.profileUrl,
    publishedAt: graphTime(node.timestamp),
    text,
    media: post.media,
    ...textFeatures(text),
    metrics: post.metrics,
  };
}

/** Graph's `2027-01-04T09:00:00+0000` as an ISO instant. */
export function graphTime(value: string): string {
  return new Date(value.replace(/\+0000$/, 'Z')).toISOString();
}

/** What differs between the Graph account readers: the account, its token, its edge and its items. */
export interface GraphAccountOptions<C extends object, T extends z.ZodType> {
  platform: AccountSpec<C>['platform'];
  platformName: string;
  credentials: z.ZodType<C>;
  limitations: readonly string[];
  origin: string;
  /** The API version in the path. @default GRAPH_API_VERSION */
  version?: string;
  /** The account's node id and token in the channel's secret. */
  account(credentials: C): { id: string; token: string };
  /** The edge of its own posts (`posts`, `media`), the item shape and the fields asked for. */
  edge: string;
  item: T;
  fields: string;
  toPost(node: z.infer<T>): AccountPost;
  /** Audience breakdowns the account offers (meta/graph-breakdowns.ts). */
  breakdowns?: AccountSpec<C>['breakdowns'];
}

/** An account reader over Graph: the edge listed page by page, followers from the node's `followers_count`. */
export function graphAccountSpec<C extends object, T extends z.ZodType>(
  options: GraphAccountOptions<C, T>,
): AccountSpec<C> {
  return {
    platform: options.platform,
    platformName: options.platformName,
    credentials: options.credentials,
    limitations: options.limitations,
    ...(options.breakdowns ? { breakdowns: options.breakdowns } : {}),
    base: (channel) =>
      graphEndpoint(channel.apiBaseUrl, options.origin, options.version ?? GRAPH_API_VERSION).root,
    authorise: (credentials, url) => {
      url.searchParams.set('access_token', options.account(credentials).token);
      return {};
    },
    classify: graphReadErrors,
    retryAfterSeconds: graphRetryAfterSeconds,
    listPosts: (get, { base, credentials, since, cursor }) =>
      graphEdgePage(
        get,
        options.platformName,
        `${base}/${options.account(credentials).id}/${options.edge}`,
        options.item,
        options.fields,
        { since, ...(cursor ? { cursor } : {}) },
        options.toPost,
      ),
    async readAudience(get, { base, credentials }) {
      const url = withQuery(`${base}/${options.account(credentials).id}`, { fields: 'followers_count' });
      const node = readAnswer(options.platformName, Node, await get(url), 'the account', 'unavailable');
      return { followers: node.followers_count ?? 0 };
    },
  };
}

const Node = z.looseObject({ id: z.string(), followers_count: z.number().optional() });
