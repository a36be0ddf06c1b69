import {
  APPROVAL_LOG_LIMIT,
  type ApprovalLogEntry,
  type ApprovalRule,
  type ApprovalStep,
  type Approver,
  CONTENT_FIELDS,
  canTransition,
  type Post,
  type PostApproval,
  reminderMs,
} from '../domain/index.ts';
import { ConflictError, ValidationError } from '../errors.ts';

/** The rule a post is under: its channel's steps, then its campaign's (both must sign off). */
export interface EffectiveRule {
  steps: ApprovalStep[];
  remindBefore: string[];
  source: string[];
}

/**
 * The steps a post must pass: its channel's rule, then its campaign's. Both apply — a campaign
 * cannot waive a channel's sign-off (a regulated brand account stays reviewed whatever campaign
 * posts on it). A campaign step named like a channel step is shown as `<name> (campaign)`.
 */
export function effectiveRule(
  channel: { id: string; approval?: ApprovalRule | undefined } | undefined,
  campaign: { id: string; approval?: ApprovalRule | undefined } | undefined,
): EffectiveRule | undefined {
  const steps: ApprovalStep[] = [];
  const source: string[] = [];
  const reminders = new Set<string>();
  for (const [kind, owner] of [
    ['channel', channel],
    ['campaign', campaign],
  ] as const) {
    if (!owner?.approval) continue;
    source.push(`${kind}:${owner.id}`);
    for (const step of owner.approval.steps) {
      const clash = steps.some((s) => s.name.toLowerCase() === step.name.toLowerCase());
      steps.push(clash ? { ...step, name: `${step.name} (${kind})` } : step);
    }
    for (const offset of owner.approval.remindBefore) reminders.add(offset);
  }
  if (steps.length === 0) return undefined;
  return {
    steps,
    remindBefore: [...reminders].sort((a, b) => reminderMs(b) - reminderMs(a)),
    source,
  };
}

function withLog(post: Post, ...entries: ApprovalLogEntry[]): ApprovalLogEntry[] {
  return [...(post.approvalLog ?? []), ...entries].slice(-APPROVAL_LOG_LIMIT);
}

/** The content fields that differ between two versions of a post, for the audit trail. */
export function changedFields(before: Post, after: Post): string[] {
  return CONTENT_FIELDS.filter(
    (field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null),
  );
}

/**
 * The planned version of a post (a calendar row, a PATCH, a reschedule) put under the rule that
 * applies to it now. A post under a rule goes (back) to the first step: every change of what it
 * says, where or when resets its review, and the trail says which fields changed. A post no rule
 * covers any more is simply SCHEDULED.
 *
 * `planned.status` is the status the plan would give it without approvals (SCHEDULED); `stored`
 * is the post as read, absent for a new post.
 */
export function underRule(
  planned: Post,
  stored: Post | undefined,
  rule: EffectiveRule | undefined,
  context: { now: string; by: string },
): Post {
  const { approval: _approval, ...rest } = planned;
  if (!rule) {
    if (!stored?.approval) return planned;
    // The review ends: nothing requires it any more (the rule was removed).
    return {
      ...rest,
      status: 'SCHEDULED',
      approvalLog: withLog(stored, {
        at: context.now,
        by: context.by,
        action: 'released',
        reason: 'the channel and campaign no longer require approval',
      }),
    };
  }
  const previousRound = stored?.approval?.round ?? 0;
  const changed = stored ? changedFields(stored, planned) : [];
  const entry: ApprovalLogEntry = stored
    ? {
        at: context.now,
        by: context.by,
        action: 'reset',
        round: previousRound + 1,
        reason:
          stored.status === 'APPROVAL_MISSED'
            ? `rescheduled after the review missed its time (${changed.join(', ') || 'no field'} changed)`
            : `${changed.join(', ') || 'the post'} changed${stored.approval ? ' during or after review' : ''}: review starts again at the first step`,
      }
    : {
        at: context.now,
        by: context.by,
        action: 'submitted',
        round: 1,
        reason: `required by ${rule.source.join(' and ')}`,
      };
  const approval: PostApproval = {
    steps: rule.steps,
    remindBefore: rule.remindBefore,
    source: rule.source,
    round: previousRound + 1,
    step: 0,
    decisions: [],
    remindersSent: [],
  };
  return { ...rest, status: 'PENDING_APPROVAL', approval, approvalLog: withLog(stored ?? planned, entry) };
}

