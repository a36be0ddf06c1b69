import { z } from 'zod';
import type { Channel, NormalisedMetrics } from '../../domain/index.ts';
import { type AdapterOptions, PlatformHttp } from '../http.ts';
import { looksLikeVideo } from '../media.ts';
import { definedMetrics, sumDefined } from '../metrics.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  type PlatformCapabilities,
  PlatformError,
  type PublishedRef,
} from '../port.ts';
import { lookupWindowStart, sameText } from '../posting.ts';
import { composePublishedText, type PlatformFinding, validatePostForPlatform } from '../rules.ts';
import { credentialHealth } from '../session.ts';
import {
  ContainerCache,
  type ContainerDialect,
  DEFAULT_PROCESSING_BUDGET_MS,
  publishThroughContainers,
} from './containers.ts';
import {
  GraphClient,
  GraphPlatformError,
  graphEndpoint,
  InsightsResponse,
  insightNumbers,
  longLivedTokenSessions,
  parseMetaTime,
  THREADS_API_VERSION,
} from './graph.ts';

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
const THREADS_STABLE_INSIGHTS = ['views', 'likes', 'replies', 'reposts', 'quotes'] as const;

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

const UserThreads = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      text: z.string().optional(),
      timestamp: z.string().optional(),
      permalink: z.string().optional(),
    }),
  ),
});

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

// Insights are read per media object.
const CAPABILITIES: PlatformCapabilities = { lookup: true, metricsBatchSize: 1 };

export interface ThreadsAdapterOptions extends AdapterOptions {
  /** How long one publish may wait for media processing. @default 18000 (the publish Lambda has 30 s) */
  processingBudgetMs?: number;
}

export function createThreadsAdapter(options: ThreadsAdapterOptions = {}): PlatformAdapter {
  const http = new PlatformHttp('Threads', options);
  const processingBudgetMs = options.processingBudgetMs ?? DEFAULT_PROCESSING_BUDGET_MS;
  const containers = new ContainerCache(http.now);
  const endpointOf = (channel: Channel) =>
    graphEndpoint(channel.apiBaseUrl, THREADS_GRAPH_ORIGIN, THREADS_API_VERSION);
  const sessions = longLivedTokenSessions(http, {
    schema: ThreadsCredentials,
    grantType: 'th_refresh_token',
    origin: (channel) => endpointOf(channel).origin,
  });

  async function open(channel: Channel, store: CredentialStore) {
    const session = await sessions.open(channel, store);
    const { credentials } = session;
    const graph = new GraphClient(http, endpointOf(channel), credentials.accessToken, session.secrets);
    return { credentials, session, graph };
  }

  function profileUrl(channel: Channel): string {
    return `https://www.threads.net/@${channel.handle.replace(/^@/, '')}`;
  }

  return {
    platform: 'threads',
    capabilities: CAPABILITIES,

    validate(post): PlatformFinding[] {
      return validatePostForPlatform('threads', {
        text: post.text,
        media: post.media,
        ...(post.link ? { link: post.link } : {}),
      });
    },

    async publish(post, channel, credentials, context): Promise<PublishedRef> {
      // Threads has no link field: the link goes at the end of the text (first URL = preview).
      const text = composePublishedText('threads', post.text, post.link);
      const { credentials: c, graph } = await open(channel, credentials);
      return publishThroughContainers({
        http,
        graph,
        dialect: DIALECT,
        cache: containers,
        channel,
        userId: c.threadsUserId,
        context,
        processingBudgetMs,
        post: {
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
          profileUrl: profileUrl(channel),
        },
      });
    },

    async lookup(post, channel, credentials) {
      const { credentials: c, graph } = await open(channel, credentials);
      const earliest = lookupWindowStart(post).getTime();
      const body = await graph.get(`/${c.threadsUserId}/threads`, {
        fields: 'id,text,timestamp,permalink',
        since: Math.floor(earliest / 1000),
        limit: 50,
      });
      const threads = UserThreads.safeParse(body);
      if (!threads.success) {
        throw new PlatformError('unavailable', 'Threads answered the post list in an unexpected shape', {
          platformCode: 'shape',
        });
      }
      const expected = composePublishedText('threads', post.text, post.link);
      const match = threads.data.data.find((item) => {
        const created = parseMetaTime(item.timestamp);
        if (!Number.isNaN(created) && created < earliest) return false;
        return sameText(item.text ?? '', expected);
      });
      if (!match) return undefined;
      return {
        platformPostId: match.id,
        platformUrl: match.permalink ?? profileUrl(channel),
      };
    },

    async fetchMetrics(posts, channel, credentials): Promise<MetricsReading[]> {
      if (posts.length === 0) return [];
      const { graph } = await open(channel, credentials);
      const readings: MetricsReading[] = [];
      let metrics: readonly string[] = THREADS_MEDIA_INSIGHTS;
      for (const p of posts) {
        const base = { postId: p.id, platformPostId: p.platformPostId };
        for (let attempt = 0; ; attempt++) {
          try {
            const body = await graph.get(`/${p.platformPostId}/insights`, { metric: metrics.join(',') });
            const parsed = InsightsResponse.safeParse(body);
            readings.push({
              ...base,
              status: 'ok',
              metrics: parsed.success ? threadsMetrics(insightNumbers(parsed.data.data)) : {},
              raw: body ?? null,
            });
            break;
          } catch (error) {
            const graphError = error instanceof GraphPlatformError ? error.graph : undefined;
            if (graphError?.code === 100 && graphError.error_subcode === 33) {
              readings.push({ ...base, status: 'deleted', metrics: {}, raw: { error: graphError } });
              break;
            }
            // A metric still "in development" may be withdrawn: ask again for the stable ones.
            if (attempt === 0 && graphError?.code === 100 && /metric/i.test(graphError.message ?? '')) {
              metrics = THREADS_STABLE_INSIGHTS;
              continue;
            }
            throw error;
          }
        }
      }
      return readings;
    },

    checkCredentials(channel, credentials) {
      return credentialHealth('Threads', channel, async () => {
        const { session, graph } = await open(channel, credentials);
        await graph.get('/me', { fields: 'id' });
        const expiresAt = session.credentials.expiresAt;
        return { refreshed: session.refreshed, ...(expiresAt ? { expiresAt } : {}) };
      });
    },
  };
}
