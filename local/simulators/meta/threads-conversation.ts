import { json } from '../base.ts';
import { type ConversationPost, subjectPosts, teamReplies } from '../conversation.ts';
import { repliesToAccount } from '../conversation-sim.ts';
import type * as Sim from '../sim.ts';
import { metaTime, tokenAccount } from './graph.ts';

/**
 * Threads' keyword search, the replies to our posts and our own replies over the simulated
 * conversation (conversation.ts): `GET /keyword_search` (`q`, `search_type`, `since` / `until` in
 * Unix seconds, `limit` up to 100, newest first, no paging), `GET /{media-id}/replies` and
 * `GET /{user-id}/replies` (cursor paging as Graph edges page). Ids are numbers made from the
 * conversation post's own id, so the same post keeps its id.
 */

const WEEK = 7 * 86_400_000;

interface Account {
  userId: string;
  username: string;
}

type Media = Record<string, unknown> & { id: string; timestamp: string };

const mediaId = (post: ConversationPost) => BigInt(`0x${post.id.slice(0, 13)}`).toString();
const seconds = (value: string | null, fallback: number) =>
  value !== null && value !== '' ? Number(value) * 1000 : fallback;

function mediaOf(post: ConversationPost, reply?: { to: string; root: string }): Media {
  const id = mediaId(post);
  return {
    id,
    text: post.text,
    media_type: 'TEXT',
    timestamp: metaTime(post.createdAt),
    username: post.author,
    permalink: `https://www.threads.net/@${post.author}/post/${id}`,
    is_reply: reply !== undefined,
    ...(reply ? { replied_to: { id: reply.to }, root_post: { id: reply.root } } : {}),
  };
}

/** A Graph edge page, newest first: `limit` (≤ 100, default 25), `after` the offset so far. */
function edgePage(req: Sim.Request, items: Media[]): Sim.Response {
  const since = seconds(req.query.get('since'), 0);
  const until = seconds(req.query.get('until'), Number.POSITIVE_INFINITY);
  const limit = Math.min(Number(req.query.get('limit') ?? 25) || 25, 100);
  const all = items
    .filter((m) => {
      const at = Date.parse(m.timestamp.replace('+0000', 'Z'));
      return at >= since && at <= until;
    })
    .sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
  const start = Number(Buffer.from(req.query.get('after') ?? '', 'base64url').toString()) || 0;
  const data = all.slice(start, start + limit);
  const after = Buffer.from(String(start + data.length)).toString('base64url');
  const next = new URL(req.url);
  next.searchParams.set('after', after);
  return json(200, {
    data,
    paging: { cursors: { after }, ...(start + limit < all.length ? { next: next.toString() } : {}) },
  });
}

export function threadsConversationRoutes(accounts: readonly Account[]): Sim.Route[] {
  const config = (ctx: Sim.Context) => ctx.audience.config.conversation;
  const accountOf = (req: Sim.Request) => tokenAccount(req, accounts, (a) => a.userId, /^v1\.0$/);

  return [
    {
      method: 'GET',
      path: '/:version/keyword_search',
      auth: true,
      handle: (req, ctx) => {
        accountOf(req);
        const conversation = config(ctx);
        const q = (req.query.get('q') ?? '').toLowerCase();
        const now = ctx.now();
        const found = conversation
          ? subjectPosts(
              conversation,
              ctx.audience.config.seed,
              'threads',
              new Date(now.getTime() - WEEK),
              now,
            )
          : [];
        const media = found
          .filter((p) => q.length > 0 && p.text.toLowerCase().includes(q))
          .map((p) => mediaOf(p));
        const { data } = edgePage(req, media).json as { data: Media[] };
        // Keyword search has no paging: `limit` results, then narrow `until` for more.
        return json(200, { data });
      },
    },
    {
      method: 'GET',
      path: '/:version/:id/replies',
      auth: true,
      handle: (req, ctx) => {
        const account = accountOf(req);
        const id = req.params.id ?? '';
        const replies = repliesToAccount(ctx, account.userId);
        if (id === account.userId || id === 'me') {
          const conversation = config(ctx);
          const byId = new Map(replies.map((p) => [p.id, p]));
          const answers = conversation
            ? teamReplies(conversation, ctx.audience.config.seed, replies, ctx.now()).flatMap((a) => {
                const answered = byId.get(a.replyTo ?? '');
                if (!answered) return [];
                return [
                  mediaOf(
                    { ...a, author: account.username },
                    { to: mediaId(answered), root: answered.replyTo ?? '' },
                  ),
                ];
              })
            : [];
          return edgePage(req, answers);
        }
        return edgePage(
          req,
          replies.filter((p) => p.replyTo === id).map((p) => mediaOf(p, { to: id, root: id })),
        );
      },
    },
  ];
}