export type Decision = 'approve' | 'request-changes';

export interface DecisionInput {
  decision: Decision;
  /** The step decided on: its name or its number (1 = first). Absent: the current step. */
  step?: string | number | undefined;
  /** Who decides: an approver's email (or, resolved by the caller, the approver an identity maps to). */
  approver: string;
  comment?: string | undefined;
  /** The review round the decision was made for (links and buttons carry it). */
  round?: number | undefined;
  /** How it arrived, for the trail: `api`, `link`, `slack`. */
  via: string;
}

/** The current step, or undefined once approved. */
export function currentStep(post: Post): ApprovalStep | undefined {
  return post.approval ? post.approval.steps[post.approval.step] : undefined;
}

function stepMatches(step: ApprovalStep, index: number, wanted: string | number | undefined): boolean {
  if (wanted === undefined) return true;
  if (typeof wanted === 'number' || /^\d+$/.test(wanted)) return Number(wanted) === index + 1;
  return step.name.toLowerCase() === wanted.trim().toLowerCase();
}

const where = (post: Post) => ({
  currentStatus: post.status,
  currentVersion: post.version,
  ...(post.approval
    ? { currentStep: post.approval.steps[post.approval.step]?.name ?? null, round: post.approval.round }
    : {}),
});

/**
 * One approver's decision on the post's current step, checked against where the post stands:
 * refused (409) after the post fell due, for another step or an earlier round, from someone who
 * is not an approver of the step, twice by the same approver, or after changes were requested.
 * The step is approved once `required` approvers approved; the last step makes the post
 * SCHEDULED. The caller writes the result conditionally on the version read.
 */
export function decide(post: Post, input: DecisionInput, now: Date): Post {
  if (post.status !== 'PENDING_APPROVAL' || !post.approval) {
    throw new ConflictError(`post '${post.id}' is ${post.status}, not waiting for approval`, {
      extensions: where(post),
    });
  }
  const nowIso = now.toISOString();
  if (post.scheduledAt <= nowIso) {
    throw new ConflictError(
      `post '${post.id}' fell due at ${post.scheduledAt} before it was approved; it will not be published. Reschedule it to review it again`,
      { extensions: where(post) },
    );
  }
  const approval = post.approval;
  const step = approval.steps[approval.step];
  if (!step)
    throw new ConflictError(`post '${post.id}' has no step left to approve`, { extensions: where(post) });
  if (input.round !== undefined && input.round !== approval.round) {
    throw new ConflictError(
      `post '${post.id}' changed since this request was sent (review round ${approval.round}, not ${input.round}); use the latest request`,
      { extensions: where(post) },
    );
  }
  if (!stepMatches(step, approval.step, input.step)) {
    throw new ConflictError(
      `post '${post.id}' is at step ${approval.step + 1} ('${step.name}'), not '${input.step}'`,
      { extensions: where(post) },
    );
  }
  const approver = findApprover(step, input.approver);
  if (!approver) {
    throw new ConflictError(
      `${input.approver} is not an approver of step '${step.name}' of post '${post.id}'`,
      {
        extensions: where(post),
      },
    );
  }
  if (approval.decisions.some((d) => d.approver === approver.email)) {
    throw new ConflictError(`${approver.email} already decided on step '${step.name}' of post '${post.id}'`, {
      extensions: where(post),
    });
  }
  if (approval.changesRequested && input.decision === 'approve') {
    throw new ConflictError(
      `changes were requested on post '${post.id}'; it can be approved again once it is edited`,
      { extensions: where(post) },
    );
  }
  const comment = input.comment?.trim() || undefined;
  if (input.decision === 'request-changes' && !comment) {
    throw new ValidationError('say what should change', [
      { column: 'comment', message: 'is required when requesting changes' },
    ]);
  }
  const record = {
    approver: approver.email,
    decision: input.decision,
    at: nowIso,
    ...(comment ? { comment } : {}),
  };
  const entries: ApprovalLogEntry[] = [
    {
      at: nowIso,
      by: approver.email,
      action: input.decision === 'approve' ? 'approved' : 'changes-requested',
      step: step.name,
      round: approval.round,
      via: input.via,
      ...(comment ? { comment } : {}),
    },
  ];
  const decisions = [...approval.decisions, record];
  const base = { ...post, version: post.version + 1, updatedAt: nowIso };
  if (input.decision === 'request-changes') {
    return {
      ...base,
      approval: { ...approval, decisions, changesRequested: true },
      approvalLog: withLog(post, ...entries),
    };
  }
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  if (approvals < step.required) {
    return { ...base, approval: { ...approval, decisions }, approvalLog: withLog(post, ...entries) };
  }
  entries.push({ at: nowIso, by: 'system', action: 'step-approved', step: step.name, round: approval.round });
  const next = approval.step + 1;
  if (next < approval.steps.length) {
    const { requestedAt: _requested, ...rest } = approval;
    return {
      ...base,
      approval: { ...rest, step: next, decisions: [], remindersSent: [] },
      approvalLog: withLog(post, ...entries),
    };
  }
  if (!canTransition('PENDING_APPROVAL', 'SCHEDULED', 'person'))
    throw new Error('lifecycle table lost a transition');
  return {
    ...base,
    status: 'SCHEDULED',
    approval: { ...approval, step: next, decisions },
    approvalLog: withLog(post, ...entries),
  };
}

