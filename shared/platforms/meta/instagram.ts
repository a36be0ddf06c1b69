import * as z from 'zod';
import type { NormalisedMetrics } from '../../domain/index.ts';
import { looksLikeVideo } from '../media.ts';
import { definedMetrics, sumDefined } from '../metrics.ts';
import { type MetricsReading, type PlatformAdapter, PlatformError, type PublishedRef } from '../port.ts';
import { type PlatformFinding, validatePostForPlatform } from '../rules.ts';
import { type ContainerAdapterOptions, containerAccount, readInsights } from './container-account.ts';
import type { ContainerDialect } from './containers.ts';
import { GRAPH_API_VERSION, GraphPlatformError } from './graph.ts';

/**
 * Instagram professional accounts through the Instagram API with Instagram Login
 * (`graph.instagram.com`): a media container per image or video (children and a CAROUSEL
 * container for several), polled until FINISHED, then `media_publish`.
 *
 * Why Instagram Login and not Facebook Login: the channel secret holds one long-lived Instagram
 * user token and no app secret, and only Instagram Login tokens can be refreshed with that alone
 * (`ig_refresh_token`). The same paths answer on `graph.facebook.com` for Facebook Login tokens;
 * point `apiBaseUrl` there to use one (such tokens are refreshed through Facebook Login instead).
 */

export const INSTAGRAM_GRAPH_ORIGIN = 'https://graph.instagram.com';

export const InstagramCredentials = z.object({
  igUserId: z.string().regex(/^\d+$/, 'must be the numeric Instagram professional account id'),
  accessToken: z.string().min(1),
  /** ISO instant; long-lived tokens last 60 days and are refreshed in their last week. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type InstagramCredentials = z.infer<typeof InstagramCredentials>;

/**
 * Media insights asked for. `impressions` was deprecated for all versions on April 21, 2025;
 * `views` (times the post was played or displayed) replaces it.
 */
export const INSTAGRAM_MEDIA_INSIGHTS = [
  'views',
  'reach',
  'likes',
  'comments',
  'shares',
  'saved',
  'total_interactions',
] as const;

const DIALECT: ContainerDialect = {
  platformName: 'Instagram',
  createEdge: 'media',
  publishEdge: 'media_publish',
  limitEdge: 'content_publishing_limit',
  statusField: 'status_code',
  statusDetailFields: ['status'],
  // Meta suggests checking a video container about once a minute for up to five minutes; the
  // publish step cannot wait that long (see DEFAULT_PROCESSING_BUDGET_MS), so it looks more often.
  pollMs: 3_000,
};

/**
 * Instagram media insights in Pulsecast's vocabulary. Meta's `views` is the successor of
 * impressions, so it fills that place; Instagram reports no clicks on a post, so clicks stay
 * absent. `total_interactions` is Instagram's own engagement count.
 */
export function instagramMetrics(numbers: Record<string, number>): NormalisedMetrics {
  return definedMetrics({
    impressions: numbers.views,
    reach: numbers.reach,
    likes: numbers.likes,
    comments: numbers.comments,
    shares: numbers.shares,
    saves: numbers.saved,
    engagements:
      numbers.total_interactions ??
      sumDefined(numbers.likes, numbers.comments, numbers.shares, numbers.saved),
  });
}

const JPEG_URL_RE = /\.(?:jpe?g)(?:$|[?#])/i;

export function createInstagramAdapter(options: ContainerAdapterOptions = {}): PlatformAdapter {
  const account = containerAccount(options, {
    dialect: DIALECT,
    schema: InstagramCredentials,
    grantType: 'ig_refresh_token',
    defaultOrigin: INSTAGRAM_GRAPH_ORIGIN,
    version: GRAPH_API_VERSION,
    // Facebook Login tokens (graph.facebook.com) are not refreshed with ig_refresh_token.
    refreshable: (origin) => new URL(origin).hostname !== 'graph.facebook.com',
    userId: (c) => c.igUserId,
    profileUrl: (channel) => `https://www.instagram.com/${channel.handle.replace(/^@/, '')}/`,
  });

  return {
    platform: 'instagram',
    // Insights are read per media object.
    capabilities: { lookup: true, metricsBatchSize: 1 },

    validate(post) {
      const findings: PlatformFinding[] = validatePostForPlatform('instagram', post);
      for (const url of post.media) {
        if (!looksLikeVideo(url) && !JPEG_URL_RE.test(url)) {
          findings.push({
            column: 'media',
            severity: 'warning',
            message: `Instagram's API documents JPEG as its only image format; '${url.length > 60 ? `${url.slice(0, 57)}...` : url}' may be refused`,
          });
        }
      }
      return findings;
    },

    publish(post, channel, credentials, context): Promise<PublishedRef> {
      const caption = post.text;
      return account.publish(
        {
          content: { caption, media: post.media },
          media: post.media,
          single: (url) => {
            if (url === undefined) {
              throw new PlatformError('rejected', 'Instagram posts need an image or a video', {
                platformCode: 'no-media',
              });
            }
            return looksLikeVideo(url)
              ? { media_type: 'REELS', video_url: url, caption }
              : { image_url: url, caption };
          },
          item: (url) =>
            looksLikeVideo(url)
              ? { media_type: 'VIDEO', video_url: url, is_carousel_item: true }
              : { image_url: url, is_carousel_item: true },
          carousel: (children) => ({ media_type: 'CAROUSEL', children, caption }),
        },
        channel,
        credentials,
        context,
      );
    },

    lookup(post, channel, credentials) {
      return account.findOwnPost(post, channel, credentials, {
        text: post.text,
        textField: 'caption',
        since: false,
      });
    },

    fetchMetrics(posts, channel, credentials): Promise<MetricsReading[]> {
      return account.fetchInsights(posts, channel, credentials, async (graph, id) => {
        try {
          return await readInsights(graph, id, INSTAGRAM_MEDIA_INSIGHTS, instagramMetrics);
        } catch (error) {
          const graphError = error instanceof GraphPlatformError ? error.graph : undefined;
          if (graphError?.code === 10 && /not enough viewers/i.test(graphError.message ?? '')) {
            return { metrics: {}, raw: { error: graphError } };
          }
          throw error;
        }
      });
    },

    checkCredentials: account.checkCredentials,
  };
}
