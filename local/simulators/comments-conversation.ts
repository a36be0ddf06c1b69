import { teamReplies } from './conversation.ts';
import { repliesToAccount } from './conversation-sim.ts';
import type { SimContext } from './sim-types.ts';

/**
 * The simulated conversation as comments on one account's posts, for the simulators whose
 * platforms file what is addressed to us as comments (Facebook, Instagram, LinkedIn): others'
 * replies to our posts (`repliesToOurPosts`) are comments on the post, and our team's answers
 * (`teamReplies`) are our account's replies in each comment's thread. Each simulator renders
 * them in its platform's shape (meta/comments-conversation.ts, linkedin-conversation.ts).
 */

export interface SimComment {
  /** The conversation post's id: stable across reads. */
  key: string;
  /** Our post it is on. */
  post: string;
  /** The key of the comment it replies to (ours always answer one). */
  parent?: string;
  author: string;
  text: string;
  createdAt: Date;
  ours: boolean;
}

/** The last answer per simulator: a Listener run asks for the same moment's comments many times. */
const remembered = new WeakMap<SimContext, { key: string; comments: SimComment[] }>();

/** Every comment on the account's posts so far, oldest first. */
export function commentsOnAccount(ctx: SimContext, account: string): SimComment[] {
  const key = `${account}|${ctx.now().getTime()}|${ctx.posts.length}|${ctx.posts.filter((p) => p.deleted).length}`;
  const last = remembered.get(ctx);
  if (last?.key === key) return last.comments;
  const comments = computeComments(ctx, account);
  remembered.set(ctx, { key, comments });
  return comments;
}

function computeComments(ctx: SimContext, account: string): SimComment[] {
  const conversation = ctx.audience.config.conversation;
  if (!conversation) return [];
  const inbound = repliesToAccount(ctx, account);
  const byKey = new Map(inbound.map((p) => [p.id, p]));
  const comments: SimComment[] = inbound.map((p) => ({
    key: p.id,
    post: p.replyTo ?? '',
    author: p.author,
    text: p.text,
    createdAt: p.createdAt,
    ours: false,
  }));
  for (const answer of teamReplies(conversation, ctx.audience.config.seed, inbound, ctx.now())) {
    const answered = byKey.get(answer.replyTo ?? '');
    if (!answered) continue;
    comments.push({
      key: answer.id,
      post: answered.replyTo ?? '',
      parent: answered.id,
      author: '',
      text: answer.text,
      createdAt: answer.createdAt,
      ours: true,
    });
  }
  return comments.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** A decimal id made from a comment's key (the same comment keeps its id). */
export function numericId(key: string): string {
  return BigInt(`0x${key.slice(0, 13)}`).toString();
}

/** One page of `items` from an offset cursor (opaque to the client), and the next cursor while more remain. */
export function offsetPage<T>(
  items: readonly T[],
  cursor: string | null,
  size: number,
): { page: T[]; next?: string } {
  const start = Number(Buffer.from(cursor ?? '', 'base64url').toString()) || 0;
  const page = items.slice(start, start + size);
  const end = start + page.length;
  return { page, ...(end < items.length ? { next: Buffer.from(String(end)).toString('base64url') } : {}) };
}
