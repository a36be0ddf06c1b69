import { z } from 'zod';
import { EDITABLE_STATUSES, type Post, type RowIssue } from '../domain/index.ts';
import { ConflictError, NotFoundError, ValidationError, VersionConflictError } from '../errors.ts';
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
  store: PostStore & ChannelStore;
  now: () => Date;
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

/**
 * The conditional write of an edit or a cancellation. When it loses, the post is read again so
 * the answer is always a 409 saying where the post stands: too late (claimed, published…) or
 * changed by someone else meanwhile.
 */
async function replaceIfUnchanged(store: PostStore, next: Post, read: Post, verb: string): Promise<Post> {
  try {
    await store.replacePost(next, read.version, EDITABLE_STATUSES);
    return next;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const now = await store.getPost(read.id);
    if (!now) throw new NotFoundError('post', read.id);
    // Two cancellations at once: the other one did what this one was asked to.
    if (next.status === 'CANCELLED' && now.status === 'CANCELLED') return now;
    assertEditable(now, verb);
    throw new VersionConflictError('post', read.id, { cause: error, extensions: whereItStands(now) });
  }
}

/**
 * Edits a post that nothing has claimed yet. The edit goes through the same validation as a
 * calendar row, and the write is conditional on the version read, so an edit racing a claim
 * either lands before the claim (and goes out as edited) or is refused with 409.
 */
export async function editPost(
  id: string,
  patch: PostPatch,
  deps: EditDeps,
): Promise<{ post: Post; warnings: RowIssue[] }> {
  const current = await deps.store.getPost(id);
  if (!current) throw new NotFoundError('post', id);
  assertEditable(current, 'edited');
  if (patch.version !== undefined && patch.version !== current.version) {
    throw new VersionConflictError('post', id, { extensions: whereItStands(current) });
  }

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

  const plan = await planCalendar([{ row: 1, fields }], deps.store, {
    format: 'native',
    columnName: (column: NativeColumn) => JSON_COLUMN_NAMES[column] ?? column,
    now: deps.now(),
    // Planned against the version read above: a claim in between makes the write lose (409),
    // rather than the plan seeing QUEUED and calling the edit invalid (422).
    existing: new Map([[id, current]]),
  });
  const strip = (issues: RowIssue[]) => issues.map(({ column, message }) => ({ column, message }));
  if (plan.issues.length > 0) {
    throw new ValidationError(
      'the edit is not valid; the post is unchanged',
      strip(plan.issues),
      strip(plan.warnings),
    );
  }
  const [planned] = plan.rows;
  if (!planned || planned.action === 'unchanged') return { post: current, warnings: plan.warnings };
  await replaceIfUnchanged(deps.store, planned.post, current, 'edited');
  return { post: planned.post, warnings: plan.warnings };
}

/** Cancels a post nothing has claimed yet; cancelling a cancelled post is a no-op. */
export async function cancelPost(id: string, deps: EditDeps): Promise<Post> {
  const current = await deps.store.getPost(id);
  if (!current) throw new NotFoundError('post', id);
  if (current.status === 'CANCELLED') return current;
  assertEditable(current, 'cancelled');
  const cancelled: Post = {
    ...current,
    status: 'CANCELLED',
    version: current.version + 1,
    updatedAt: deps.now().toISOString(),
  };
  return replaceIfUnchanged(deps.store, cancelled, current, 'cancelled');
}
