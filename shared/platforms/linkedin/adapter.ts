import * as z from 'zod';
import type { Channel, NormalisedMetrics, Post } from '../../domain/index.ts';
import { type AdapterOptions, PlatformHttp } from '../http.ts';
import { looksLikeVideo } from '../media.ts';
import { chunk, definedMetrics, sumDefined } from '../metrics.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  PlatformError,
  type PublishContext,
  type PublishedRef,
} from '../port.ts';
import { beforePublishing, lookupWindowStart } from '../posting.ts';
import { type PlatformFinding, validatePostForPlatform } from '../rules.ts';
import { credentialHealth, LONG_LIVED_REFRESH_AHEAD_MS } from '../session.ts';
import { LINKEDIN_VERSION, LinkedInClient, linkedInSessions, parseOrUnavailable } from './api.ts';
import { escapeLittleText, unescapeLittleText } from './little-text.ts';
import { LinkedInMedia } from './media.ts';

/**
 * LinkedIn organisation pages through the versioned Marketing APIs (`/rest/…`): the Posts API to
 * publish, the Images and Videos APIs to upload media, Organization Share Statistics for metrics,
 * OAuth 2.0 refresh tokens to stay connected.
 */

export interface LinkedInAdapterOptions extends AdapterOptions {
  /** Overrides the `LinkedIn-Version` header (YYYYMM). */
  version?: string;
  /**
   * How long one publish may wait for LinkedIn to process a video. The publish step runs in a
   * Lambda function with a 30-second timeout; a video that takes longer is `unavailable` this
   * time, and the next attempt (in this process) waits for the same upload instead of repeating it.
   * @default 18000
   */
  processingBudgetMs?: number;
}

/** One post as the Posts API's author finder lists it (the fields Pulsecast reads). */
export const ListedPost = z.object({
  id: z.string(),
  commentary: z.string().optional(),
  createdAt: z.number().optional(),
  publishedAt: z.number().optional(),
  lifecycleState: z.string().optional(),
});
const PostsByAuthor = z.object({ elements: z.array(ListedPost) });
export const ShareStatisticsElement = z.object({
  share: z.string().optional(),
  ugcPost: z.string().optional(),
  organizationalEntity: z.string().optional(),
  totalShareStatistics: z.object({
    uniqueImpressionsCount: z.number().optional(),
    shareCount: z.number().optional(),
    engagement: z.number().optional(),
    clickCount: z.number().optional(),
    likeCount: z.number().optional(),
    impressionCount: z.number().optional(),
    commentCount: z.number().optional(),
  }),
});
const ShareStatistics = z.object({ elements: z.array(ShareStatisticsElement) });
/**
 * Organization Share Statistics → Pulsecast's vocabulary. `engagement` is LinkedIn's rate, not a
 * count, so `engagements` is the sum of the interactions it counts (clicks, likes, comments,
 * shares). LinkedIn reports no saves or video views here: those stay absent.
 */
export function linkedInMetrics(element: z.infer<typeof ShareStatisticsElement>): NormalisedMetrics {
  const s = element.totalShareStatistics;
  return definedMetrics({
    impressions: s.impressionCount,
    reach: s.uniqueImpressionsCount,
    likes: s.likeCount,
    comments: s.commentCount,
    shares: s.shareCount,
    clicks: s.clickCount,
    engagements: sumDefined(s.likeCount, s.commentCount, s.shareCount, s.clickCount),
  });
}

// The statistics finder takes a List(...) of URNs; 20 keeps the URL well under limits.
const BATCH_SIZE = 20;

/**
 * The Organization Share Statistics requests for these post URNs: shares and UGC posts are asked
 * for with different finder parameters, `BATCH_SIZE` a request. Rest.li 2.0
 * lists: `List(a,b)` with each URN encoded and the syntax itself left as is.
 */
export function shareStatisticsUrls(
  apiBase: string,
  organizationUrn: string,
  urns: readonly string[],
): string[] {
  const org = encodeURIComponent(organizationUrn);
  const groups: [string, string[]][] = [
    ['shares', urns.filter((urn) => urn.startsWith('urn:li:share:'))],
    ['ugcPosts', urns.filter((urn) => urn.startsWith('urn:li:ugcPost:'))],
  ];
  return groups.flatMap(([parameter, group]) =>
    chunk(group, BATCH_SIZE).map(
      (batch) =>
        `${apiBase}/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=${org}&${parameter}=List(${batch.map(encodeURIComponent).join(',')})`,
    ),
  );
}

/** A statistics answer's elements by the post URN they are about. */
export function statisticsByUrn(body: unknown): Map<string, z.infer<typeof ShareStatisticsElement>> {
  const stats = parseOrUnavailable(ShareStatistics, body, 'the share statistics');
  const byUrn = new Map<string, z.infer<typeof ShareStatisticsElement>>();
  for (const element of stats.elements) {
    const urn = element.share ?? element.ugcPost;
    if (urn) byUrn.set(urn, element);
  }
  return byUrn;
}

