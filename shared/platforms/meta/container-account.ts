import * as z from 'zod';
import type { Channel, NormalisedMetrics, Post } from '../../domain/index.ts';
import { type AdapterOptions, PlatformHttp } from '../http.ts';
import { deletedReading, okReading } from '../metrics.ts';
import {
  type CredentialHealth,
  type CredentialStore,
  type MetricsReading,
  PlatformError,
  type PublishContext,
  type PublishedRef,
} from '../port.ts';
import { lookupWindowStart, sameText } from '../posting.ts';
import { credentialHealth } from '../session.ts';
import {
  ContainerCache,
  type ContainerDialect,
  type ContainerPost,
  DEFAULT_PROCESSING_BUDGET_MS,
  publishThroughContainers,
} from './containers.ts';
import {
  GraphClient,
  GraphPlatformError,
  graphEndpoint,
  InsightsResponse,
  insightNumbers,
  type LongLivedTokenCredentials,
  longLivedTokenSessions,
  parseMetaTime,
} from './graph.ts';

/**
 * What Instagram and Threads accounts share beyond container publishing: a long-lived user token
 * in the channel's secret, the account's own posts to search when an outcome is unknown, and
 * insights read per post.
 */
export interface ContainerAccountOptions<C extends LongLivedTokenCredentials> {
  dialect: ContainerDialect;
  schema: z.ZodType<C>;
  grantType: 'ig_refresh_token' | 'th_refresh_token';
  defaultOrigin: string;
  version: string;
  /** False where the token cannot be refreshed with `grantType`. */
  refreshable?(origin: string): boolean;
  userId(credentials: C): string;
  /** Where the account's posts can be seen, when Meta does not say a post's permalink. */
  profileUrl(channel: Channel): string;
}

/** What the Instagram and Threads adapters are created with. */
export interface ContainerAdapterOptions extends AdapterOptions {
  /** How long one publish may wait for media processing. @default 18000 (the publish Lambda has 30 s) */
  processingBudgetMs?: number;
}

const OwnPosts = z.object({
  data: z.array(
    z.looseObject({ id: z.string(), timestamp: z.string().optional(), permalink: z.string().optional() }),
  ),
});

/** Reads one post's insights: its metrics and the payload they came from. */
export type InsightsReader = (
  graph: GraphClient,
  platformPostId: string,
) => Promise<{
  metrics: NormalisedMetrics;
  raw: unknown;
}>;

/**
 * Asks for a post's `metrics` insights and puts them in Pulsecast's vocabulary (`normalise`).
 * "If insights data does not exist or is currently unavailable, the API returns an empty data set
 * instead of 0": an answer without insights is an empty reading, not zeros.
 */
export async function readInsights(
  graph: GraphClient,
  platformPostId: string,
  metrics: readonly string[],
  normalise: (numbers: Record<string, number>) => NormalisedMetrics,
): Promise<{ metrics: NormalisedMetrics; raw: unknown }> {
  const body = await graph.get(`/${platformPostId}/insights`, { metric: metrics.join(',') });
  const parsed = InsightsResponse.safeParse(body);
  return { metrics: parsed.success ? normalise(insightNumbers(parsed.data.data)) : {}, raw: body ?? null };
}

export function containerAccount<C extends LongLivedTokenCredentials>(
  adapterOptions: ContainerAdapterOptions,
  options: ContainerAccountOptions<C>,
) {
  const { dialect } = options;
  const http = new PlatformHttp(dialect.platformName, adapterOptions);
  const processingBudgetMs = adapterOptions.processingBudgetMs ?? DEFAULT_PROCESSING_BUDGET_MS;
  const containers = new ContainerCache(http.now);
  const endpointOf = (channel: Channel) =>
    graphEndpoint(channel.apiBaseUrl, options.defaultOrigin, options.version);
  const sessions = longLivedTokenSessions(http, {
    schema: options.schema,
    grantType: options.grantType,
    origin: (channel) => endpointOf(channel).origin,
    refreshable: (channel) => options.refreshable?.(endpointOf(channel).origin) ?? true,
  });

  async function open(channel: Channel, store: CredentialStore) {
    const session = await sessions.open(channel, store);
    const graph = new GraphClient(
      http,
      endpointOf(channel),
      session.credentials.accessToken,
      session.secrets,
    );
    return { session, graph, userId: options.userId(session.credentials) };
  }

  return {
    async publish(
      post: Omit<ContainerPost, 'profileUrl'>,
      channel: Channel,
      store: CredentialStore,
      context: PublishContext,
    ): Promise<PublishedRef> {
      const { graph, userId } = await open(channel, store);
      return publishThroughContainers({
        http,
        graph,
        dialect,
        cache: containers,
        channel,
        userId,
        context,
        processingBudgetMs,
        post: { ...post, profileUrl: options.profileUrl(channel) },
      });
    },

    /**
     * The account's post with `text` created since shortly before `post` was due (UNKNOWN
     * reconciliation). `textField` is where Meta keeps the text; `since` asks Meta to filter too.
     */
    async findOwnPost(
      post: Pick<Post, 'scheduledAt' | 'claimedAt'>,
      channel: Channel,
      store: CredentialStore,
      search: { text: string; textField: 'caption' | 'text'; since: boolean },
    ): Promise<PublishedRef | undefined> {
      const { graph, userId } = await open(channel, store);
      const earliest = lookupWindowStart(post).getTime();
      const body = await graph.get(`/${userId}/${dialect.createEdge}`, {
        fields: `id,${search.textField},timestamp,permalink`,
        ...(search.since ? { since: Math.floor(earliest / 1000) } : {}),
        limit: 50,
      });
      const own = OwnPosts.safeParse(body);
      if (!own.success) {
        throw new PlatformError(
          'unavailable',
          `${dialect.platformName} answered the post list in an unexpected shape`,
          { platformCode: 'shape' },
        );
      }
      const match = own.data.data.find((item) => {
        const created = parseMetaTime(item.timestamp);
        if (!Number.isNaN(created) && created < earliest) return false;
        const text = item[search.textField];
        return sameText(typeof text === 'string' ? text : '', search.text);
      });
      if (!match) return undefined;
      return { platformPostId: match.id, platformUrl: match.permalink ?? options.profileUrl(channel) };
    },

    /** Insights per post; a post Meta no longer knows (#100, subcode 33) is `deleted`. */
    async fetchInsights(
      posts: readonly { id: string; platformPostId: string }[],
      channel: Channel,
      store: CredentialStore,
      read: InsightsReader,
    ): Promise<MetricsReading[]> {
      if (posts.length === 0) return [];
      const { graph } = await open(channel, store);
      const readings: MetricsReading[] = [];
      for (const p of posts) {
        try {
          const { metrics, raw } = await read(graph, p.platformPostId);
          readings.push(okReading(p, metrics, raw));
        } catch (error) {
          const graphError = error instanceof GraphPlatformError ? error.graph : undefined;
          if (graphError?.code !== 100 || graphError.error_subcode !== 33) throw error;
          readings.push(deletedReading(p, { error: graphError }));
        }
      }
      return readings;
    },

    /** Refreshes the token if due, then asks Meta who it belongs to. */
    checkCredentials(channel: Channel, store: CredentialStore): Promise<CredentialHealth> {
      return credentialHealth(dialect.platformName, channel, async () => {
        const { session, graph } = await open(channel, store);
        await graph.get('/me', { fields: 'id' });
        const expiresAt = session.credentials.expiresAt;
        return { refreshed: session.refreshed, ...(expiresAt ? { expiresAt } : {}) };
      });
    },
  };
}