/** The approver of `step` that `who` names: by email, IAM identity or Slack user id. */
export function findApprover(step: ApprovalStep, who: string): Approver | undefined {
  const wanted = who.trim().toLowerCase();
  return step.approvers.find(
    (a) => a.email === wanted || a.iam?.toLowerCase() === wanted || a.slack?.toLowerCase() === wanted,
  );
}

/** The post, marked APPROVAL_MISSED: it fell due before its last step was approved. */
export function missed(post: Post, now: Date): Post {
  const nowIso = now.toISOString();
  const step = currentStep(post);
  return {
    ...post,
    status: 'APPROVAL_MISSED',
    failureReason: `not approved in time: step '${step?.name ?? '?'}' had not signed off when the post fell due at ${post.scheduledAt}`,
    version: post.version + 1,
    updatedAt: nowIso,
    approvalLog: withLog(post, {
      at: nowIso,
      by: 'system',
      action: 'missed',
      ...(step ? { step: step.name } : {}),
      ...(post.approval ? { round: post.approval.round } : {}),
      reason: 'fell due before approval; not published',
    }),
  };
}

/**
 * What of a pending post's review falls due next, and when: the request to the current step's
 * approvers (at once, when not sent yet), a reminder, or — at its scheduled time — being missed.
 * This instant is the post's APPROVAL entry in the due index, so the sweep finds it without
 * reading any other post.
 */
export function nextApprovalWork(
  post: Post,
): { at: string; what: 'request' | 'reminder' | 'missed'; reminder?: string } | undefined {
  if (post.status !== 'PENDING_APPROVAL' || !post.approval) return undefined;
  const due = { at: post.scheduledAt, what: 'missed' as const };
  if (post.approval.changesRequested) return due;
  if (!post.approval.requestedAt) {
    // Due at once (when the post entered this step), unless it is already due to be missed.
    return post.updatedAt < post.scheduledAt ? { at: post.updatedAt, what: 'request' } : due;
  }
  const scheduled = Date.parse(post.scheduledAt);
  const requested = Date.parse(post.approval.requestedAt);
  for (const offset of post.approval.remindBefore) {
    if (post.approval.remindersSent.includes(offset)) continue;
    const at = scheduled - reminderMs(offset);
    // A reminder that would come before (or with) the request itself is not sent.
    if (at <= requested) continue;
    return { at: new Date(at).toISOString(), what: 'reminder', reminder: offset };
  }
  return due;
}
