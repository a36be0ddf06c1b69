import * as z from 'zod';
import type { Page, Post } from '../domain/index.ts';
import { ConflictError, NotFoundError, ValidationError, VersionConflictError } from '../errors.ts';
import { DUE_KINDS } from '../store/keys.ts';
import type { PageRequest } from '../store/port.ts';
import type { PostStore } from '../store/posts.ts';
import type { ApprovalLinks } from './links.ts';
import { ApprovalLinkError } from './links.ts';
import { currentStep, type DecisionInput, decide, findApprover } from './review.ts';

/** The body of POST /v1/posts/{id}/approval. */
export const ApprovalRequestBody = z.strictObject({
  decision: z.enum(['approve', 'request-changes']),
  /** The step's name or number (1 = first); absent: the step under review. */
  step: z.union([z.string().trim().min(1).max(80), z.number().int().min(1).max(10)]).optional(),
  /** Off AWS only: who decides. Deployed, it is the caller's IAM identity (and must match if given). */
  approver: z.string().trim().min(1).max(320).optional(),
  comment: z.string().max(2000).optional(),
});
export type ApprovalRequestBody = z.infer<typeof ApprovalRequestBody>;

export interface DecideDeps {
  store: PostStore;
  now: () => Date;
}

/**
 * Records one decision on a post's review, as a conditional write on the version read. Losing it
 * (another decision or an edit landed first) reads the post again and decides afresh once more,
 * so a decision racing another approver's still counts, while the same approver's second
 * decision — a link clicked twice, a double submit — is refused by `decide` itself.
 */
export async function decideOnPost(id: string, input: DecisionInput, deps: DecideDeps): Promise<Post> {
  for (let attempt = 0; ; attempt++) {
    const post = await deps.store.getPost(id);
    if (!post) throw new NotFoundError('post', id);
    const next = decide(post, input, deps.now());
    try {
      await deps.store.replacePost(next, post.version, ['PENDING_APPROVAL']);
      return next;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 2) throw error;
    }
  }
}

/**
 * Who an API caller is, as an approver: deployed, their IAM identity (a user or role ARN; an
 * assumed-role session named by an email, as IAM Identity Center names them, is that email);
 * off AWS (local mode, no IAM), the `approver` the body names.
 */
export function approverIdentity(iamArn: string | undefined, named: string | undefined, post: Post): string {
  if (!iamArn) {
    if (!named) {
      throw new ValidationError('name the approver', [
        { column: 'approver', message: 'is required off AWS (deployed, it is your IAM identity)' },
      ]);
    }
    return named;
  }
  const step = currentStep(post);
  const session = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/.exec(iamArn)?.[1];
  const candidates = [iamArn, ...(session?.includes('@') ? [session] : [])];
  const match = step ? candidates.map((c) => findApprover(step, c)).find((a) => a !== undefined) : undefined;
  const who = match?.email ?? iamArn;
  if (named && match && named.toLowerCase() !== match.email && named !== iamArn) {
    throw new ConflictError(
      `you are signed in as ${iamArn}, not ${named}; an approval is made by its approver`,
    );
  }
  return who;
}

/**
 * A decision through a signed email link: the link must be this deployment's, unexpired, for this
 * post, and still fit it (same round and step); the decision is then the link's approver's.
 */
export async function decideByLink(
  id: string,
  token: string | undefined,
  input: { decision: DecisionInput['decision']; comment?: string | undefined },
  deps: DecideDeps & { links: ApprovalLinks },
): Promise<Post> {
  const claims = await checkLink(id, token, deps);
  return decideOnPost(
    id,
    {
      decision: input.decision,
      step: claims.s + 1,
      round: claims.r,
      approver: claims.a,
      comment: input.comment,
      via: 'link',
    },
    deps,
  );
}

/** The claims of a link for post `id`; ApprovalLinkError when it is not one. */
export async function checkLink(
  id: string,
  token: string | undefined,
  deps: DecideDeps & { links: ApprovalLinks },
) {
  const claims = await deps.links.verify(token, deps.now());
  if (claims.p !== id) throw new ApprovalLinkError('this approval link is for another post');
  return claims;
}

/** A pending post with where its review stands, for lists. */
export function reviewSummary(post: Post) {
  const approval = post.approval;
  const step = currentStep(post);
  const decided = new Set(approval?.decisions.map((d) => d.approver) ?? []);
  return {
    ...post,
    review: approval
      ? {
          round: approval.round,
          step: approval.step + 1,
          stepName: step?.name ?? null,
          steps: approval.steps.length,
          required: step?.required ?? 0,
          approved: approval.decisions.filter((d) => d.decision === 'approve').length,
          changesRequested: approval.changesRequested ?? false,
          waitingFor: step?.approvers.filter((a) => !decided.has(a.email)).map((a) => a.email) ?? [],
        }
      : null,
  };
}

/**
 * Posts waiting for sign-off, soonest deadline first: the APPROVAL partition of the due index holds
 * exactly the PENDING_APPROVAL posts, so this reads no other post. Missed ones come from the list.
 */
export async function listApprovals(
  status: 'pending' | 'missed',
  store: PostStore,
  page: PageRequest,
): Promise<Page<ReturnType<typeof reviewSummary>>> {
  const result =
    status === 'pending'
      ? await store.dueWork(DUE_KINDS.approval, '9999-12-31T23:59:59.999Z', page)
      : await store.listPosts({ status: 'APPROVAL_MISSED' }, page);
  return { ...result, items: result.items.map(reviewSummary) };
}
