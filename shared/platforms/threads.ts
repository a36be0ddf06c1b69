import { z } from 'zod';
import type { Channel, NormalisedMetrics } from '../domain/index.ts';
import { type AdapterOptions, PlatformHttp } from './http.ts';
import {
  ContainerCache,
  type ContainerDialect,
  type CredentialHealth,
  checkMetaCredentials,
  createContainer,
  DEFAULT_PROCESSING_BUDGET_MS,
  definedMetrics,
  earliestPublishInstant,
  ensureFreshMetaToken,
  GraphClient,
  GraphPlatformError,
  graphEndpoint,
  InsightsResponse,
  insightNumbers,
  parseMetaTime,
  permalinkOf,
  publishContainer,
  rateLimitAfterPublish,
  readCredentials,
  readPublishingQuota,
  readyContainer,
  SingleFlight,
  sameText,
  sumDefined,
  THREADS_API_VERSION,
} from './meta-graph.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  type PlatformCapabilities,
  PlatformError,
  type PublishedRef,
} from './port.ts';
import { composePublishedText, type PlatformFinding, validatePostForPlatform } from './rules.ts';

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

const CAPABILITIES: PlatformCapabilities = {
  idempotencyKey: false,
  lookup: true,
  metricsBatchSize: 1,
  metrics: ['impressions', 'likes', 'comments', 'shares', 'engagements'],
  media: { images: true, video: true },
};

const VIDEO_URL_RE = /\.(?:mp4|mov|m4v|webm)(?:$|[?#])/i;

export interface ThreadsAdapterOptions extends AdapterOptions {
  /** How long one publish may wait for media processing. @default 18000 (the publish Lambda has 30 s) */
  processingBudgetMs?: number;
}

export interface ThreadsAdapter extends PlatformAdapter {
  checkCredentials(channel: Channel, credentials: CredentialStore): Promise<CredentialHealth>;
}

export function createThreadsAdapter(options: ThreadsAdapterOptions = {}): ThreadsAdapter {
  const http = new PlatformHttp('Threads', options);
  const processingBudgetMs = options.processingBudgetMs ?? DEFAULT_PROCESSING_BUDGET_MS;
  const containers = new ContainerCache(http.now);
  const refreshes = new SingleFlight<{ accessToken: string; expiresAt: string }>();

  async function open(channel: Channel, store: CredentialStore) {
    const { credentials, secrets } = await readCredentials(store, channel, ThreadsCredentials, 'Threads');
    const endpoint = graphEndpoint(channel.apiBaseUrl, THREADS_GRAPH_ORIGIN, THREADS_API_VERSION);
    const fresh = await ensureFreshMetaToken({
      http,
      store,
      channel,
      credentials,
      origin: endpoint.origin,
      grantType: 'th_refresh_token',
      flight: refreshes,
    });
    const allSecrets = [...new Set([...secrets, fresh.accessToken])];
    return { credentials, fresh, graph: new GraphClient(http, endpoint, fresh.accessToken, allSecrets) };
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
      // Everything before threads_publish is safe to repeat: the Graph client reports its
      // failures as `unavailable`. Only an already-published container is `ambiguous`.
      const session = await open(channel, credentials);
      const user = session.credentials.threadsUserId;
      const quota = await readPublishingQuota(session.graph, user, DIALECT);
      if (quota && quota.usage >= quota.total) {
        throw new PlatformError(
          'rate-limited',
          `the Threads account of channel '${channel.id}' has used its ${quota.total} posts of the last 24 hours`,
          { retryAfterSeconds: 3600, platformCode: 'publishing-limit' },
        );
      }
      const key = ContainerCache.key(channel.id, context.idempotencyKey, { text, media: post.media });
      const budget = { remainingMs: processingBudgetMs };
      const ready = (cacheKey: string, create: () => Promise<string>) =>
        readyContainer({
          http,
          graph: session.graph,
          dialect: DIALECT,
          cache: containers,
          key: cacheKey,
          budget,
          create,
        });
      let containerId: string;
      if (post.media.length === 0) {
        containerId = await ready(key, () =>
          createContainer(session.graph, user, DIALECT, { media_type: 'TEXT', text }),
        );
      } else if (post.media.length === 1) {
        const url = post.media[0] as string;
        containerId = await ready(key, () =>
          createContainer(
            session.graph,
            user,
            DIALECT,
            VIDEO_URL_RE.test(url)
              ? { media_type: 'VIDEO', video_url: url, text }
              : { media_type: 'IMAGE', image_url: url, text },
          ),
        );
      } else {
        containerId = await ready(key, async () => {
          const children: string[] = [];
          for (const [i, url] of post.media.entries()) {
            children.push(
              await ready(`${key}#${i}`, () =>
                createContainer(
                  session.graph,
                  user,
                  DIALECT,
                  VIDEO_URL_RE.test(url)
                    ? { media_type: 'VIDEO', video_url: url, is_carousel_item: true }
                    : { media_type: 'IMAGE', image_url: url, is_carousel_item: true },
                ),
              ),
            );
          }
          return createContainer(session.graph, user, DIALECT, {
            media_type: 'CAROUSEL',
            children: children.join(','),
            text,
          });
        });
      }
      let mediaId: string;
      try {
        mediaId = await publishContainer(session.graph, user, containerId, DIALECT, context.signal);
      } catch (error) {
        if (error instanceof PlatformError && error.kind === 'rejected') containers.delete(key);
        throw error;
      }
      containers.delete(key);
      const permalink = await permalinkOf(session.graph, mediaId);
      return {
        platformPostId: mediaId,
        platformUrl: permalink ?? `https://www.threads.net/@${channel.handle.replace(/^@/, '')}`,
        ...rateLimitAfterPublish(quota, http.now()),
      };
    },

    async lookup(post, channel, credentials) {
      const { credentials: c, graph } = await open(channel, credentials);
      const earliest = earliestPublishInstant(post);
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
        platformUrl: match.permalink ?? `https://www.threads.net/@${channel.handle.replace(/^@/, '')}`,
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

    async checkCredentials(channel, credentials): Promise<CredentialHealth> {
      return checkMetaCredentials('Threads', channel, async () => {
        const session = await open(channel, credentials);
        await session.graph.get('/me', { fields: 'id' });
        return session.fresh;
      });
    },
  };
}
