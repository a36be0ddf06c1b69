import { json, type SimContext, type SimRequest, type SimResponse, type SimRoute } from '../base.ts';
import { commentsOnAccount, numericId, offsetPage, type SimComment } from '../comments-conversation.ts';
import { metaTime, missingObject, splitFields } from './graph.ts';

/**
 * Comments on our Facebook Page posts and Instagram media over the simulated conversation
 * (comments-conversation.ts), as Graph serves them: `GET /{object-id}/comments` with cursor paging
 * (`limit`, default 25, at most 100; `after`; `paging.next` while more remain) and the fields asked
 * for. One set of routes, a row per platform:
 * - Facebook: on a post, `filter=toplevel` (the default) or `stream` (replies too, each with its
 *   `parent`), `order=chronological|reverse_chronological`; on a comment, its replies; `from` is
 *   `{id, name}` (the Page for ours);
 * - Instagram: on media, the top-level comments, `replies{…}` expanded (its first 25, with a `next`
 *   when there are more), and `GET /{ig-comment-id}/replies`; `from` is `{id, username}`.
 */

export interface MetaCommentsAccount {
  /** The account's Graph id (Page id, Instagram user id) and the name its comments carry. */
  id: string;
  name: string;
}

type Field = (comment: SimComment, context: RenderContext) => unknown;

interface Row {
  /** The comment's id on this platform. */
  id(comment: SimComment): string;
  /** The fields this platform writes of a comment (undefined leaves one out). */
  fields: Record<string, Field>;
  /** The edges served: Facebook's replies are a comment's `comments`, Instagram's its `replies`. */
  repliesEdge: 'comments' | 'replies';
  /** Whether a post's comments edge honours `filter=stream` (Facebook) or lists top-level only. */
  stream: boolean;
}

interface RenderContext {
  account: MetaCommentsAccount;
  all: SimComment[];
  row: Row;
  fields: string;
}

const userId = (author: string) => `7${author.replace(/\D/g, '').padStart(9, '0')}`;
const text: Field = (c) => c.text;
const time: Field = (c) => metaTime(c.createdAt);
const parentOf = (c: SimComment, { all, row }: RenderContext) => {
  const parent = all.find((p) => p.key === c.parent);
  return parent ? row.id(parent) : undefined;
};

const ROWS: Record<'facebook' | 'instagram', Row> = {
  facebook: {
    id: (c) => `${c.post.split('_')[1] ?? c.post}_${numericId(c.key)}`,
    fields: {
      message: text,
      created_time: time,
      from: (c, { account }) => ({
        id: c.ours ? account.id : userId(c.author),
        name: c.ours ? account.name : c.author,
      }),
      permalink_url: (c, { row }) =>
        `https://www.facebook.com/${c.post.replace('_', '/posts/')}?comment_id=${row.id(c)}`,
      parent: (c, context) => {
        const id = parentOf(c, context);
        return id ? { id } : undefined;
      },
    },
    repliesEdge: 'comments',
    stream: true,
  },
  instagram: {
    id: (c) => `18${numericId(c.key)}`,
    fields: {
      text,
      timestamp: time,
      username: (c, { account }) => (c.ours ? account.name : c.author),
      from: (c, { account }) => ({
        id: c.ours ? account.id : userId(c.author),
        username: c.ours ? account.name : c.author,
      }),
      parent_id: parentOf,
      replies: (c, context) => {
        const replies = context.all.filter((r) => r.parent === c.key);
        const inner = /^replies\{(.*)\}$/.exec(context.fields)?.[1] ?? 'id';
        const { page, next } = offsetPage(replies, null, 25);
        const more = `https://graph.instagram.com/${context.row.id(c)}/replies`;
        return {
          data: page.map((r) => render(r, inner, context)),
          ...(next ? { paging: { cursors: { after: next }, next: more } } : {}),
        };
      },
    },
    repliesEdge: 'replies',
    stream: false,
  },
};

function render(comment: SimComment, fields: string, context: RenderContext): Record<string, unknown> {
  const out: Record<string, unknown> = { id: context.row.id(comment) };
  for (const field of splitFields(fields.replace(/\{/g, '(').replace(/\}/g, ')'))) {
    const name = field.split('(')[0] ?? field;
    if (name === 'id') continue;
    const braced = field.replace(/\(/g, '{').replace(/\)/g, '}');
    const value = context.row.fields[name]?.(comment, { ...context, fields: braced });
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A Graph edge page of comments, with cursors and `next` as Graph writes them. */
function edgePage(req: SimRequest, items: SimComment[], context: Omit<RenderContext, 'fields'>): SimResponse {
  const limit = Math.min(Number(req.query.get('limit') ?? 25) || 25, 100);
  const fields = req.query.get('fields') ?? 'id,created_time';
  const { page, next } = offsetPage(items, req.query.get('after'), limit);
  const url = new URL(req.url);
  if (next) url.searchParams.set('after', next);
  return json(200, {
    data: page.map((c) => render(c, fields, { ...context, fields })),
    paging: { cursors: { after: next ?? '' }, ...(next ? { next: url.toString() } : {}) },
  });
}

/** The comments routes of one Meta simulator; `accountOf` is the token's account. */
export function metaCommentsRoutes(
  platform: 'facebook' | 'instagram',
  accountOf: (req: SimRequest) => MetaCommentsAccount,
): SimRoute[] {
  const row = ROWS[platform];

  function onObject(req: SimRequest, ctx: SimContext, edge: 'comments' | 'replies'): SimResponse {
    const account = accountOf(req);
    const id = req.params.id ?? '';
    const all = commentsOnAccount(ctx, account.id);
    const context = { account, all, row };
    const post = ctx.findPost(id);
    if (edge === 'comments' && post && !post.deleted && post.account === account.id) {
      const stream = row.stream && req.query.get('filter') === 'stream';
      const listed = all.filter((c) => c.post === id && (stream || !c.parent));
      if (req.query.get('order') === 'reverse_chronological') listed.reverse();
      return edgePage(req, listed, context);
    }
    const comment = edge === row.repliesEdge ? all.find((c) => row.id(c) === id) : undefined;
    if (!comment) throw missingObject(id);
    return edgePage(
      req,
      all.filter((c) => c.parent === comment.key),
      context,
    );
  }

  const edges = [...new Set<'comments' | 'replies'>(['comments', row.repliesEdge])];
  return edges.map((edge) => ({
    method: 'GET',
    path: `/:version/:id/${edge}`,
    auth: true,
    handle: (req, ctx) => onObject(req, ctx, edge),
  }));
}
