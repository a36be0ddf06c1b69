import * as z from 'zod';
import { publicCounts } from '../metrics.ts';
import { FACEBOOK_GRAPH_ORIGIN, FacebookCredentials } from './facebook.ts';
import { graphAccountSpec, graphTime, textFeatures } from './graph-account.ts';
import { facebookBreakdowns } from './graph-breakdowns.ts';

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

export const FACEBOOK_ACCOUNT = graphAccountSpec({
  platform: 'facebook',
  platformName: 'Facebook',
  credentials: FacebookCredentials,
  limitations: [
    'imported Facebook posts carry reactions, comments and shares only: reach and clicks are per-post Page insights the import does not read',
    'Facebook Page followers by country only (page_follows_country); Meta retired Page ages, genders and online hours',
    'media on imported Facebook posts is not identified',
  ],
  origin: FACEBOOK_GRAPH_ORIGIN,
  breakdowns: facebookBreakdowns<FacebookCredentials>((credentials) => ({ id: credentials.pageId })),
  account: (credentials) => ({ id: credentials.pageId, token: credentials.pageAccessToken }),
  edge: 'posts',
  item: PagePost,
  fields:
    'id,message,created_time,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count)',
  toPost: (post) => ({
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
});
