import type { Hold } from '../domain/hold.ts';
import type { Post } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { announcing, type EventPublisher } from '../events.ts';
import { holdsOnce, postsHeldEvents, screenCandidates } from '../holds/gate.ts';
import type { HoldStore } from '../store/holds.ts';
import { DUE_KINDS } from '../store/keys.ts';
import type { PostStore } from '../store/posts.ts';
import { forEachConcurrent } from '../store/retry.ts';

/**
 * The Dispatcher runs every minute and claims what falls due before the next run starts: the
 * Wait inside the Map gives second-level precision, and an execution is billed (Express: by
 * duration) only from its minute's start to its last post, never for a minute or two before its
 * first one. A post due after that belongs to the next run; one that a late run finds overdue is
 * claimed at once (docs/adr/0021-claim-until-the-next-run.md).
 */
export const CLAIM_WINDOW_MS = 60_000;
/** A claim older than this belongs to a Dispatcher that died (Express runs end within 5 minutes). */
export const LEASE_MS = 6 * 60_000;
/**
 * Posts one execution claims. Its batches travel in the execution's state (256 KB at most);
 * 1,500 ids in batches stay far below that. When more are due, the execution starts another
 * Dispatcher right away (see the publishing construct), so a burst spreads over parallel runs.
 */
export const CLAIM_LIMIT = 1_500;
/** Claim writes one Claim step has in flight at once. */
export const CLAIM_CONCURRENCY = 16;
/** Posts one Map iteration publishes together (same second). */
export const BATCH_SIZE = 25;

export interface DispatchBatch {
  executionId: string;
  /** Step Functions waits until this instant (whole seconds, RFC 3339). */
  notBefore: string;
  postIds: string[];
}

export interface ClaimResult {
  batches: DispatchBatch[];
  claimed: number;
  /** More posts are due within the window than one execution claims. */
  more: boolean;
  /** Due posts a crisis hold covered: made HELD instead of claimed (announced as `Posts Held`). */
  held: number;
}

/**
 * Step Functions truncates Wait timestamps to whole seconds; rounding up ourselves means a post
 * never goes out before its time (at most a second after it).
 */
export function wholeSecond(iso: string): string {
  const ms = Date.parse(iso);
  return `${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * Claims SCHEDULED posts due before `now + window` (strictly before: a post due at the instant the
 * next run starts is that run's): each claim is a conditional write
 * SCHEDULED → QUEUED at the version read, so of several Dispatchers racing for a post exactly
 * one wins; an edit or a cancellation that lands first makes the claim fail, and the post is
 * left as the user made it (the table is the truth, checked at claim time). Posts a crisis hold
 * covers are not claimed (shared/holds/gate.ts); those it made HELD are announced as `Posts Held`,
 * even when the step fails part-way.
 */
export async function claimDuePosts(
  executionId: string,
  deps: { store: PostStore & HoldStore; now: () => Date; events?: EventPublisher },
  options: { windowMs?: number; limit?: number } = {},
): Promise<ClaimResult> {
  const now = deps.now();
  // Crisis holds: read once per step, and only if something is due (shared/holds/gate.ts).
  const holds = holdsOnce(deps.store);
  const held: Post[] = [];
  const publisher = deps.events ?? { publish: async () => undefined };
  return announcing(publisher, async (events) => {
    try {
      return await claimUnheld(executionId, deps.store, now, options, holds, held);
    } finally {
      events.push(...postsHeldEvents(held, now));
    }
  });
}

async function claimUnheld(
  executionId: string,
  store: PostStore,
  now: Date,
  options: { windowMs?: number; limit?: number },
  holds: () => Promise<Hold[]>,
  held: Post[],
): Promise<ClaimResult> {
  // The due index is read inclusively: one millisecond less leaves a post due exactly when the
  // next run starts to that run, which publishes it without waiting a minute for it.
  const until = new Date(now.getTime() + (options.windowMs ?? CLAIM_WINDOW_MS) - 1).toISOString();
  const limit = options.limit ?? CLAIM_LIMIT;
  const claimed: Post[] = [];
  let cursor: string | undefined;
  let more = false;
  do {
    const page = await store.dueWork(DUE_KINDS.publish, until, {
      limit: Math.min(500, limit - claimed.length),
      ...(cursor ? { cursor } : {}),
    });
    const screened = await screenCandidates(page.items, { store, holds, now, executionId });
    held.push(...screened.held);
    // Claims are independent conditional writes, so they go out side by side: a minute's run
    // claims no earlier than the minute before, and a burst's claim must not eat that lead.
    await forEachConcurrent(screened.free, CLAIM_CONCURRENCY, async (candidate) => {
      const post = await claimOne(candidate, executionId, now, store);
      if (post) claimed.push(post);
    });
    cursor = page.nextCursor;
    if (claimed.length >= limit && cursor) more = true;
  } while (cursor && claimed.length < limit);

  return { batches: toBatches(claimed, executionId), claimed: claimed.length, more, held: held.length };
}

async function claimOne(
  candidate: Post,
  executionId: string,
  now: Date,
  store: PostStore,
): Promise<Post | undefined> {
  // The index copy may be a moment old; on a lost race, read the post itself once and retry
  // only if it is still SCHEDULED and due.
  let current: Post | undefined = candidate;
  for (let attempt = 0; attempt < 2 && current; attempt++) {
    if (current.status !== 'SCHEDULED' || current.scheduledAt !== candidate.scheduledAt) return undefined;
    const claimed: Post = {
      ...current,
      status: 'QUEUED',
      claimedBy: executionId,
      claimedAt: now.toISOString(),
      leaseUntil: new Date(now.getTime() + LEASE_MS).toISOString(),
      version: current.version + 1,
      updatedAt: now.toISOString(),
    };
    try {
      await store.replacePost(claimed, current.version, ['SCHEDULED']);
      return claimed;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      current = await store.getPost(candidate.id);
    }
  }
  return undefined;
}

function toBatches(posts: Post[], executionId: string): DispatchBatch[] {
  const bySecond = new Map<string, string[]>();
  for (const post of [...posts].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt))) {
    const second = wholeSecond(post.scheduledAt);
    const ids = bySecond.get(second) ?? [];
    ids.push(post.id);
    bySecond.set(second, ids);
  }
  const batches: DispatchBatch[] = [];
  for (const [notBefore, ids] of bySecond) {
    for (let i = 0; i < ids.length; i += BATCH_SIZE) {
      batches.push({ executionId, notBefore, postIds: ids.slice(i, i + BATCH_SIZE) });
    }
  }
  return batches;
}
