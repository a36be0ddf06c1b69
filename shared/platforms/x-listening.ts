import * as z from 'zod';
import type { Channel } from '../domain/index.ts';
import { withQuery } from './account.ts';
import { type AdapterOptions, apiBase, PlatformHttp, readAnswer } from './http.ts';
import {
  type FoundPost,
  type InboundPost,
  LISTENING_CAPABILITIES,
  type ListeningAdapter,
  MAX_PAGES,
  type Read,
  type ReadFrom,
} from './listening.ts';
import { type CredentialStore, PlatformError } from './port.ts';
import { X_API_BASE, xSession } from './x.ts';

/**
 * X listening (API v2), through the same OAuth 2.0 session as publishing:
 * - search: recent search `GET /2/tweets/search/recent` (the last 7 days) with a query built from
 *   the term (a quoted phrase) or handle (`@name`, which X matches as a mention), retweets left out.
 *   X sells it only with a paid plan (Basic or above): a 403 `client-forbidden` is reported as
 *   "not available on this plan", never as zero mentions;
 * - inbound: `GET /2/users/:id/mentions` (replies to us mention us too; `in_reply_to_user_id`
 *   tells a reply to us from a mention);
 * - our replies: the user posts timeline `GET /2/users/:id/tweets`, the posts that answer one
 *   (`referenced_tweets` type `replied_to`; `conversation_id` is the thread's first post).
 * Positions are the newest post id seen (`since_id`); a first read starts at `start_time`. Pages
 * go back through `next_token` (search) or `pagination_token` (timelines).
 */

const TWEET_FIELDS = 'created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets';
const PAGE_SIZE = '100';

const ListenedTweet = z.looseObject({
  id: z.string(),
  text: z.string().default(''),
  created_at: z.string(),
  author_id: z.string().optional(),
  conversation_id: z.string().optional(),
  in_reply_to_user_id: z.string().optional(),
  referenced_tweets: z.array(z.looseObject({ type: z.string(), id: z.string() })).optional(),
});
type ListenedTweet = z.infer<typeof ListenedTweet>;
const User = z.looseObject({ id: z.string(), username: z.string(), name: z.string().optional() });
const Page = z.looseObject({
  data: z.array(ListenedTweet).optional(),
  includes: z.looseObject({ users: z.array(User).optional() }).optional(),
  meta: z.looseObject({ newest_id: z.string().optional(), next_token: z.string().optional() }).optional(),
});
const Me = z.object({ data: z.looseObject({ id: z.string() }) });

/** X post ids are numbers written as strings (snowflakes): longer is newer, then lexical. */
const newerId = (a: string, b: string) => (a.length !== b.length ? a.length > b.length : a > b);

/** The recent search query for one term or handle. */
export function xSearchQuery(term: string): string {
  const handle = /^@(\w{1,15})$/.exec(term.trim())?.[1];
  const phrase = handle ? `@${handle}` : `"${term.replace(/"/g, '')}"`;
  return `${phrase} -is:retweet`;
}

/** A 403 that says the app's plan does not include the endpoint. */
function notOnPlan(error: unknown): boolean {
  return (
    error instanceof PlatformError &&
    error.details.status === 403 &&
    /client-forbidden|client-not-enrolled/.test(error.details.platformCode ?? '')
  );
}

interface Listed extends FoundPost {
  inReplyToUser?: string;
}

