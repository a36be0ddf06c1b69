import type { PostStatus } from './post.ts';

/**
 * Every allowed post status change, and what causes it (docs/architecture.md#post-lifecycle).
 * Anything not in this table is refused. Each transition is written as a conditional update on the
 * post's version, so two actors racing for the same change cannot both win.
 *
 * Why UNKNOWN has no path back to QUEUED: the platform may already show the post, and a blind
 * retry is how peers published twice. Only reconciliation (found → PUBLISHED) or a person
 * (retry → SCHEDULED, give up → FAILED / CANCELLED) moves it on.
 */
export const POST_TRANSITIONS = {
  SCHEDULED: {
    QUEUED: 'claimed by a Dispatcher execution',
    CANCELLED: 'cancelled by a user',
  },
  QUEUED: {
    PUBLISHING: 'the publish step starts the platform call',
    SCHEDULED: 'claim released or moved (rate limit, Dispatcher recovery) before any platform call',
    FAILED: 'rejected before the platform call (invalid for the platform, channel gone)',
  },
  PUBLISHING: {
    PUBLISHED: 'the platform accepted the post',
    FAILED: 'the platform definitely did not publish it and it will not be retried',
    SCHEDULED: 'the platform definitely did not publish it (e.g. 429): moved to a later time',
    UNKNOWN: 'the outcome is ambiguous (timeout, reset, 5xx after sending)',
  },
  UNKNOWN: {
    PUBLISHED: 'reconciled: the post was found on the platform',
    SCHEDULED: 'a person confirmed it is not on the platform and retries it',
    FAILED: 'a person or reconciliation gave up on it',
    CANCELLED: 'a person cancelled it',
  },
  FAILED: {
    SCHEDULED: 'a person fixed and rescheduled it',
  },
  PUBLISHED: {},
  CANCELLED: {},
} as const satisfies Record<PostStatus, Partial<Record<PostStatus, string>>>;

export function canTransition(from: PostStatus, to: PostStatus): boolean {
  return to in POST_TRANSITIONS[from];
}

/** Statuses in which a user may still edit or cancel a post (nothing has claimed it yet). */
export const EDITABLE_STATUSES: readonly PostStatus[] = ['SCHEDULED'];

export const TERMINAL_STATUSES: readonly PostStatus[] = (
  Object.keys(POST_TRANSITIONS) as PostStatus[]
).filter((status) => Object.keys(POST_TRANSITIONS[status]).length === 0);
