import * as z from 'zod';
import type { AccountPost, AccountSpec } from './account.ts';
import { firstLinkIn, hashtagsIn, withQuery } from './account.ts';
import { apiBase, readAnswer } from './http.ts';
import { normaliseTweetMetrics, Tweet, TweetsAnswer, X_API_BASE, XCredentials } from './x.ts';

/**
 * X's account: `GET /2/users/me?user.fields=public_metrics` (id and `followers_count`) and the
 * user posts timeline `GET /2/users/:id/tweets` (newest first, 100 a page, `start_time` for the
 * date, `pagination_token` for the next page, retweets left out). The timeline asks for public
 * metrics only: X refuses non-public ones for posts older than 30 days. The page's posts younger
 * than that are then looked up with `GET /2/tweets?ids=…` and `non_public_metrics` /
 * `organic_metrics`, as the Collector does, so they carry the owner's impressions, link clicks
 * and X's own engagement count.
 */
const PAGE_SIZE = 100;

const Me = z.object({
  data: z.looseObject({
    id: z.string(),
    public_metrics: z.looseObject({ followers_count: z.number().optional() }).optional(),
  }),
});
const ListedTweet = Tweet.extend({
  entities: z
    .looseObject({
      urls: z.array(z.looseObject({ expanded_url: z.string().optional() })).optional(),
      hashtags: z.array(z.looseObject({ tag: z.string() })).optional(),
    })
    .optional(),
});
const Timeline = TweetsAnswer.extend({
  data: z.array(ListedTweet).optional(),
});

/** X's non-public metrics window (it refuses them for older posts). */
const OWNER_METRICS_MAX_AGE_MS = 30 * 86_400_000;

/** The owner's metrics of the posts younger than 30 days (a lookup of up to 100 ids). */
async function ownerMetrics(
  get: (url: string) => Promise<unknown>,
  base: string,
  posts: readonly AccountPost[],
  now: Date,
): Promise<Map<string, AccountPost['metrics']>> {
  // A day of margin: X counts the 30 days from its own clock.
  const young = posts.filter(
    (post) => now.getTime() - Date.parse(post.publishedAt) < OWNER_METRICS_MAX_AGE_MS - 86_400_000,
  );
  const out = new Map<string, AccountPost['metrics']>();
  if (young.length === 0) return out;
  const answer = readAnswer(
    'X',
    TweetsAnswer,
    await get(
      withQuery(`${base}/2/tweets`, {
        ids: young.map((post) => post.platformPostId).join(','),
        'tweet.fields': 'public_metrics,non_public_metrics,organic_metrics,created_at',
        expansions: 'attachments.media_keys',
        'media.fields': 'public_metrics,type',
      }),
    ),
    'the posts lookup',
    'unavailable',
  );
  const media = new Map((answer.includes?.media ?? []).map((m) => [m.media_key, m]));
  for (const tweet of answer.data ?? []) {
    const attached = (tweet.attachments?.media_keys ?? []).flatMap((key) => media.get(key) ?? []);
    out.set(tweet.id, normaliseTweetMetrics(tweet, attached));
  }
  return out;
}

export const X_ACCOUNT: AccountSpec<z.infer<typeof XCredentials>> = {
  platform: 'x',
  platformName: 'X',
  credentials: XCredentials,
  limitations: [
    'X lists at most the 3,200 most recent posts of an account',
    'X gives link clicks and non-public impressions only for posts younger than 30 days: older imported posts carry public counts',
    'X offers no audience breakdowns through its API',
  ],
  base: (channel) => apiBase(channel, X_API_BASE),
  authorise: (credentials) => ({ authorization: `Bearer ${credentials.accessToken}` }),
  async listPosts(get, { base, since, cursor, now }) {
    const me = readAnswer('X', Me, await get(`${base}/2/users/me`), 'users/me', 'unavailable');
    const body = await get(
      withQuery(`${base}/2/users/${encodeURIComponent(me.data.id)}/tweets`, {
        max_results: String(PAGE_SIZE),
        start_time: since,
        exclude: 'retweets',
        'tweet.fields': 'created_at,public_metrics,entities,attachments',
        expansions: 'attachments.media_keys',
        'media.fields': 'type,public_metrics',
        pagination_token: cursor,
      }),
    );
    const answer = readAnswer('X', Timeline, body, 'the user posts timeline', 'unavailable');
    const media = new Map((answer.includes?.media ?? []).map((m) => [m.media_key, m]));
    const posts = (answer.data ?? []).map((tweet): AccountPost => {
      const attached = (tweet.attachments?.media_keys ?? []).flatMap((key) => media.get(key) ?? []);
      const link = tweet.entities?.urls?.[0]?.expanded_url ?? firstLinkIn(tweet.text);
      return {
        platformPostId: tweet.id,
        platformUrl: `https://x.com/i/web/status/${tweet.id}`,
        publishedAt: new Date(tweet.created_at ?? 0).toISOString(),
        text: tweet.text,
        ...(link ? { link } : {}),
        media: attached.map((m) => (m.type === 'video' || m.type === 'animated_gif' ? 'video' : 'image')),
        hashtags: tweet.entities?.hashtags
          ? tweet.entities.hashtags.map((h) => h.tag.toLowerCase()).sort()
          : hashtagsIn(tweet.text),
        metrics: normaliseTweetMetrics(tweet, attached),
      };
    });
    const next = answer.meta?.next_token;
    const owned = await ownerMetrics(get, base, posts, now);
    return {
      posts: posts.map((post) => {
        const metrics = owned.get(post.platformPostId);
        return metrics ? { ...post, metrics } : post;
      }),
      ...(next ? { cursor: next } : {}),
    };
  },
  async readAudience(get, { base }) {
    const me = readAnswer(
      'X',
      Me,
      await get(withQuery(`${base}/2/users/me`, { 'user.fields': 'public_metrics' })),
      'users/me',
      'unavailable',
    );
    return { followers: me.data.public_metrics?.followers_count ?? 0 };
  },
};
