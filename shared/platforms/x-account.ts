import * as z from 'zod';
import type { AccountPost, AccountSpec } from './account.ts';
import { firstLinkIn, hashtagsIn, withQuery } from './account.ts';
import { apiBase, readAnswer } from './http.ts';
import { normaliseTweetMetrics, Tweet, TweetsAnswer, X_API_BASE, XCredentials } from './x.ts';

/**
 * X's account: `GET /2/users/me?user.fields=public_metrics` (id and `followers_count`) and the
 * user posts timeline `GET /2/users/:id/tweets` (newest first, 100 a page, `start_time` for the
 * date, `pagination_token` for the next page, retweets left out). Only public metrics are asked
 * for: X refuses non-public ones for posts older than 30 days, and an import is mostly older.
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

export const X_ACCOUNT: AccountSpec<z.infer<typeof XCredentials>> = {
  platform: 'x',
  platformName: 'X',
  credentials: XCredentials,
  limitations: [
    'X lists at most the 3,200 most recent posts of an account',
    'X gives link clicks and non-public impressions only for posts younger than 30 days: imported posts carry public counts',
    'X offers no audience breakdowns through its API',
  ],
  base: (channel) => apiBase(channel, X_API_BASE),
  authorise: (credentials) => ({ authorization: `Bearer ${credentials.accessToken}` }),
  async listPosts(get, { base, since, cursor }) {
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
    return { posts, ...(next ? { cursor: next } : {}) };
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
