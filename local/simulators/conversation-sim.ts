import { type ConversationPost, repliesToOurPosts } from './conversation.ts';
import type { SimContext } from './sim-types.ts';

/**
 * The replies others have written so far to one simulated account's posts (its inbound), from
 * the simulator's `conversation` settings: the same for every simulator that converses.
 */
export function repliesToAccount(ctx: SimContext, account: string): ConversationPost[] {
  const conversation = ctx.audience.config.conversation;
  if (!conversation) return [];
  const ours = ctx.posts.filter((p) => p.account === account && !p.deleted);
  return repliesToOurPosts(conversation, ctx.audience.config.seed, ours, ctx.now());
}
