import * as z from 'zod';
import type { Channel, NormalisedMetrics, Post } from '../../domain/index.ts';
import { type AdapterOptions, PlatformHttp } from '../http.ts';
import { looksLikeVideo } from '../media.ts';
import { chunk, definedMetrics, deletedReading, okReading, sumDefined } from '../metrics.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  PlatformError,
  type PublishedRef,
} from '../port.ts';
import { beforePublishing, lookupWindowStart, sameText } from '../posting.ts';
import { type PlatformFinding, validatePostForPlatform } from '../rules.ts';
import { CredentialSessions, credentialHealth } from '../session.ts';
import {
  GRAPH_API_VERSION,
  GraphClient,
  GraphPlatformError,
  graphEndpoint,
  InsightEntry,
  insightNumbers,
  parseMetaTime,
} from './graph.ts';

/**
 * Facebook Pages through the Graph API: `/{page-id}/feed` for text and links, `/{page-id}/photos`
 * for photos (unpublished uploads attached to a feed post for several), `?ids=` reads for metrics.
 */

export const FACEBOOK_GRAPH_ORIGIN = 'https://graph.facebook.com';

/**
 * The channel secret: the Page id and a Page access token. Page tokens obtained from a
 * long-lived user token do not expire; they stop working when the user's access is revoked
 * (code 190), which only a person can fix.
 */
export const FacebookCredentials = z.object({
  pageId: z.string().regex(/^\d+$/, 'must be the numeric Page id'),
  pageAccessToken: z.string().min(1),
});
export type FacebookCredentials = z.infer<typeof FacebookCredentials>;

/**
 * The Page post metrics asked for. Page and post impressions were deprecated on November 15, 2025
 * (June 2025 for the unique ones); media views and media viewers replace them.
 */
export const FACEBOOK_POST_INSIGHTS = [
  'post_media_view',
  'post_total_media_view_unique',
  'post_clicks',
] as const;

const POST_FIELDS = [
  'id',
  'created_time',
  'permalink_url',
  'shares',
  'reactions.summary(total_count).limit(0)',
  'comments.summary(total_count).limit(0)',
];
const INSIGHTS_FIELD = `insights.metric(${FACEBOOK_POST_INSIGHTS.join(',')})`;

const Summary = z.object({ summary: z.object({ total_count: z.number() }).partial().optional() });
export const FacebookPostNode = z.object({
  id: z.string(),
  created_time: z.string().optional(),
  permalink_url: z.string().optional(),
  shares: z.object({ count: z.number() }).optional(),
  reactions: Summary.optional(),
  comments: Summary.optional(),
  insights: z.object({ data: z.array(InsightEntry) }).optional(),
});
export type FacebookPostNode = z.infer<typeof FacebookPostNode>;

const Created = z.object({ id: z.string(), post_id: z.string().optional() });
const FeedPage = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      message: z.string().optional(),
      created_time: z.string().optional(),
      permalink_url: z.string().optional(),
    }),
  ),
});

/**
 * A Page post's numbers in Pulsecast's vocabulary. Media views (times on screen) are the
 * impressions Meta still counts; media viewers are reach; all reactions count as likes. Facebook
 * leaves `shares` out of a post that has none, so its absence there means 0. Insights Meta did
 * not return stay absent.
 */
export function facebookMetrics(node: FacebookPostNode): NormalisedMetrics {
  const insights = node.insights ? insightNumbers(node.insights.data) : {};
  const likes = node.reactions?.summary?.total_count;
  const comments = node.comments?.summary?.total_count;
  const shares = node.shares?.count ?? (node.reactions || node.comments ? 0 : undefined);
  const clicks = insights.post_clicks;
  return definedMetrics({
    impressions: insights.post_media_view,
    reach: insights.post_total_media_view_unique,
    likes,
    comments,
    shares,
    clicks,
    engagements: sumDefined(likes, comments, shares, clicks),
  });
}

// Multiple-ID reads take up to 50 ids.
const BATCH_SIZE = 50;

