import { z } from 'zod';
import type { AccountSpec } from '../account.ts';
import { readAnswer } from '../http.ts';
import { publicCounts } from '../metrics.ts';
import { FACEBOOK_GRAPH_ORIGIN, FacebookCredentials } from './facebook.ts';
import { GRAPH_API_VERSION, graphEndpoint, graphRetryAfterSeconds } from './graph.ts';
import { graphEdgePage, graphReadErrors, graphTime, textFeatures } from './graph-account.ts';

/**
 * A Facebook Page's own posts: `GET /{page-id}/posts` (the Page's posts, not visitors'), with
 * reactions, comments and shares counted in the listing; followers from
 * `GET /{page-id}?fields=followers_count`. Reach and clicks are Page insights per post, not read
 * by the import.
 */
const PagePost = z.looseObject({
  id: z.string(),
  message: z.string().optional(),
  created_time: z.string(),
  permalink_url: z.string().optional(),
  shares: z.looseObject({ count: z.number() }).optional(),
  reactions: z.looseObject({ summary: z.looseObject({ total_count: z.number() }).optional() }).optional(),
  comments: z.looseObject({ summary: z.looseObject({ total_count: z.number() }).optional() }).optional(),
});
const FIELDS =
  'id,message,created_time,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count)';
const Page = z.looseObject({ id: z.string(), followers_count: z.number().optional() });

export const FACEBOOK_ACCOUNT: AccountSpec<FacebookCredentials> = {
  platform: 'facebook',
  platformName: 'Facebook',
  credentials: FacebookCredentials,
  limitations: [
    'imported Facebook posts carry reactions, comments and shares only: reach and clicks are per-post Page insights the import does not read',
    'Facebook Page audience breakdowns (countries, ages) are not read',
    'media on imported Facebook posts is not identified',
  ],
  base: (channel) => graphEndpoint(channel.apiBaseUrl, FACEBOOK_GRAPH_ORIGIN, GRAPH_API_VERSION).root,
  authorise: (credentials, url) => {
    url.searchParams.set('access_token', credentials.pageAccessToken);
    return {};
  },
  classify: graphReadErrors,
  retryAfterSeconds: graphRetryAfterSeconds,
  listPosts: (get, { base, credentials, since, cursor }) =>
    graphEdgePage(
      get,
      'Facebook',
      `${base}/${credentials.pageId}/posts`,
      PagePost,
      FIELDS,
      { since, ...(cursor ? { cursor } : {}) },
      (post) => ({
        platformPostId: post.id,
        platformUrl: post.permalink_url ?? `https://www.facebook.com/${post.id}`,
        publishedAt: graphTime(post.created_time),
        text: post.message ?? '',
        media: [],
        ...textFeatures(post.message ?? ''),
        metrics: publicCounts({
          likes: post.reactions?.summary?.total_count,
          replies: post.comments?.summary?.total_count,
          reposts: post.shares?.count ?? 0,
        }),
      }),
    ),
  async readAudience(get, { base, credentials }) {
    const url = new URL(`${base}/${credentials.pageId}`);
    url.searchParams.set('fields', 'followers_count');
    const page = readAnswer('Facebook', Page, await get(url.toString()), 'the Page', 'unavailable');
    return { followers: page.followers_count ?? 0 };
  },
};
