import { json, SimError } from './base.ts';
import { type ConversationPost, subjectPosts, teamReplies } from './conversation.ts';
import { repliesToAccount } from './conversation-sim.ts';
import type * as Sim from './sim.ts';

/**
 * X's recent search, mentions timeline and our replies over the simulated conversation
 * (conversation.ts). Ids are snowflakes like X's (milliseconds since X's epoch << 22, plus bits of
 * the post's own id), so `since_id` reads by time as on X. Pages go newest first, `next_token` /
 * `pagination_token` being the offset.
 */

const WEEK = 7 * 86_400_000;
const X_EPOCH = 1_288_834_974_657n;

interface Account {
  userId: string;
  username: string;
}

export interface XConversationDeps {
  accounts: readonly Account[];
  /** Whether the app's plan includes recent search (X's free plan does not: 403). */
  recentSearch: boolean;
  /** The simulator's JSON for one of its own posts, with the fields asked for. */
  tweetJson(post: Sim.Post, ctx: Sim.Context, fields: Set<string>): Record<string, unknown>;
  /** What `/2/users/:id/tweets` answers without a conversation. */
  userTweets(req: Sim.Request, ctx: Sim.Context): Sim.Response;
}

type Tweet = Record<string, unknown> & { id: string; author_id: string };

const snowflake = (post: { id: string; createdAt: Date }) =>
  (
    ((BigInt(post.createdAt.getTime()) - X_EPOCH) << 22n) |
    BigInt(Number.parseInt(post.id.slice(0, 5), 16))
  ).toString();
const newer = (a: string, b: string) => BigInt(a) > BigInt(b);
const userIdOf = (author: string) => `9${author.replace(/\D/g, '').padStart(8, '0')}`;

function tweetOf(post: ConversationPost, reply?: { to: string; user: string; conversation: string }): Tweet {
  const id = snowflake(post);
  return {
    id,
    text: post.text,
    created_at: post.createdAt.toISOString(),
    author_id: userIdOf(post.author),
    conversation_id: reply?.conversation ?? id,
    edit_history_tweet_ids: [id],
    ...(reply
      ? { in_reply_to_user_id: reply.user, referenced_tweets: [{ type: 'replied_to', id: reply.to }] }
      : {}),
  };
}

/** One page, newest first, after `since_id` / from `start_time`, with `users` expanded. */
function page(
  req: Sim.Request,
  tweets: Tweet[],
  tokenParam: string,
  users: Map<string, string>,
): Sim.Response {
  const max = Number(req.query.get('max_results') ?? 10);
  if (!Number.isInteger(max) || max < 5 || max > 100) {
    throw new SimError(
      json(400, {
        errors: [{ parameters: { max_results: [String(max)] }, message: 'max_results must be 5–100' }],
        title: 'Invalid Request',
        type: 'https://api.twitter.com/2/problems/invalid-request',
      }),
    );
  }
  const sinceId = req.query.get('since_id');
  const start = req.query.get('start_time');
  const all = tweets
    .filter((t) => !sinceId || newer(t.id, sinceId))
    .filter((t) => !start || String(t.created_at) >= new Date(start).toISOString())
    .sort((a, b) => (newer(b.id, a.id) ? 1 : -1));
  const offset = Number(req.query.get(tokenParam) ?? 0) || 0;
  const chosen = all.slice(offset, offset + max);
  if (chosen.length === 0) return json(200, { meta: { result_count: 0 } });
  const authors = [...new Set(chosen.map((t) => t.author_id))];
  return json(200, {
    data: chosen,
    includes: {
      users: authors.map((id) => ({ id, username: users.get(id) ?? `u${id}`, name: users.get(id) ?? id })),
    },
    meta: {
      result_count: chosen.length,
      newest_id: chosen[0]?.id,
      oldest_id: chosen.at(-1)?.id,
      ...(offset + max < all.length ? { next_token: String(offset + max) } : {}),
    },
  });
}