export function createFacebookAdapter(options: AdapterOptions = {}): PlatformAdapter {
  const http = new PlatformHttp('Facebook', options);
  // Page tokens do not expire: nothing to refresh.
  const sessions = new CredentialSessions(
    { platformName: 'Facebook', schema: FacebookCredentials },
    http.now,
  );

  async function open(channel: Channel, store: CredentialStore) {
    const session = await sessions.open(channel, store);
    const { credentials } = session;
    const endpoint = graphEndpoint(channel.apiBaseUrl, FACEBOOK_GRAPH_ORIGIN, GRAPH_API_VERSION);
    return {
      credentials,
      graph: new GraphClient(http, endpoint, credentials.pageAccessToken, session.secrets),
    };
  }

  return {
    platform: 'facebook',
    capabilities: { lookup: true, metricsBatchSize: BATCH_SIZE },

    validate(post) {
      const findings: PlatformFinding[] = validatePostForPlatform('facebook', post);
      // Page videos go through the Resumable Upload API (file handles); not supported yet.
      const video = post.media.find((url) => looksLikeVideo(url));
      if (video) {
        findings.push({
          column: 'media',
          severity: 'error',
          message: `Pulsecast cannot post videos to Facebook Pages yet ('${video.length > 60 ? `${video.slice(0, 57)}...` : video}'); post images, or link to the video`,
        });
      }
      return findings;
    },

    async publish(post, channel, credentials, context): Promise<PublishedRef> {
      const { credentials: c, graph } = await beforePublishing(() => open(channel, credentials));
      const page = c.pageId;
      if (post.media.some((url) => looksLikeVideo(url))) {
        throw new PlatformError('rejected', 'Pulsecast cannot post videos to Facebook Pages yet', {
          platformCode: 'video',
        });
      }
      const write = { retrySafe: false };
      const signal = context.signal;
      let postId: string;
      if (post.media.length === 0) {
        // Text, with the link as Facebook's own link preview.
        const created = parseCreated(
          await graph.post(
            `/${page}/feed`,
            { message: post.text || undefined, link: post.link },
            write,
            signal,
          ),
        );
        postId = created.id;
      } else if (post.media.length === 1) {
        // A photo post has no link field: the link goes into the message.
        const created = parseCreated(
          await graph.post(
            `/${page}/photos`,
            { url: post.media[0], message: messageWithLink(post) || undefined },
            write,
            signal,
          ),
        );
        postId = created.post_id ?? `${page}_${created.id}`;
      } else {
        // Several photos: upload each unpublished (invisible, so safe to repeat), then one feed
        // post that attaches them. Only that last call can publish.
        const photoIds = await beforePublishing(async () => {
          const ids: string[] = [];
          for (const url of post.media) {
            ids.push(
              parseCreated(
                await graph.post(`/${page}/photos`, { url, published: false }, { retrySafe: true }),
              ).id,
            );
          }
          return ids;
        });
        const params: Record<string, string | undefined> = { message: messageWithLink(post) || undefined };
        photoIds.forEach((id, i) => {
          params[`attached_media[${i}]`] = JSON.stringify({ media_fbid: id });
        });
        postId = parseCreated(await graph.post(`/${page}/feed`, params, write, signal)).id;
      }
      return { platformPostId: postId, platformUrl: facebookPostUrl(postId) };
    },

    async lookup(post, channel, credentials) {
      const { credentials: c, graph } = await open(channel, credentials);
      const earliest = lookupWindowStart(post).getTime();
      const body = await graph.get(`/${c.pageId}/feed`, {
        fields: 'id,message,created_time,permalink_url',
        since: Math.floor(earliest / 1000),
        limit: 50,
      });
      const feed = parseOrUnavailable(FeedPage, body, 'the Page feed');
      const expected = [post.text, messageWithLink(post)];
      const match = feed.data.find((item) => {
        const created = parseMetaTime(item.created_time);
        if (!Number.isNaN(created) && created < earliest) return false;
        return expected.some((text) => sameText(item.message ?? '', text));
      });
      if (!match) return undefined;
      return { platformPostId: match.id, platformUrl: match.permalink_url ?? facebookPostUrl(match.id) };
    },

    async fetchMetrics(posts, channel, credentials): Promise<MetricsReading[]> {
      if (posts.length === 0) return [];
      const { graph } = await open(channel, credentials);
      const nodes = new Map<string, unknown>();
      const deleted = new Set<string>();
      let withInsights = true;
      for (const batch of chunk(posts, BATCH_SIZE)) {
        let ids = batch.map((p) => p.platformPostId);
        // One missing id fails the whole multiple-ID read (#803), and a metric Meta retires fails
        // the whole insights field (#100): drop what failed and ask again, a bounded number of times.
        for (let attempt = 0; ids.length > 0 && attempt < 4; attempt++) {
          try {
            const fields = withInsights ? [...POST_FIELDS, INSIGHTS_FIELD] : POST_FIELDS;
            const body = await graph.get('/', { ids: ids.join(','), fields: fields.join(',') });
            if (body && typeof body === 'object')
              for (const [id, node] of Object.entries(body)) nodes.set(id, node);
            break;
          } catch (error) {
            const missing = missingIds(error, ids);
            if (missing.length > 0) {
              for (const id of missing) deleted.add(id);
              ids = ids.filter((id) => !missing.includes(id));
              continue;
            }
            if (withInsights && isRetiredMetric(error)) {
              withInsights = false;
              continue;
            }
            throw error;
          }
        }
      }
      return posts.map((p) => {
        if (deleted.has(p.platformPostId)) return deletedReading(p);
        const raw = nodes.get(p.platformPostId);
        const node = FacebookPostNode.safeParse(raw);
        return okReading(p, node.success ? facebookMetrics(node.data) : {}, raw ?? null);
      });
    },

    checkCredentials(channel, credentials) {
      return credentialHealth('Facebook', channel, async () => {
        const { credentials: c, graph } = await open(channel, credentials);
        await graph.get(`/${c.pageId}`, { fields: 'id' });
        return { refreshed: false };
      });
    },
  };
}

