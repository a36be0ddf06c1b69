import * as z from 'zod';
import { withApprovalRules } from '../approvals/submit.ts';
import {
  canTransition,
  EDITABLE_STATUSES,
  type Post,
  type PostStatus,
  RESCHEDULABLE_STATUSES,
  type RowIssue,
  SETTLEABLE_STATUSES,
} from '../domain/index.ts';
import { ConflictError, NotFoundError, ValidationError, VersionConflictError } from '../errors.ts';
import { platformPostIdFromUrl } from '../platforms/post-url.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { PostStore } from '../store/posts.ts';
import type { NativeColumn, RawRow } from './csv.ts';
import { JSON_COLUMN_NAMES } from './json.ts';
import { planCalendar } from './plan.ts';

/** What PATCH /v1/posts/{id} may change; `null` clears an optional field. */
export const PostPatch = z.strictObject({
  channel: z.string().optional(),
  scheduledAt: z.string().optional(),
  timezone: z.string().optional(),
  text: z.string().optional(),
  link: z.string().nullable().optional(),
  media: z.array(z.string()).optional(),
  campaign: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  /** `false` publishes the link exactly as given (no UTM parameters); `true` tags it again. */
  utm: z.boolean().optional(),
  /** When given, the edit applies only if the post is still at this version. */
  version: z.number().int().min(1).optional(),
});
export type PostPatch = z.infer<typeof PostPatch>;

export interface EditDeps {
  store: PostStore & ChannelStore & CampaignStore;
  now: () => Date;
  /** Who edits (the caller's identity), for the approval trail. @default 'api' */
  actor?: string;
}

/** What a 409 tells the caller about the post as it is now. */
function whereItStands(post: Post): Record<string, unknown> {
  return { currentStatus: post.status, currentVersion: post.version };
}

function assertEditable(post: Post, verb: string): void {
  if (!EDITABLE_STATUSES.includes(post.status)) {
    throw new ConflictError(
      `post '${post.id}' is ${post.status}; it can only be ${verb} while SCHEDULED (before a Dispatcher claims it)`,
      { extensions: whereItStands(post) },
    );
  }
}

/** A person's change of status, checked against the lifecycle table. */
function assertPersonMay(post: Post, to: PostStatus, what: string): void {
  if (!canTransition(post.status, to, 'person')) {
    throw new ConflictError(`post '${post.id}' is ${post.status}; ${what}`, {
      extensions: whereItStands(post),
    });
  }
}

function assertVersion(post: Post, version: number | undefined): void {
  if (version !== undefined && version !== post.version) {
    throw new VersionConflictError('post', post.id, { extensions: whereItStands(post) });
  }
}

/**
 * The conditional write of every change a person makes to a post (edit, reschedule, cancel,
 * settle): it applies only to the version read, in the status read. When it loses, the post is
 * read again so the answer is always a 409 saying where the post stands: too late (claimed,
 * published…) or changed by someone else meanwhile.
 */
async function replaceIfUnchanged(store: PostStore, next: Post, read: Post, verb: string): Promise<Post> {
  try {
    await store.replacePost(next, read.version, [read.status]);
    return next;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const now = await store.getPost(read.id);
    if (!now) throw new NotFoundError('post', read.id);
    // Two identical requests at once: the other one did what this one was asked to.
    if (now.status === next.status && now.status !== read.status && sameSettlement(now, next)) return now;
    if (now.status !== read.status) {
      throw new ConflictError(
        `post '${read.id}' became ${now.status} meanwhile; it can no longer be ${verb}`,
        { cause: error, extensions: whereItStands(now) },
      );
    }
    throw new VersionConflictError('post', read.id, { cause: error, extensions: whereItStands(now) });
  }
}

/** Whether two writes left the post in the same place (a repeat of a cancel or a settlement). */
function sameSettlement(a: Post, b: Post): boolean {
  return (
    a.status === 'CANCELLED' ||
    (a.status === 'PUBLISHED' && a.platformPostId === b.platformPostId) ||
    (a.status === 'FAILED' && a.failureReason === b.failureReason)
  );
}

/**
 * Edits a post that nothing has claimed yet, or reschedules one that FAILED or was HELD. The
 * edit goes through the same validation as a calendar row, and the write is conditional on the
 * version read, so an edit racing a claim either lands before the claim (and goes out as edited)
 * or is refused with 409.
 *
 * Rescheduling (a new `scheduledAt`, with any fixes to the content) makes the post SCHEDULED in a
 * new publishing round: its attempts start again and its platform calls carry a fresh idempotency
 * key, because the previous round's key may have been spent. An UNKNOWN post is settled first
 * (published, or failed: not on the platform), so nobody retries one that may be live.
 */
