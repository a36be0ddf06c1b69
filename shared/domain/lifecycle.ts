import type { PostStatus } from './post.ts';

/** Who may make a transition: the pipeline (Dispatcher, recovery, reconciliation) or a person. */
export type Actor = 'system' | 'person';

interface Transition {
  by: readonly Actor[];
  why: string;
}

/**
 * Every allowed post status change, who may make it and what causes it
 * (docs/architecture.md#post-lifecycle). Anything not in this table is refused. Each transition
 * is written as a conditional update on the post's version, so two actors racing for the same
 * change cannot both win.
 *
 * Why UNKNOWN has no path back to QUEUED or SCHEDULED: the platform may already show the post,
 * and a blind retry is how peers published twice. Only reconciliation (found → PUBLISHED) or a
 * person moves it on: found it → PUBLISHED, not there → FAILED, give up → CANCELLED. A retry
 * is then a reschedule of the FAILED post, so nobody retries without first saying it did not go
 * out. A retry is a new round with a fresh idempotency key (`publishRound`), because the old key
 * may have been spent on the platform.
 */
export const POST_TRANSITIONS = {
  SCHEDULED: {
    QUEUED: { by: ['system'], why: 'claimed by a Dispatcher execution' },
    CANCELLED: { by: ['person'], why: 'cancelled by a user' },
    HELD: { by: ['system'], why: 'fell due while a crisis hold covered it' },
    PENDING_APPROVAL: {
      by: ['person'],
      why: 'an approved post (or one on a channel or campaign that now has a rule) was edited: review starts again at the first step',
    },
  },
  // Approvals (shared/approvals). A pending post has no PUBLISH entry in the due index, so no
  // Dispatcher can claim it: only SCHEDULED → QUEUED exists, and approval is the one way in.
  PENDING_APPROVAL: {
    SCHEDULED: { by: ['person'], why: 'the last approval of the last step arrived before the post fell due' },
    APPROVAL_MISSED: { by: ['system'], why: 'the post fell due before every step approved it' },
    CANCELLED: { by: ['person'], why: 'cancelled by a user' },
  },
  APPROVAL_MISSED: {
    PENDING_APPROVAL: {
      by: ['person'],
      why: 'a person rescheduled it: review starts again at the first step',
    },
    SCHEDULED: {
      by: ['person'],
      why: 'rescheduled after its channel and campaign stopped requiring approval',
    },
    CANCELLED: { by: ['person'], why: 'a person gave up on it' },
  },
  QUEUED: {
    PUBLISHING: { by: ['system'], why: 'the publish step starts the platform call' },
    SCHEDULED: {
      by: ['system'],
      why: 'claim released or moved (rate limit, Dispatcher recovery) before any platform call',
    },
    FAILED: {
      by: ['system'],
      why: 'rejected before the platform call (invalid for the platform, channel gone)',
    },
    HELD: {
      by: ['system'],
      why: 'claimed before a crisis hold, which the publish step saw before any platform call',
    },
  },
  PUBLISHING: {
    PUBLISHED: { by: ['system'], why: 'the platform accepted the post' },
    FAILED: { by: ['system'], why: 'the platform definitely did not publish it and it will not be retried' },
    SCHEDULED: {
      by: ['system'],
      why: 'the platform definitely did not publish it (e.g. 429): moved to a later time',
    },
    UNKNOWN: { by: ['system'], why: 'the outcome is ambiguous (timeout, reset, 5xx after sending)' },
  },
  UNKNOWN: {
    PUBLISHED: {
      by: ['system', 'person'],
      why: 'found on the platform: by reconciliation, or by a person who gives its URL',
    },
    FAILED: {
      by: ['system', 'person'],
      why: 'reconciliation gave up on it, or a person confirmed it is not on the platform',
    },
    CANCELLED: { by: ['person'], why: 'a person cancelled it' },
  },
  FAILED: {
    SCHEDULED: { by: ['person'], why: 'a person fixed and rescheduled it' },
    PENDING_APPROVAL: {
      by: ['person'],
      why: 'a person rescheduled it on a channel or campaign with an approval rule: review starts again',
    },
    CANCELLED: { by: ['person'], why: 'a person gave up on it' },
  },
  HELD: {
    SCHEDULED: { by: ['person'], why: 'a person rescheduled it after a crisis hold' },
    PENDING_APPROVAL: {
      by: ['person'],
      why: 'a person rescheduled it after a crisis hold on a channel or campaign with an approval rule: review starts again',
    },
    CANCELLED: { by: ['person'], why: 'a person cancelled it after a crisis hold' },
  },
  PUBLISHED: {},
  CANCELLED: {},
  // Read from the account's history (docs/adr/0017-imported-posts-status.md): created as it is, by the
  // import alone; nothing publishes, edits, cancels or settles it.
  IMPORTED: {},
} as const satisfies Record<PostStatus, Partial<Record<PostStatus, Transition>>>;

function transition(from: PostStatus, to: PostStatus): Transition | undefined {
  return (POST_TRANSITIONS[from] as Partial<Record<PostStatus, Transition>>)[to];
}

/** Whether `actor` (anyone, when not given) may move a post from `from` to `to`. */
export function canTransition(from: PostStatus, to: PostStatus, actor?: Actor): boolean {
  const allowed = transition(from, to);
  return allowed !== undefined && (actor === undefined || allowed.by.includes(actor));
}

/** Statuses in which a user may still edit or cancel a post (nothing has claimed it yet). */
export const EDITABLE_STATUSES: readonly PostStatus[] = ['SCHEDULED', 'PENDING_APPROVAL'];

/** Statuses a person settles: a post that did not go out, or whose outcome nobody knows. */
export const SETTLEABLE_STATUSES: readonly PostStatus[] = ['FAILED', 'UNKNOWN'];

/**
 * Statuses a person may reschedule: only a post known not to have gone out (FAILED; HELD by a
 * crisis hold before any platform call; APPROVAL_MISSED, never claimed). A HELD post waits for a
 * person even after its hold is released: whether it still fits after a crisis is a person's call.
 */
export const RESCHEDULABLE_STATUSES: readonly PostStatus[] = ['FAILED', 'HELD', 'APPROVAL_MISSED'];

export const TERMINAL_STATUSES: readonly PostStatus[] = (
  Object.keys(POST_TRANSITIONS) as PostStatus[]
).filter((status) => Object.keys(POST_TRANSITIONS[status]).length === 0);