/** The message of a post whose link cannot be a separate field (photo posts). */
function messageWithLink(post: Pick<Post, 'text' | 'link'>): string {
  if (!post.link || post.text.includes(post.link)) return post.text;
  return post.text.trim() === '' ? post.link : `${post.text}\n\n${post.link}`;
}

export function facebookPostUrl(postId: string): string {
  const [page, story] = postId.split('_');
  return story ? `https://www.facebook.com/${page}/posts/${story}` : `https://www.facebook.com/${postId}`;
}

function parseCreated(body: unknown): z.infer<typeof Created> {
  const parsed = Created.safeParse(body);
  if (!parsed.success) {
    // The write was answered 2xx, so it happened; only its id is unknown.
    throw new PlatformError('ambiguous', 'Facebook accepted the post but its answer had no id', {
      platformCode: 'shape',
    });
  }
  return parsed.data;
}

function parseOrUnavailable<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError('unavailable', `Facebook answered ${what} in an unexpected shape`, {
      platformCode: 'shape',
    });
  }
  return parsed.data;
}

/** The ids a multiple-ID read says do not exist (#803), or the one id of a (#100/33) read. */
function missingIds(error: unknown, requested: readonly string[]): string[] {
  const graphError = error instanceof GraphPlatformError ? error.graph : undefined;
  if (!graphError) return [];
  if (graphError.code === 803) {
    const list = /do not exist:\s*(.+)$/.exec(graphError.message ?? '')?.[1] ?? '';
    return list
      .split(',')
      .map((id) => id.trim())
      .filter((id) => requested.includes(id));
  }
  if (graphError.code === 100 && graphError.error_subcode === 33 && requested.length === 1)
    return [...requested];
  return [];
}

function isRetiredMetric(error: unknown): boolean {
  const graphError = error instanceof GraphPlatformError ? error.graph : undefined;
  return graphError?.code === 100 && /metric/i.test(graphError.message ?? '');
}
