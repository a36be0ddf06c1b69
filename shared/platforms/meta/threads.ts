import * as z from 'zod';
import type { NormalisedMetrics } from '../../domain/index.ts';
import { looksLikeVideo } from '../media.ts';
import { definedMetrics, sumDefined } from '../metrics.ts';
import type { MetricsReading, PlatformAdapter, PublishedRef } from '../port.ts';
import { composePublishedText, type PlatformFinding, validatePostForPlatform } from '../rules.ts';
import { type ContainerAdapterOptions, containerAccount, readInsights } from './container-account.ts';
import type { ContainerDialect } from './containers.ts';
import { GraphPlatformError, THREADS_API_VERSION } from './graph.ts';

/**
 * Threads through the Threads API (`graph.threads.net`): a media container (TEXT, IMAGE, VIDEO,
 * or CAROUSEL of items), checked until FINISHED, then `threads_publish`.
 */

export const THREADS_GRAPH_ORIGIN = 'https://graph.threads.net';

export const ThreadsCredentials = z.object({
  threadsUserId: z.string().regex(/^\d+$/, 'must be the numeric Threads user id'),
  accessToken: z.string().min(1),
  /** ISO instant; long-lived tokens last 60 days and are refreshed in their last week. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type ThreadsCredentials = z.infer<typeof ThreadsCredentials>;

/** Media insights; `views` and `shares` are marked "in development" by Meta. */
export const THREADS_MEDIA_INSIGHTS = ['views', 'likes', 'replies', 'reposts', 'quotes', 'shares'] as const;
export const THREADS_STABLE_INSIGHTS = ['views', 'likes', 'replies', 'reposts', 'quotes'] as const;

const DIALECT: ContainerDialect = {
  platformName: 'Threads',
  createEdge: 'threads',
  publishEdge: 'threads_publish',
  limitEdge: 'threads_publishing_limit',
  statusField: 'status',
  statusDetailFields: ['error_message'],
  // Meta: "wait on average 30 seconds" before publishing a media container.
  pollMs: 3_000,
};

/**
 * Threads insights in Pulsecast's vocabulary: views (times played or displayed) fill the place of
 * impressions, replies are comments, and reposts, quotes and shares all spread the post, so
 * together they are its shares. Threads has no reach, saves or clicks per post: absent.
 */
export function threadsMetrics(numbers: Record<string, number>): NormalisedMetrics {
  return definedMetrics({
    impressions: numbers.views,
    likes: numbers.likes,
    comments: numbers.replies,
    shares: sumDefined(numbers.reposts, numbers.quotes, numbers.shares),
    engagements: sumDefined(numbers.likes, numbers.replies, numbers.reposts, numbers.quotes, numbers.shares),
  });
}

export function createThreadsAdapter(options: ContainerAdapterOptions = {}): PlatformAdapter {
  const account = containerAccount(options, {
    dialect: DIALECT,
    schema: ThreadsCredentials,
    grantType: 'th_refresh_token',
    defaultOrigin: THREADS_GRAPH_ORIGIN,
    version: THREADS_API_VERSION,
    userId: (c) => c.threadsUserId,
    profileUrl: (channel) => `https://www.threads.net/@${channel.handle.replace(/^@/, '')}`,
  });
  return {
    platform: 'threads',
    // Insights are read per media object.
    capabilities: { lookup: true, metricsBatchSize: 1 },

    validate(post): PlatformFinding[] {
      return validatePostForPlatform('threads', post);
    },

    publish(post, channel, credentials, context): Promise<PublishedRef> {
      // Threads has no link field: the link goes at the end of the text (first URL = preview).
      const text = composePublishedText('threads', post.text, post.link);
      return account.publish(
        {
          content: { text, media: post.media },
          media: post.media,
          single: (url) =>
            url === undefined
              ? { media_type: 'TEXT', text }
              : looksLikeVideo(url)
                ? { media_type: 'VIDEO', video_url: url, text }
                : { media_type: 'IMAGE', image_url: url, text },
          item: (url) =>
            looksLikeVideo(url)
              ? { media_type: 'VIDEO', video_url: url, is_carousel_item: true }
              : { media_type: 'IMAGE', image_url: url, is_carousel_item: true },
          carousel: (children) => ({ media_type: 'CAROUSEL', children, text }),
        },
        channel,
        credentials,
        context,
      );
    },

    lookup(post, channel, credentials) {
      return account.findOwnPost(post, channel, credentials, {
        text: composePublishedText('threads', post.text, post.link),
        textField: 'text',
        since: true,
      });
    },

    fetchMetrics(posts, channel, credentials): Promise<MetricsReading[]> {
      let insights: readonly string[] = THREADS_MEDIA_INSIGHTS;
      return account.fetchInsights(posts, channel, credentials, async (graph, id) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await readInsights(graph, id, insights, threadsMetrics);
          } catch (error) {
            const graphError = error instanceof GraphPlatformError ? error.graph : undefined;
            // A metric still "in development" may be withdrawn: ask again for the stable ones.
            if (
              attempt === 0 &&
              graphError?.code === 100 &&
              graphError.error_subcode !== 33 &&
              /metric/i.test(graphError.message ?? '')
            ) {
              insights = THREADS_STABLE_INSIGHTS;
              continue;
            }
            throw error;
          }
        }
      });
    },

    checkCredentials: account.checkCredentials,
  };
}
