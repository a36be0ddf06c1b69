import { json } from './base.ts';
import { type ConversationPost, subjectPosts, teamReplies } from './conversation.ts';
import { repliesToAccount } from './conversation-sim.ts';
import type * as Sim from './sim.ts';

/**
 * Bluesky's search, notifications and author feed over the simulated conversation
 * (conversation.ts): `app.bsky.feed.searchPosts`, `app.bsky.notification.listNotifications`
 * and `app.bsky.feed.getAuthorFeed`. Cursors are offsets into the newest-first list.
 */

const WEEK = 7 * 86_400_000;
const POST = 'app.bsky.feed.post';

interface Account {
  did: string;
  handle: string;
}

const uriOf = (author: string, id: string) => `at://did:plc:${author}/${POST}/${id}`;
const ref = (uri: string) => ({ uri, cid: `bafy${uri.split('/').pop()}` });

function view(
  post: ConversationPost,
  uri: string,
  author: { did: string; handle: string },
  reply?: { root: string; parent: string },
) {
  return {
    uri,
    cid: ref(uri).cid,
    author: { did: author.did, handle: author.handle },
    record: {
      $type: POST,
      text: post.text,
      createdAt: post.createdAt.toISOString(),
      ...(reply ? { reply: { root: ref(reply.root), parent: ref(reply.parent) } } : {}),
    },
    indexedAt: post.createdAt.toISOString(),
    replyCount: 0,
    repostCount: 0,
    likeCount: 0,
  };
}

const stranger = (name: string) => ({ did: `did:plc:${name}`, handle: `${name}.bsky.social` });

function page<T>(req: Sim.Request, items: T[], key: string) {
  const limit = Math.min(100, Math.max(1, Number(req.query.get('limit') ?? 50) || 50));
  const offset = Number(req.query.get('cursor') ?? 0) || 0;
  const slice = items.slice(offset, offset + limit);
  return json(200, {
    [key]: slice,
    ...(offset + limit < items.length ? { cursor: String(offset + limit) } : {}),
  });
}

export function blueskyConversationRoutes(accounts: readonly Account[]): Sim.Route[] {
  const config = (ctx: Sim.Context) => ctx.audience.config.conversation;
  const seed = (ctx: Sim.Context) => ctx.audience.config.seed;

  /** Replies to the account's posts so far, with the at-uris of the posts they answer. */
  function inboundOf(account: Account, ctx: Sim.Context) {
    return repliesToAccount(ctx, account.did);
  }

  return [
    {
      method: 'GET',
      path: '/xrpc/app.bsky.feed.searchPosts',
      auth: true,
      handle: (req, ctx) => {
        const conversation = config(ctx);
        const q = (req.query.get('q') ?? '').toLowerCase();
        const now = ctx.now();
        const since = new Date(req.query.get('since') ?? now.getTime() - WEEK);
        const until = new Date(
          Math.min(Date.parse(req.query.get('until') ?? now.toISOString()), now.getTime()),
        );
        const found = conversation
          ? subjectPosts(conversation, seed(ctx), 'bluesky', since, until).filter(
              (p) => q.length > 0 && p.text.toLowerCase().includes(q),
            )
          : [];
        const views = found.reverse().map((p) => view(p, uriOf(p.author, p.id), stranger(p.author)));
        return page(req, views, 'posts');
      },
    },
    {
      method: 'GET',
      path: '/xrpc/app.bsky.notification.listNotifications',
      auth: true,
      handle: (req, ctx) => {
        const account = accounts.find((a) => a.did === req.auth?.account);
        const replies = account ? inboundOf(account, ctx) : [];
        const notifications = replies.reverse().map((p) => {
          const v = view(p, uriOf(p.author, p.id), stranger(p.author), {
            root: p.threadRoot ?? '',
            parent: p.replyTo ?? '',
          });
          return {
            uri: v.uri,
            cid: v.cid,
            author: v.author,
            reason: 'reply',
            record: v.record,
            isRead: false,
            indexedAt: v.indexedAt,
          };
        });
        return page(req, notifications, 'notifications');
      },
    },
    {
      method: 'GET',
      path: '/xrpc/app.bsky.feed.getAuthorFeed',
      auth: true,
      handle: (req, ctx) => {
        const actor = req.query.get('actor');
        const account = accounts.find((a) => a.did === actor || a.handle === actor);
        if (!account) return json(400, { error: 'InvalidRequest', message: 'Profile not found' });
        const conversation = config(ctx);
        const inbound = inboundOf(account, ctx);
        const answers = conversation ? teamReplies(conversation, seed(ctx), inbound, ctx.now()) : [];
        const byId = new Map(inbound.map((p) => [p.id, p]));
        const own = ctx.posts
          .filter((p) => p.account === account.did && !p.deleted)
          .map((p) => ({
            at: p.publishedAt.getTime(),
            item: {
              post: view(
                { ...p, createdAt: p.publishedAt, negative: false, author: account.handle },
                p.id,
                account,
              ),
            },
          }));
        const replies = answers.flatMap((a) => {
          const answered = byId.get(a.replyTo ?? '');
          if (!answered) return [];
          const uri = `at://${account.did}/${POST}/${a.id}`;
          const parent = uriOf(answered.author, answered.id);
          return [
            {
              at: a.createdAt.getTime(),
              item: { post: view(a, uri, account, { root: answered.threadRoot ?? parent, parent }) },
            },
          ];
        });
        const feed = [...own, ...replies].sort((a, b) => b.at - a.at).map((entry) => entry.item);
        return page(req, feed, 'feed');
      },
    },
  ];
}
