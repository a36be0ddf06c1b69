import { json } from './base.ts';
import { type ConversationPost, followUps, subjectPosts, teamReplies } from './conversation.ts';
import { repliesToAccount } from './conversation-sim.ts';
import type * as Sim from './sim.ts';

/**
 * Mastodon's search, hashtag timeline, notifications, our replies and thread contexts over the
 * simulated conversation (conversation.ts). Ids are snowflakes like Mastodon's (milliseconds
 * << 16, plus bits of the post's own id), so `min_id` / `max_id` page by time as on a real
 * server. A follow-up (a reply to a reply to our post) mentions us, as Mastodon's reply box
 * does by default, so it is in our notifications too.
 */

const WEEK = 7 * 86_400_000;
const PAGE = 40;

interface Account {
  id: string;
  username: string;
}

export interface MastodonConversationDeps {
  accounts: readonly Account[];
  /** The simulator's JSON for one of its own posts. */
  statusJson(post: Sim.Post, ctx: Sim.Context): Record<string, unknown>;
  /** What `/api/v1/accounts/:id/statuses` answers without a conversation. */
  accountStatuses(req: Sim.Request, ctx: Sim.Context): Sim.Response;
}

const snowflake = (post: ConversationPost) =>
  ((BigInt(post.createdAt.getTime()) << 16n) | BigInt(Number.parseInt(post.id.slice(0, 4), 16))).toString();
const newer = (a: string, b: string) => BigInt(a) > BigInt(b);

function statusOf(post: ConversationPost, ctx: Sim.Context, reply?: { to: string; account: string }) {
  const id = snowflake(post);
  return {
    id,
    created_at: post.createdAt.toISOString(),
    in_reply_to_id: reply?.to ?? null,
    in_reply_to_account_id: reply?.account ?? null,
    visibility: 'public',
    uri: `${ctx.baseUrl}/users/${post.author}/statuses/${id}`,
    url: `${ctx.baseUrl}/@${post.author}/${id}`,
    content: `<p>${post.text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`,
    account: {
      id: `2${post.author.replace(/\D/g, '').padStart(6, '0')}`,
      username: post.author,
      acct: `${post.author}@elsewhere.example`,
      display_name: post.author,
    },
    replies_count: 0,
    reblogs_count: 0,
    favourites_count: 0,
  };
}

/** A Mastodon list page: `min_id` takes the oldest after it, `max_id` the newest before it; newest first. */
function page<T extends { id: string }>(req: Sim.Request, items: T[]): T[] {
  const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 20) || 20, 1), PAGE);
  const minId = req.query.get('min_id') ?? req.query.get('since_id');
  const maxId = req.query.get('max_id');
  const sorted = items
    .filter((item) => (!minId || newer(item.id, minId)) && (!maxId || newer(maxId, item.id)))
    .sort((a, b) => (newer(a.id, b.id) ? 1 : -1));
  const chosen = req.query.get('min_id') ? sorted.slice(0, limit) : sorted.slice(-limit);
  return chosen.reverse();
}

