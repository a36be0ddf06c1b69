import * as z from 'zod';
import { Slug, UtcInstant } from './common.ts';
import type { Post } from './post.ts';

/**
 * A crisis hold (docs/architecture.md#crisis-holds): while it is active the Dispatcher publishes
 * nothing in its scope; posts in scope that fall due meanwhile become HELD and wait for a person.
 * `all` covers every post; otherwise a post is covered when its channel is one of `channels` OR
 * its campaign is one of `campaigns` (the union: "stop the launch campaign and the brand's X
 * account").
 */
export const HoldScope = z.union([
  z.literal('all'),
  z
    .strictObject({
      channels: z.array(Slug).max(100).default([]),
      campaigns: z.array(Slug).max(100).default([]),
    })
    .refine((scope) => scope.channels.length + scope.campaigns.length > 0, {
      message: 'name at least one channel or campaign, or use "all"',
    }),
]);
export type HoldScope = z.infer<typeof HoldScope>;

export const Hold = z.object({
  id: Slug,
  scope: HoldScope,
  reason: z.string().min(1).max(1000),
  createdAt: UtcInstant,
  /** Who started it: the caller's IAM principal, `api` when unknown, `autoHold` for a spike. */
  createdBy: z.string().min(1),
  /** Set by a release; a released hold still holds the posts that fell due while it was active. */
  releasedAt: UtcInstant.optional(),
  releasedBy: z.string().optional(),
  /** For a hold started by a mention spike: the spike's episode (one hold per episode). */
  episodeId: z.string().optional(),
  /**
   * Whether `Hold Started` is on the bus. Written `false` with the hold and set once the event is
   * put, so a hold whose announcement failed says so (and a retry of its POST announces it);
   * absent on holds from before the flag, which were announced.
   */
  announced: z.boolean().optional(),
  version: z.number().int().min(1),
});
export type Hold = z.infer<typeof Hold>;

export const isActive = (hold: Hold): boolean => hold.releasedAt === undefined;

/** Whether the hold's scope covers a post, whatever the time. */
export function holdCovers(hold: Hold, post: Pick<Post, 'channel' | 'campaign'>): boolean {
  if (hold.scope === 'all') return true;
  return (
    hold.scope.channels.includes(post.channel) ||
    (post.campaign !== undefined && hold.scope.campaigns.includes(post.campaign))
  );
}

/**
 * What the holds say about a post the Dispatcher is about to claim or publish at `now`:
 * - `hold` — it is due and a hold covers it: an active one, or a released one that was active
 *   when the post fell due (`createdAt ≤ scheduledAt < releasedAt`), so a post that fell due
 *   during a hold stays unpublished even if the release came before a Dispatcher run saw it;
 * - `wait` — an active hold covers it but it is not due yet: leave it SCHEDULED (if the hold is
 *   released before its time it goes out on time; if not, it is held when it falls due);
 * - `free` — no hold applies.
 */
export type HoldVerdict = { kind: 'free' } | { kind: 'wait' | 'hold'; holds: Hold[] };

export function holdVerdict(
  post: Pick<Post, 'channel' | 'campaign' | 'scheduledAt'>,
  holds: readonly Hold[],
  now: Date,
): HoldVerdict {
  const due = Date.parse(post.scheduledAt) <= now.getTime();
  const covering = holds.filter((hold) => {
    if (!holdCovers(hold, post)) return false;
    if (isActive(hold)) return true;
    return hold.createdAt <= post.scheduledAt && post.scheduledAt < (hold.releasedAt as string);
  });
  if (covering.length === 0) return { kind: 'free' };
  if (!due) {
    const active = covering.filter(isActive);
    return active.length > 0 ? { kind: 'wait', holds: active } : { kind: 'free' };
  }
  return { kind: 'hold', holds: covering };
}
