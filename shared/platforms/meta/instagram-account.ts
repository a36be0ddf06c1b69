import { z } from 'zod';
import type { AccountSpec } from '../account.ts';
import { readAnswer } from '../http.ts';
import { publicCounts } from '../metrics.ts';
import { GRAPH_API_VERSION, graphEndpoint, graphRetryAfterSeconds } from './graph.ts';
import { graphEdgePage, graphReadErrors, graphTime, textFeatures } from './graph-account.ts';
import { INSTAGRAM_GRAPH_ORIGIN, InstagramCredentials } from './instagram.ts';

/**
 * An Instagram professional account's own media: `GET /{ig-user-id}/media` with like and comment
 * counts in the listing; followers from `GET /{ig-user-id}?fields=followers_count`. Reach and
 * views are per-media insights, not read by the import.
 */
const Media = z.looseObject({
  id: z.string(),
  caption: z.string().optional(),
  timestamp: z.string(),
  permalink: z.string().optional(),
  media_type: z.string().optional(),
  like_count: z.number().optional(),
  comments_count: z.number().optional(),
});
const FIELDS = 'id,caption,timestamp,permalink,media_type,like_count,comments_count';
const User = z.looseObject({ id: z.string(), followers_count: z.number().optional() });

export const INSTAGRAM_ACCOUNT: AccountSpec<InstagramCredentials> = {
  platform: 'instagram',
  platformName: 'Instagram',
  credentials: InstagramCredentials,
  limitations: [
    'imported Instagram posts carry likes and comments only: reach, views and saves are per-media insights the import does not read',
    'Instagram audience breakdowns (follower_demographics, online_followers) are not read',
  ],
  base: (channel) => graphEndpoint(channel.apiBaseUrl, INSTAGRAM_GRAPH_ORIGIN, GRAPH_API_VERSION).root,
  authorise: (credentials, url) => {
    url.searchParams.set('access_token', credentials.accessToken);
    return {};
  },
  classify: graphReadErrors,
  retryAfterSeconds: graphRetryAfterSeconds,
  listPosts: (get, { base, credentials, since, cursor }) =>
    graphEdgePage(
      get,
      'Instagram',
      `${base}/${credentials.igUserId}/media`,
      Media,
      FIELDS,
      { since, ...(cursor ? { cursor } : {}) },
      (media) => ({
        platformPostId: media.id,
        platformUrl: media.permalink ?? `https://www.instagram.com/`,
        publishedAt: graphTime(media.timestamp),
        text: media.caption ?? '',
        media: [media.media_type === 'VIDEO' || media.media_type === 'REELS' ? 'video' : 'image'],
        ...textFeatures(media.caption ?? ''),
        metrics: publicCounts({ likes: media.like_count, replies: media.comments_count }),
      }),
    ),
  async readAudience(get, { base, credentials }) {
    const url = new URL(`${base}/${credentials.igUserId}`);
    url.searchParams.set('fields', 'followers_count');
    const user = readAnswer('Instagram', User, await get(url.toString()), 'the account', 'unavailable');
    return { followers: user.followers_count ?? 0 };
  },
};
