import * as z from 'zod';
import type { AccountSpec } from '../account.ts';
import { withQuery } from '../account.ts';
import { readAnswer } from '../http.ts';
import { PlatformError } from '../port.ts';
import { InsightsResponse, insightNumbers, THREADS_API_VERSION } from './graph.ts';
import { GRAPH_MEDIA_FIELDS, graphAccountSpec, graphMediaPost } from './graph-account.ts';
import { threadsBreakdowns } from './graph-breakdowns.ts';
import {
  THREADS_GRAPH_ORIGIN,
  THREADS_STABLE_INSIGHTS,
  ThreadsCredentials,
  threadsMetrics,
} from './threads.ts';

/**
 * A Threads account's own posts: `GET /{threads-user-id}/threads` (newest first, `since`, `limit`
 * and cursor paging like Graph). The listing carries no counts, so each listed post's insights
 * are read with `GET /{media-id}/insights` (one request per post). Followers come from the user
 * insights: `GET /{threads-user-id}/threads_insights?metric=followers_count`.
 */
const Thread = z.looseObject({ ...GRAPH_MEDIA_FIELDS, text: z.string().optional() });

const MEDIA_TYPES: Record<string, ('image' | 'video')[]> = {
  IMAGE: ['image'],
  VIDEO: ['video'],
  // A carousel's items are children the listing does not expand: one entry says "media".
  CAROUSEL_ALBUM: ['image'],
};

const listing = graphAccountSpec({
  platform: 'threads',
  platformName: 'Threads',
  credentials: ThreadsCredentials,
  limitations: [
    'Threads lists no counts with a post: each imported post costs one insights request, and views and shares are metrics Meta marks as in development',
    'Threads has no reach, saves or clicks per post',
    'Threads follower demographics need at least 100 followers, and Threads has no online hours',
    'the items of an imported Threads carousel are not counted one by one',
  ],
  origin: THREADS_GRAPH_ORIGIN,
  breakdowns: threadsBreakdowns<ThreadsCredentials>((credentials) => ({ id: credentials.threadsUserId })),
  version: THREADS_API_VERSION,
  account: (credentials) => ({ id: credentials.threadsUserId, token: credentials.accessToken }),
  edge: 'threads',
  item: Thread,
  fields: 'id,text,timestamp,permalink,media_type',
  // The listing has no counts: `listPosts` below adds each post's insights.
  toPost: (thread) =>
    graphMediaPost(thread, {
      text: thread.text,
      profileUrl: 'https://www.threads.net/',
      media: MEDIA_TYPES[thread.media_type ?? ''] ?? [],
      metrics: {},
    }),
});

export const THREADS_ACCOUNT: AccountSpec<ThreadsCredentials> = {
  ...listing,
  async listPosts(get, context) {
    const page = await listing.listPosts(get, context);
    const posts = [];
    for (const post of page.posts) {
      const url = withQuery(`${context.base}/${encodeURIComponent(post.platformPostId)}/insights`, {
        metric: THREADS_STABLE_INSIGHTS.join(','),
      });
      const insights = readAnswer('Threads', InsightsResponse, await get(url), 'the insights', 'unavailable');
      posts.push({ ...post, metrics: threadsMetrics(insightNumbers(insights.data)) });
    }
    return { ...page, posts };
  },
  async readAudience(get, { base, credentials }) {
    const url = withQuery(`${base}/${encodeURIComponent(credentials.threadsUserId)}/threads_insights`, {
      metric: 'followers_count',
    });
    const insights = readAnswer(
      'Threads',
      InsightsResponse,
      await get(url),
      'the user insights',
      'unavailable',
    );
    const followers = insightNumbers(insights.data).followers_count;
    if (followers === undefined) {
      throw new PlatformError('unavailable', 'Threads answered the user insights without followers_count', {
        platformCode: 'shape',
      });
    }
    return { followers };
  },
};