export async function editPost(
  id: string,
  patch: PostPatch,
  deps: EditDeps,
): Promise<{ post: Post; warnings: RowIssue[] }> {
  const current = await deps.store.getPost(id);
  if (!current) throw new NotFoundError('post', id);
  if (current.status === 'UNKNOWN') {
    throw new ConflictError(
      `nobody knows whether post '${id}' went out; settle it first: POST /v1/posts/${id}/settle with {"outcome": "published", "url": …} if it is on the platform, or {"outcome": "failed", "reason": …} if it is not (then reschedule it)`,
      { extensions: whereItStands(current) },
    );
  }
  const rescheduling = RESCHEDULABLE_STATUSES.includes(current.status);
  if (rescheduling) {
    assertPersonMay(current, 'SCHEDULED', 'it cannot be rescheduled');
    if (patch.scheduledAt === undefined) {
      throw new ConflictError(
        `post '${id}' is ${current.status}; to publish it after all, reschedule it with a new scheduledAt (or cancel it)`,
        { extensions: whereItStands(current) },
      );
    }
  } else {
    assertEditable(current, 'edited');
  }
  assertVersion(current, patch.version);

  const pick = <T>(value: T | null | undefined, fallback: T | undefined): T | undefined =>
    value === null ? undefined : (value ?? fallback);
  const fields: RawRow['fields'] = {
    id,
    channel: patch.channel ?? current.channel,
    scheduled_at: patch.scheduledAt ?? current.scheduledAt,
    timezone: patch.timezone ?? current.timezone,
    text: patch.text ?? current.text,
    media: (patch.media ?? current.media).join('|'),
    tags: (patch.tags ?? current.tags).join(';'),
  };
  const link = pick(patch.link, current.link);
  const campaign = pick(patch.campaign, current.campaign);
  if (link !== undefined) fields.link = link;
  if (campaign !== undefined) fields.campaign = campaign;
  if ((patch.utm ?? current.utm) === false) fields.utm = 'false';

  // A post being rescheduled is planned as the SCHEDULED post it is about to become, so the
  // plan checks it like any edit (platform rules, a future time) instead of refusing its status.
  const planned = rescheduling ? { ...current, status: 'SCHEDULED' as const } : current;
  const plan = await planCalendar([{ row: 1, fields }], deps.store, {
    format: 'native',
    columnName: (column: NativeColumn) => JSON_COLUMN_NAMES[column] ?? column,
    now: deps.now(),
    // Planned against the version read above: a claim in between makes the write lose (409),
    // rather than the plan seeing QUEUED and calling the edit invalid (422).
    existing: new Map([[id, planned]]),
  });
  const strip = (issues: RowIssue[]) => issues.map(({ column, message }) => ({ column, message }));
  if (plan.issues.length > 0) {
    throw new ValidationError(
      'the edit is not valid; the post is unchanged',
      strip(plan.issues),
      strip(plan.warnings),
    );
  }
  const [row] = plan.rows;
  if (!row) return { post: current, warnings: plan.warnings };
  if (!rescheduling && row.action === 'unchanged') return { post: current, warnings: plan.warnings };
  const nowIso = deps.now().toISOString();
  const changed = rescheduling ? rescheduledPost(row.post, current, nowIso) : row.post;
  // Under an approval rule the edit sends the post back to the first step (shared/approvals).
  const [next] = await withApprovalRules([{ post: changed, stored: current }], {
    store: deps.store,
    now: nowIso,
    by: deps.actor ?? 'api',
  });
  const edited = next ?? changed;
  await replaceIfUnchanged(deps.store, edited, current, rescheduling ? 'rescheduled' : 'edited');
  return { post: edited, warnings: plan.warnings };
}

/** A FAILED or HELD post, content as planned, SCHEDULED again in a new publishing round. */
function rescheduledPost(planned: Post, current: Post, nowIso: string): Post {
  const {
    failureReason: _reason,
    approval: _approval,
    reconcileAt: _reconcileAt,
    reconcileAttempts: _reconcileAttempts,
    settledBy: _settledBy,
    heldAt: _heldAt,
    holdIds: _holdIds,
    heldBy: _heldBy,
    ...rest
  } = planned;
  return {
    ...rest,
    status: 'SCHEDULED',
    attempts: 0,
    publishRound: (current.publishRound ?? 0) + 1,
    version: current.version + 1,
    updatedAt: nowIso,
  };
}