export function createXListening(options: AdapterOptions = {}): ListeningAdapter {
  const http = new PlatformHttp('X', options);
  const { call } = xSession(http);
  const userIds = new Map<string, string>();

  async function get<T>(
    channel: Channel,
    store: CredentialStore,
    url: string,
    schema: z.ZodType<T>,
    what: string,
  ) {
    const response = await call(channel, store, () => ({ method: 'GET', url }));
    return readAnswer('X', schema, response.body, what, 'unavailable');
  }

  async function userId(channel: Channel, store: CredentialStore): Promise<string> {
    const known = userIds.get(channel.id);
    if (known) return known;
    const base = apiBase(channel, X_API_BASE);
    const me = await get(channel, store, `${base}/2/users/me`, Me, 'users/me');
    userIds.set(channel.id, me.data.id);
    return me.data.id;
  }

  /** Every post after the position (or since `from.since`), through every page X offers. */
  async function read(
    channel: Channel,
    store: CredentialStore,
    path: string,
    params: Record<string, string>,
    pageParam: 'next_token' | 'pagination_token',
    from: ReadFrom,
  ): Promise<Read<Listed>> {
    const base = apiBase(channel, X_API_BASE);
    const posts: Listed[] = [];
    let position = from.position;
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const url = withQuery(`${base}${path}`, {
        ...params,
        max_results: PAGE_SIZE,
        'tweet.fields': TWEET_FIELDS,
        expansions: 'author_id',
        'user.fields': 'username,name',
        ...(from.position ? { since_id: from.position } : { start_time: from.since }),
        [pageParam]: token,
      });
      const page = await get(channel, store, url, Page, path);
      const users = new Map((page.includes?.users ?? []).map((u) => [u.id, u]));
      for (const tweet of page.data ?? []) {
        posts.push(listed(tweet, users.get(tweet.author_id ?? '')));
        if (!position || newerId(tweet.id, position)) position = tweet.id;
      }
      token = page.meta?.next_token;
      if (!token || (page.data ?? []).length === 0) break;
    }
    return { posts, ...(position ? { position } : {}) };
  }

  /** One of our account's timelines (`/2/users/:id/<edge>`), read from `from`. */
  async function timeline(
    channel: Channel,
    store: CredentialStore,
    edge: 'mentions' | 'tweets',
    params: Record<string, string>,
    from: ReadFrom,
  ) {
    const me = await userId(channel, store);
    const path = `/2/users/${encodeURIComponent(me)}/${edge}`;
    return { me, answer: await read(channel, store, path, params, 'pagination_token', from) };
  }

  return {
    platform: 'x',
    capabilities: LISTENING_CAPABILITIES.x,

    async search(term, channel, store, from) {
      try {
        const answer = await read(
          channel,
          store,
          '/2/tweets/search/recent',
          { query: xSearchQuery(term) },
          'next_token',
          from,
        );
        return { ...answer, posts: answer.posts.map(withoutReplyUser) };
      } catch (error) {
        if (!notOnPlan(error)) throw error;
        throw new PlatformError(
          'rejected',
          `X recent search is not available on this plan (X answered 403; it needs the Basic plan or above): ${(error as Error).message}`,
          { status: 403, platformCode: 'plan' },
        );
      }
    },

    async inbound(channel, store, from) {
      const { me, answer } = await timeline(channel, store, 'mentions', {}, from);
      const posts = answer.posts.map(
        (post): InboundPost => ({
          ...withoutReplyUser(post),
          kind: post.inReplyToUser === me ? 'reply' : 'mention',
        }),
      );
      return { ...answer, posts };
    },

    async ownReplies(channel, store, from) {
      const { answer } = await timeline(channel, store, 'tweets', { exclude: 'retweets' }, from);
      return { ...answer, posts: answer.posts.filter((p) => p.replyTo).map(withoutReplyUser) };
    },
  };
}

function listed(tweet: ListenedTweet, user: z.infer<typeof User> | undefined): Listed {
  const replyTo = tweet.referenced_tweets?.find((r) => r.type === 'replied_to')?.id;
  const handle = user?.username ?? tweet.author_id ?? '';
  return {
    id: tweet.id,
    url: user
      ? `https://x.com/${user.username}/status/${tweet.id}`
      : `https://x.com/i/web/status/${tweet.id}`,
    author: {
      handle,
      ...(tweet.author_id ? { id: tweet.author_id } : {}),
      ...(user?.name ? { name: user.name } : {}),
    },
    createdAt: new Date(tweet.created_at).toISOString(),
    text: tweet.text,
    ...(replyTo ? { replyTo } : {}),
    ...(replyTo && tweet.conversation_id ? { threadRoot: tweet.conversation_id } : {}),
    ...(tweet.in_reply_to_user_id ? { inReplyToUser: tweet.in_reply_to_user_id } : {}),
  };
}

function withoutReplyUser({ inReplyToUser: _, ...post }: Listed): FoundPost {
  return post;
}