export function createLinkedInAdapter(options: LinkedInAdapterOptions = {}): PlatformAdapter {
  const http = new PlatformHttp('LinkedIn', options);
  const version = options.version ?? LINKEDIN_VERSION;
  const sessions = linkedInSessions(http);
  const media = new LinkedInMedia(http, options.processingBudgetMs ?? 18_000);

  /** The channel's client, its token refreshed first where it is due and LinkedIn allows it. */
  async function open(channel: Channel, store: CredentialStore): Promise<LinkedInClient> {
    return new LinkedInClient(http, version, await sessions.open(channel, store));
  }

  /** The Posts API body for a post. The link becomes an article card unless media take that place. */
  async function postBody(
    client: LinkedInClient,
    post: Post,
    context: PublishContext,
  ): Promise<Record<string, unknown>> {
    let content = await media.content(client, post.media, context);
    let text = post.text;
    if (post.media.length > 0) {
      // With media there is no room for an article card: the link goes into the text.
      if (post.link && !text.includes(post.link))
        text = text.trim() === '' ? post.link : `${text}\n\n${post.link}`;
    } else if (post.link) {
      // LinkedIn does not scrape link previews for API posts; an article needs its own title.
      content = { article: { source: post.link, title: articleTitle(post.link) } };
    }
    return {
      author: client.organizationUrn,
      commentary: escapeLittleText(text),
      visibility: 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
      ...(content ? { content } : {}),
    };
  }

  return {
    platform: 'linkedin',
    capabilities: { lookup: true, metricsBatchSize: BATCH_SIZE },

    validate(post) {
      const findings: PlatformFinding[] = validatePostForPlatform('linkedin', post);
      const videos = post.media.filter((url) => looksLikeVideo(url));
      if (videos.length > 0 && post.media.length > 1) {
        findings.push({
          column: 'media',
          severity: 'error',
          message: 'LinkedIn posts take one video or up to 20 images, not both and not several videos',
        });
      }
      return findings;
    },

    async publish(post, channel, credentials, context: PublishContext): Promise<PublishedRef> {
      const { client, body } = await beforePublishing(async () => {
        const c = await open(channel, credentials);
        return { client: c, body: await postBody(c, post, context) };
      });
      const response = await client.call({
        method: 'POST',
        url: `${client.apiBase}/rest/posts`,
        json: body,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      if (!response.ok) throw client.error(response, 'ambiguous');
      const urn = response.headers.get('x-restli-id') ?? response.headers.get('x-linkedin-id');
      if (!urn) {
        // 201 without the id: it was created, but we cannot say which one it is. Lookup finds it.
        throw new PlatformError(
          'ambiguous',
          `LinkedIn answered ${response.status} without the new post's id`,
          {
            status: response.status,
            platformCode: 'missing-id',
          },
        );
      }
      media.published(channel, post.media, context);
      return { platformPostId: urn, platformUrl: linkedInPostUrl(urn) };
    },

    async lookup(post, channel, credentials) {
      const client = await open(channel, credentials);
      const query = new URLSearchParams({
        author: client.organizationUrn,
        q: 'author',
        count: '50',
        sortBy: 'LAST_MODIFIED',
      });
      const response = await client.call({ method: 'GET', url: `${client.apiBase}/rest/posts?${query}` });
      if (!response.ok) throw client.error(response, 'unavailable');
      const found = parseOrUnavailable(PostsByAuthor, response.body, 'the post list');
      const earliest = lookupWindowStart(post).getTime();
      const expected = [post.text, post.link ? `${post.text}\n\n${post.link}` : undefined].filter(
        (t): t is string => t !== undefined,
      );
      const match = found.elements.find((element) => {
        const created = element.publishedAt ?? element.createdAt ?? 0;
        if (created < earliest) return false;
        const text = unescapeLittleText(element.commentary ?? '').trim();
        return expected.some((candidate) => candidate.trim() === text);
      });
      return match ? { platformPostId: match.id, platformUrl: linkedInPostUrl(match.id) } : undefined;
    },

    async fetchMetrics(posts, channel, credentials): Promise<MetricsReading[]> {
      if (posts.length === 0) return [];
      const client = await open(channel, credentials);
      const byUrn = new Map<string, z.infer<typeof ShareStatisticsElement>>();
      const urns = posts.map((p) => p.platformPostId);
      for (const url of shareStatisticsUrls(client.apiBase, client.organizationUrn, urns)) {
        const response = await client.call({ method: 'GET', url });
        if (!response.ok) throw client.error(response, 'unavailable');
        for (const [urn, element] of statisticsByUrn(response.body)) byUrn.set(urn, element);
      }
      return posts.map((p) => {
        const element = byUrn.get(p.platformPostId);
        // No statistics (too new, older than LinkedIn's 12-month window, or a member post):
        // nothing is known, so nothing is claimed.
        return {
          postId: p.id,
          platformPostId: p.platformPostId,
          status: 'ok' as const,
          metrics: element ? linkedInMetrics(element) : {},
          raw: element ?? null,
        };
      });
    },

    checkCredentials(channel, credentials) {
      // No call to LinkedIn: the token's expiry is known, and a due refresh is the probe.
      return credentialHealth('LinkedIn', channel, async () => {
        const session = await sessions.open(channel, credentials);
        const expiresAt = session.credentials.expiresAt;
        const until = expiresAt ? Date.parse(expiresAt) : Number.NaN;
        const soon = !session.refreshed && until - http.now().getTime() <= LONG_LIVED_REFRESH_AHEAD_MS;
        return {
          refreshed: session.refreshed,
          ...(expiresAt ? { expiresAt } : {}),
          ...(soon
            ? {
                warning: `the LinkedIn token of channel '${channel.id}' expires at ${expiresAt} and cannot be refreshed automatically; reconnect the channel before then`,
              }
            : {}),
        };
      });
    },
  };
}

export function linkedInPostUrl(urn: string): string {
  return `https://www.linkedin.com/feed/update/${urn}/`;
}

/** An article card's title when only a URL is known: its host and path, readable. */
function articleTitle(link: string): string {
  try {
    const url = new URL(link);
    const path = url.pathname === '/' ? '' : decodeURIComponent(url.pathname);
    return `${url.host}${path}`.slice(0, 200);
  } catch {
    return link.slice(0, 200);
  }
}
