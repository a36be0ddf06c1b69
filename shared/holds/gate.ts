import { createHash } from 'node:crypto';
import { type Hold, holdVerdict } from '../domain/hold.ts';
import { canTransition, type Post } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { makeEvent, type PulsecastEvent } from '../events.ts';
import type { HoldStore } from '../store/holds.ts';
import type { PostStore } from '../store/posts.ts';

/**
 * Where the Dispatcher meets the crisis holds (docs/architecture.md#crisis-holds). Two places
 * consult them, each with ONE read of the holds for the whole step, never one per post:
 *
 * - the Claim step ({@link screenCandidates}) claims nothing a hold covers: a due post in scope
 *   becomes HELD (a conditional SCHEDULED → HELD at the version read), one not yet due is left
 *   SCHEDULED for a later run;
 * - the Publish step ({@link stoppedBy}) reads the holds again before it moves its batch
 *   QUEUED → PUBLISHING, so a post claimed just before a hold began (up to the claim window
 *   ahead) is not published either: the record step makes it HELD (QUEUED → HELD).
 *
 * "Within one Dispatcher run", precisely: a hold is written with a plain put and read with a
 * strongly consistent Query, so every Claim or Publish step whose read starts after the hold's
 * POST answered sees it. A covered post can then go out only if its Publish step read the holds
 * before that moment — it was due before the hold began, and its platform call follows the read
 * by the milliseconds of its own QUEUED → PUBLISHING write. Nothing due at or after the hold's
 * creation, and nothing claimed by a run that started after it, is published while it holds.
 */

/** Reads the holds at most once, and only when asked (a step with nothing to claim reads nothing). */
export function holdsOnce(store: HoldStore): () => Promise<Hold[]> {
  let holds: Promise<Hold[]> | undefined;
  return () => {
    holds ??= store.listHolds();
    return holds;
  };
}

export interface Screened {
  /** Candidates no hold covers: claim them as usual. */
  free: Post[];
  /** Candidates made HELD by this step (as written). */
  held: Post[];
  /** Candidates an active hold covers that are not due yet: left SCHEDULED. */
  waiting: number;
}

/**
 * The Claim step's screen: sorts the due candidates by the holds. A candidate whose HELD write
 * loses (edited, cancelled or claimed meanwhile) is left alone; the next run reads it afresh.
 */
export async function screenCandidates(
  candidates: readonly Post[],
  deps: { store: PostStore; holds: () => Promise<Hold[]>; now: Date; executionId: string },
): Promise<Screened> {
  const screened: Screened = { free: [], held: [], waiting: 0 };
  if (candidates.length === 0) return screened;
  const holds = await deps.holds();
  if (holds.length === 0) return { ...screened, free: [...candidates] };
  for (const candidate of candidates) {
    const verdict = holdVerdict(candidate, holds, deps.now);
    if (verdict.kind === 'free') screened.free.push(candidate);
    else if (verdict.kind === 'wait') screened.waiting++;
    else {
      const held = heldPost(candidate, verdict.holds, deps.now, deps.executionId);
      try {
        await deps.store.replacePost(held, candidate.version, ['SCHEDULED']);
        screened.held.push(held);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }
  return screened;
}

/**
 * The Publish step's screen: the ids of the holds that stop a claimed post, or undefined when
 * none does. The step reads the holds once, before any post of its batch moves to PUBLISHING.
 */
export function stoppedBy(
  post: Pick<Post, 'channel' | 'campaign' | 'scheduledAt'>,
  holds: readonly Hold[],
  now: Date,
): string[] | undefined {
  const verdict = holdVerdict(post, holds, now);
  // `wait` (an active hold, the post a moment early by another clock) stops it too.
  return verdict.kind === 'free' ? undefined : verdict.holds.map((hold) => hold.id);
}

/** The post as a hold leaves it: HELD, its claim (if any) dropped, the covering holds noted. */
export function heldPost(
  post: Post,
  holds: readonly Pick<Hold, 'id'>[],
  now: Date,
  executionId: string,
): Post {
  if (!canTransition(post.status, 'HELD', 'system')) {
    throw new Error(`post ${post.id}: ${post.status} → HELD is not an allowed transition`);
  }
  const { claimedBy: _by, claimedAt: _at, leaseUntil: _lease, ...rest } = post;
  return {
    ...rest,
    status: 'HELD',
    heldAt: now.toISOString(),
    holdIds: holds.map((hold) => hold.id),
    heldBy: executionId,
    version: post.version + 1,
    updatedAt: now.toISOString(),
  };
}

/** Posts one `Posts Held` event lists: 100 refs stay far below EventBridge's 256 KB per entry. */
const POSTS_PER_EVENT = 100;

/**
 * `Posts Held` for posts a step made HELD, in chunks. The id is stable per fact (the posts at
 * the versions the hold wrote), so a re-announcement is recognised as a repeat.
 */
export function postsHeldEvents(held: readonly Post[], now: Date): PulsecastEvent[] {
  const events: PulsecastEvent[] = [];
  const sorted = [...held].sort(
    (a, b) => a.scheduledAt.localeCompare(b.scheduledAt) || a.id.localeCompare(b.id),
  );
  for (let i = 0; i < sorted.length; i += POSTS_PER_EVENT) {
    const chunk = sorted.slice(i, i + POSTS_PER_EVENT);
    const fact = chunk.map((post) => `${post.id}@${post.version}`).join(',');
    events.push(
      makeEvent('Posts Held', {
        eventId: `posts-held:${createHash('sha256').update(fact).digest('hex').slice(0, 32)}`,
        occurredAt: now.toISOString(),
        holdIds: [...new Set(chunk.flatMap((post) => post.holdIds ?? []))].sort(),
        posts: chunk.map((post) => ({
          postId: post.id,
          channel: post.channel,
          scheduledAt: post.scheduledAt,
          ...(post.campaign ? { campaign: post.campaign } : {}),
        })),
      }),
    );
  }
  return events;
}