/**
 * Cancels a post nothing has claimed yet, or gives up on one that FAILED, went UNKNOWN or was HELD;
 * cancelling a cancelled post is a no-op.
 */
export async function cancelPost(id: string, deps: EditDeps, version?: number): Promise<Post> {
  const current = await deps.store.getPost(id);
  if (!current) throw new NotFoundError('post', id);
  if (current.status === 'CANCELLED') return current;
  if (SETTLEABLE_STATUSES.includes(current.status) || RESCHEDULABLE_STATUSES.includes(current.status)) {
    assertPersonMay(current, 'CANCELLED', 'it cannot be cancelled');
  } else {
    assertEditable(current, 'cancelled');
  }
  assertVersion(current, version);
  const cancelled: Post = {
    ...current,
    status: 'CANCELLED',
    version: current.version + 1,
    updatedAt: deps.now().toISOString(),
  };
  return replaceIfUnchanged(deps.store, cancelled, current, 'cancelled');
}

/** What POST /v1/posts/{id}/settle says about a post whose outcome a person checked. */
export const Settlement = z.discriminatedUnion('outcome', [
  z.strictObject({
    outcome: z.literal('published'),
    /** The post's public URL on the platform; the platform post id is read from it. */
    url: z.string().min(1).max(2048),
    /** Only for platforms whose URLs do not carry it (Instagram, Threads). */
    platformPostId: z.string().min(1).max(256).optional(),
    /** When it went out, if known; the scheduled time otherwise. */
    publishedAt: z.iso
      .datetime({ offset: true })
      .transform((value) => new Date(value).toISOString())
      .optional(),
    version: z.number().int().min(1).optional(),
  }),
  z.strictObject({
    outcome: z.literal('failed'),
    reason: z.string().trim().min(1).max(1000),
    version: z.number().int().min(1).optional(),
  }),
]);
export type Settlement = z.infer<typeof Settlement>;

/**
 * A person settles an UNKNOWN post: it is on the platform (PUBLISHED, with the id read from its
 * URL, and then measured like any other post) or it is not and will not be (FAILED). Saying the
 * same again is a no-op; anything the lifecycle table does not give a person is a 409.
 */
export async function settlePost(id: string, settlement: Settlement, deps: EditDeps): Promise<Post> {
  const current = await deps.store.getPost(id);
  if (!current) throw new NotFoundError('post', id);
  const nowIso = deps.now().toISOString();

  if (settlement.outcome === 'failed') {
    if (current.status === 'FAILED' && current.failureReason === settlement.reason) return current;
    assertPersonMay(
      current,
      'FAILED',
      'only a post whose outcome is UNKNOWN can be settled as failed (a FAILED post can be rescheduled or cancelled)',
    );
    assertVersion(current, settlement.version);
    const { reconcileAt: _at, reconcileAttempts: _attempts, ...rest } = current;
    const failed: Post = {
      ...rest,
      status: 'FAILED',
      failureReason: settlement.reason,
      settledBy: 'person',
      version: current.version + 1,
      updatedAt: nowIso,
    };
    return replaceIfUnchanged(deps.store, failed, current, 'settled');
  }

  const channel = await deps.store.getChannel(current.channel);
  if (!channel) {
    throw new ConflictError(`post '${id}' is on channel '${current.channel}', which no longer exists`, {
      extensions: whereItStands(current),
    });
  }
  const reading = platformPostIdFromUrl(channel, settlement.url, settlement.platformPostId);
  if (!reading.ok) {
    throw new ValidationError('the URL does not name a post on this channel', [
      { column: 'url', message: reading.problem },
    ]);
  }
  if (current.status === 'PUBLISHED' && current.platformPostId === reading.platformPostId) return current;
  assertPersonMay(
    current,
    'PUBLISHED',
    current.status === 'FAILED'
      ? 'a FAILED post definitely did not go out; reschedule it, or cancel it'
      : 'only a post whose outcome is UNKNOWN can be settled as published',
  );
  assertVersion(current, settlement.version);
  const { reconcileAt: _at, reconcileAttempts: _attempts, failureReason: _reason, ...rest } = current;
  const published: Post = {
    ...rest,
    status: 'PUBLISHED',
    platformPostId: reading.platformPostId,
    platformUrl: settlement.url,
    publishedAt: settlement.publishedAt ?? current.scheduledAt,
    settledBy: 'person',
    version: current.version + 1,
    updatedAt: nowIso,
  };
  return replaceIfUnchanged(deps.store, published, current, 'settled');
}