/** The phrase or handle a recent search query asks for (quoted phrase, `@name` or a bare word). */
function wanted(query: string): string {
  const phrase = /"([^"]+)"/.exec(query)?.[1] ?? /(@\w+)/.exec(query)?.[1] ?? query.split(/\s+/)[0] ?? '';
  return phrase.toLowerCase();
}

export function xConversationRoutes(deps: XConversationDeps): Sim.Route[] {
  const config = (ctx: Sim.Context) => ctx.audience.config.conversation;
  const seed = (ctx: Sim.Context) => ctx.audience.config.seed;
  const account = (id: string | undefined) => deps.accounts.find((a) => a.userId === id);

  function authors(posts: ConversationPost[]): Map<string, string> {
    const users = new Map(deps.accounts.map((a) => [a.userId, a.username]));
    for (const p of posts) users.set(userIdOf(p.author), p.author);
    return users;
  }

  return [
    {
      method: 'GET',
      path: '/2/tweets/search/recent',
      auth: true,
      handle: (req, ctx) => {
        if (!deps.recentSearch) {
          throw new SimError(
            json(403, {
              title: 'Client Forbidden',
              detail:
                'When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.',
              reason: 'client-not-enrolled',
              required_enrollment: 'Appropriate Level of API Access',
              type: 'https://api.twitter.com/2/problems/client-forbidden',
            }),
          );
        }
        const conversation = config(ctx);
        const q = wanted(req.query.get('query') ?? '');
        const now = ctx.now();
        const found = conversation
          ? subjectPosts(conversation, seed(ctx), 'x', new Date(now.getTime() - WEEK), now).filter(
              (p) => q.length > 0 && p.text.toLowerCase().includes(q),
            )
          : [];
        return page(
          req,
          found.map((p) => tweetOf(p)),
          'next_token',
          authors(found),
        );
      },
    },
    {
      method: 'GET',
      path: '/2/users/:id/mentions',
      auth: true,
      handle: (req, ctx) => {
        const user = account(req.params.id);
        if (!user) return json(200, { meta: { result_count: 0 } });
        const inbound = repliesToAccount(ctx, user.userId);
        const tweets = inbound.map((p) =>
          tweetOf(
            { ...p, text: `@${user.username} ${p.text}` },
            {
              to: p.replyTo ?? '',
              user: user.userId,
              conversation: p.threadRoot ?? p.replyTo ?? '',
            },
          ),
        );
        return page(req, tweets, 'pagination_token', authors(inbound));
      },
    },
    {
      method: 'GET',
      path: '/2/users/:id/tweets',
      auth: true,
      handle: (req, ctx) => {
        const user = account(req.params.id);
        const conversation = config(ctx);
        if (!user || !conversation?.teamReplies || (req.query.get('exclude') ?? '').includes('replies')) {
          return deps.userTweets(req, ctx);
        }
        const fields = new Set((req.query.get('tweet.fields') ?? '').split(',').filter(Boolean));
        const own = ctx.posts
          .filter((p) => p.account === user.userId && !p.deleted)
          .map(
            (p) =>
              ({
                ...deps.tweetJson(p, ctx, fields),
                id: p.id,
                created_at: p.publishedAt.toISOString(),
                author_id: user.userId,
              }) as Tweet,
          );
        const inbound = repliesToAccount(ctx, user.userId);
        const byId = new Map(inbound.map((p) => [p.id, p]));
        const answers = teamReplies(conversation, seed(ctx), inbound, ctx.now()).flatMap((a) => {
          const answered = byId.get(a.replyTo ?? '');
          if (!answered) return [];
          const tweet = tweetOf(
            { ...a, author: user.username },
            {
              to: snowflake(answered),
              user: userIdOf(answered.author),
              conversation: answered.threadRoot ?? snowflake(answered),
            },
          );
          return [{ ...tweet, author_id: user.userId }];
        });
        return page(req, [...own, ...answers], 'pagination_token', authors(inbound));
      },
    },
  ];
}
