import * as z from 'zod';
import type { AccountPost, AccountSpec } from '../account.ts';
import { firstLinkIn, hashtagsIn, withQuery } from '../account.ts';
import { apiBase, readAnswer } from '../http.ts';
import {
  ListedPost,
  linkedInMetrics,
  linkedInPostUrl,
  shareStatisticsUrls,
  statisticsByUrn,
} from './adapter.ts';
import { LINKEDIN_API_BASE, LINKEDIN_VERSION, LinkedInCredentials, secondsUntilUtcMidnight } from './api.ts';
import { linkedInBreakdowns } from './linkedin-breakdowns.ts';
import { unescapeLittleText } from './little-text.ts';

/**
 * A LinkedIn organisation's own posts: `GET /rest/posts?author={org URN}&q=author` (the Posts
 * API's author finder, `sortBy=CREATED` so the newest come first, `start`/`count` paging with a
 * `next` link while more remain) with the `LinkedIn-Version` header. The listing has no counts:
 * they come from Organization Share Statistics for the page's posts (20 URNs a request), which
 * covers only the last 12 months. Followers: `GET /rest/networkSizes/{org URN}?edgeType=
 * COMPANY_FOLLOWED_BY_COMPANY` (`firstDegreeSize`).
 */
const PAGE_SIZE = 100;

const Posts = z.object({
  elements: z.array(
    ListedPost.extend({
      content: z
        .looseObject({
          media: z.looseObject({ id: z.string() }).optional(),
          multiImage: z.looseObject({ images: z.array(z.looseObject({ id: z.string() })) }).optional(),
          article: z.looseObject({ source: z.string().optional() }).optional(),
        })
        .nullable()
        .optional(),
    }),
  ),
  paging: z.looseObject({ links: z.array(z.looseObject({ rel: z.string() })).optional() }).optional(),
});
type Listed = z.infer<typeof Posts>['elements'][number];

const NetworkSize = z.looseObject({ firstDegreeSize: z.number() });

function mediaOf(post: Listed): AccountPost['media'] {
  const content = post.content;
  if (content?.multiImage) return content.multiImage.images.map(() => 'image');
  const id = content?.media?.id ?? '';
  if (id.startsWith('urn:li:video:')) return ['video'];
  if (id.startsWith('urn:li:image:')) return ['image'];
  return [];
}

function toPost(post: Listed): AccountPost {
  const text = unescapeLittleText(post.commentary ?? '');
  const link = post.content?.article?.source ?? firstLinkIn(text);
  return {
    platformPostId: post.id,
    platformUrl: linkedInPostUrl(post.id),
    publishedAt: new Date(post.publishedAt ?? post.createdAt ?? 0).toISOString(),
    text,
    ...(link ? { link } : {}),
    media: mediaOf(post),
    hashtags: hashtagsIn(text),
    metrics: {},
  };
}

export const LINKEDIN_ACCOUNT: AccountSpec<LinkedInCredentials> = {
  platform: 'linkedin',
  platformName: 'LinkedIn',
  credentials: LinkedInCredentials,
  limitations: [
    'LinkedIn gives share statistics only for posts of the last 12 months: older imported posts carry no counts',
    'LinkedIn share statistics have no saves or video views',
    'LinkedIn follower breakdowns are by country, seniority and industry (URN keys); LinkedIn has no follower ages or online hours',
    'only the organisation’s published posts are listed: drafts, member posts and reshares by others are not',
  ],
  base: (channel) => apiBase(channel, LINKEDIN_API_BASE),
  breakdowns: linkedInBreakdowns<LinkedInCredentials>(),
  authorise: (credentials) => ({
    authorization: `Bearer ${credentials.accessToken}`,
    'linkedin-version': LINKEDIN_VERSION,
    'x-restli-protocol-version': '2.0.0',
  }),
  // A missing permission or page role needs a person, as an expired token does.
  classify: (response) => (response.status === 401 || response.status === 403 ? 'auth' : undefined),
  // LinkedIn sends no Retry-After; its daily limits reset at midnight UTC.
  retryAfterSeconds: (_headers, now) => secondsUntilUtcMidnight(now),
  async listPosts(get, { base, credentials, since, cursor }) {
    const start = Number(cursor ?? 0);
    const body = await get(
      withQuery(`${base}/rest/posts`, {
        author: credentials.organizationUrn,
        q: 'author',
        sortBy: 'CREATED',
        count: String(PAGE_SIZE),
        start: String(Number.isSafeInteger(start) && start > 0 ? start : 0),
      }),
    );
    const page = readAnswer('LinkedIn', Posts, body, 'the post list', 'unavailable');
    const sinceMs = Date.parse(since);
    const listed = page.elements
      .filter((post) => (post.lifecycleState ?? 'PUBLISHED') === 'PUBLISHED')
      .map(toPost);
    const posts = listed.filter((post) => Date.parse(post.publishedAt) >= sinceMs);
    const statistics = new Map<string, ReturnType<typeof linkedInMetrics>>();
    const urns = posts.map((post) => post.platformPostId);
    for (const url of shareStatisticsUrls(base, credentials.organizationUrn, urns)) {
      for (const [urn, element] of statisticsByUrn(await get(url)))
        statistics.set(urn, linkedInMetrics(element));
    }
    const more = page.paging?.links?.some((link) => link.rel === 'next') ?? false;
    const older = posts.length < listed.length;
    return {
      posts: posts.map((post) => ({ ...post, metrics: statistics.get(post.platformPostId) ?? {} })),
      ...(more && !older ? { cursor: String(start + page.elements.length) } : {}),
    };
  },
  async readAudience(get, { base, credentials }) {
    const url = withQuery(`${base}/rest/networkSizes/${encodeURIComponent(credentials.organizationUrn)}`, {
      edgeType: 'COMPANY_FOLLOWED_BY_COMPANY',
    });
    const size = readAnswer('LinkedIn', NetworkSize, await get(url), 'the network size', 'unavailable');
    return { followers: size.firstDegreeSize };
  },
};