export function mastodonConversationRoutes(deps: MastodonConversationDeps): Sim.Route[] {
  const config = (ctx: Sim.Context) => ctx.audience.config.conversation;
  const seed = (ctx: Sim.Context) => ctx.audience.config.seed;

  function searched(ctx: Sim.Context, matches: (text: string) => boolean) {
    const conversation = config(ctx);
    if (!conversation) return [];
    const now = ctx.now();
    return subjectPosts(conversation, seed(ctx), 'mastodon', new Date(now.getTime() - WEEK), now)
      .filter((p) => matches(p.text.toLowerCase()))
      .map((p) => statusOf(p, ctx));
  }

  /** What others wrote under the account's posts: replies, and replies to those replies. */
  function inboundOf(account: Account, ctx: Sim.Context): ConversationPost[] {
    const replies = repliesToAccount(ctx, account.id);
    const conversation = config(ctx);
    if (!conversation) return replies;
    return [...replies, ...followUps(conversation, seed(ctx), replies, ctx.now())];
  }

  /** An inbound post as a status: replying to our post (its id is ours) or to another reply. */
  function inboundStatus(
    post: ConversationPost,
    account: Account,
    byId: Map<string, ConversationPost>,
    ctx: Sim.Context,
  ) {
    const parent = byId.get(post.replyTo ?? '');
    return statusOf(
      post,
      ctx,
      parent
        ? { to: snowflake(parent), account: statusOf(parent, ctx).account.id }
        : { to: post.replyTo ?? '', account: account.id },
    );
  }

  /** The account's answers to its inbound, as statuses of the account. */
  function answersOf(account: Account, inbound: ConversationPost[], ctx: Sim.Context) {
    const conversation = config(ctx);
    if (!conversation) return [];
    const byId = new Map(inbound.map((p) => [p.id, p]));
    return teamReplies(conversation, seed(ctx), inbound, ctx.now()).flatMap((a) => {
      const answered = byId.get(a.replyTo ?? '');
      if (!answered) return [];
      const status = statusOf({ ...a, author: account.username }, ctx, {
        to: snowflake(answered),
        account: statusOf(answered, ctx).account.id,
      });
      return [{ ...status, account: { id: account.id, username: account.username, acct: account.username } }];
    });
  }

  /** Every status of every account's threads (our posts, what others wrote under them, our answers). */
  function threadStatuses(ctx: Sim.Context) {
    const statuses: { id: string; in_reply_to_id: string | null; created_at: string }[] = [];
    for (const account of deps.accounts) {
      const inbound = inboundOf(account, ctx);
      const byId = new Map(inbound.map((p) => [p.id, p]));
      statuses.push(
        ...ctx.posts
          .filter((p) => p.account === account.id && !p.deleted)
          .map((p) => deps.statusJson(p, ctx) as (typeof statuses)[number]),
        ...inbound.map((p) => inboundStatus(p, account, byId, ctx)),
        ...answersOf(account, inbound, ctx),
      );
    }
    return statuses;
  }

  return [
    {
      method: 'GET',
      path: '/api/v2/search',
      auth: true,
      handle: (req, ctx) => {
        const q = (req.query.get('q') ?? '').toLowerCase();
        const type = req.query.get('type');
        const statuses =
          type && type !== 'statuses' ? [] : searched(ctx, (text) => q.length > 0 && text.includes(q));
        return json(200, { accounts: [], hashtags: [], statuses: page(req, statuses) });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/timelines/tag/:tag',
      handle: (req, ctx) => {
        const tag = `#${(req.params.tag ?? '').toLowerCase()}`;
        return json(
          200,
          page(
            req,
            searched(ctx, (text) => text.includes(tag)),
          ),
        );
      },
    },
    {
      method: 'GET',
      path: '/api/v1/notifications',
      auth: true,
      handle: (req, ctx) => {
        const account = deps.accounts.find((a) => a.id === req.auth?.account);
        const types = req.query.getAll('types[]');
        if (!account || (types.length > 0 && !types.includes('mention'))) return json(200, []);
        const inbound = inboundOf(account, ctx);
        const byId = new Map(inbound.map((p) => [p.id, p]));
        const notifications = inbound.map((p) => {
          const status = inboundStatus(p, account, byId, ctx);
          return {
            id: status.id,
            type: 'mention',
            created_at: status.created_at,
            account: status.account,
            status,
          };
        });
        return json(200, page(req, notifications));
      },
    },
    {
      method: 'GET',
      path: '/api/v1/accounts/:id/statuses',
      handle: (req, ctx) => {
        const account = deps.accounts.find((a) => a.id === req.params.id);
        const conversation = config(ctx);
        if (!account || !conversation?.teamReplies || req.query.get('exclude_replies') !== 'false') {
          return deps.accountStatuses(req, ctx);
        }
        const own = ctx.posts
          .filter((p) => p.account === account.id && !p.deleted)
          .map((p) => deps.statusJson(p, ctx) as { id: string });
        return json(200, page(req, [...own, ...answersOf(account, inboundOf(account, ctx), ctx)]));
      },
    },
    {
      method: 'GET',
      path: '/api/v1/statuses/:id/context',
      handle: (req, ctx) => {
        const statuses = threadStatuses(ctx);
        const byId = new Map(statuses.map((status) => [status.id, status]));
        const status = byId.get(req.params.id ?? '');
        if (!status) return json(404, { error: 'Record not found' });
        const ancestors: typeof statuses = [];
        for (let up = byId.get(status.in_reply_to_id ?? ''); up; up = byId.get(up.in_reply_to_id ?? '')) {
          ancestors.unshift(up);
        }
        // Everything below it, level by level, oldest first.
        const descendants: typeof statuses = [];
        for (let level = [status.id]; level.length > 0; ) {
          const next = statuses.filter((s) => s.in_reply_to_id && level.includes(s.in_reply_to_id));
          descendants.push(...next);
          level = next.map((s) => s.id);
        }
        descendants.sort((a, b) => a.created_at.localeCompare(b.created_at));
        return json(200, { ancestors, descendants });
      },
    },
  ];
}
