import * as z from 'zod';
import { publicCounts } from '../metrics.ts';
import { GRAPH_MEDIA_FIELDS, graphAccountSpec, graphMediaPost } from './graph-account.ts';
import { instagramBreakdowns } from './graph-breakdowns.ts';
import { INSTAGRAM_GRAPH_ORIGIN, InstagramCredentials } from './instagram.ts';

/**
 * An Instagram professional account's own media: `GET /{ig-user-id}/media` with like and comment
 * counts in the listing; followers from `GET /{ig-user-id}?fields=followers_count`. Reach and
 * views are per-media insights, not read by the import.
 */
const Media = z.looseObject({
  ...GRAPH_MEDIA_FIELDS,
  caption: z.string().optional(),
  like_count: z.number().optional(),
  comments_count: z.number().optional(),
});

export const INSTAGRAM_ACCOUNT = graphAccountSpec({
  platform: 'instagram',
  platformName: 'Instagram',
  credentials: InstagramCredentials,
  limitations: [
    'imported Instagram posts carry likes and comments only: reach, views and saves are per-media insights the import does not read',
    'Instagram gives follower demographics and online hours only from 100 followers; online hours cover the last 28 days',
  ],
  origin: INSTAGRAM_GRAPH_ORIGIN,
  breakdowns: instagramBreakdowns<InstagramCredentials>((credentials) => ({ id: credentials.igUserId })),
  account: (credentials) => ({ id: credentials.igUserId, token: credentials.accessToken }),
  edge: 'media',
  item: Media,
  fields: 'id,caption,timestamp,permalink,media_type,like_count,comments_count',
  toPost: (media) =>
    graphMediaPost(media, {
      text: media.caption,
      profileUrl: 'https://www.instagram.com/',
      media: [media.media_type === 'VIDEO' || media.media_type === 'REELS' ? 'video' : 'image'],
      metrics: publicCounts({ likes: media.like_count, replies: media.comments_count }),
    }),
});
