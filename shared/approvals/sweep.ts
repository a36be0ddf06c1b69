import { type Post, platformName } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { announcing, type EventPublisher, makeEvent, type PulsecastEvent } from '../events.ts';
import { postRef } from '../publishing/post-events.ts';
import type { ChannelStore } from '../store/channels.ts';
import { DUE_KINDS } from '../store/keys.ts';
import type { PostStore } from '../store/posts.ts';
import { currentStep, missed, nextApprovalWork } from './review.ts';

export interface ApprovalSweepDeps {
  store: PostStore & ChannelStore;
  events: EventPublisher;
  now: () => Date;
}

export interface ApprovalSweepSummary {
  requested: number;
  reminded: number;
  missed: number;
}

/**
 * The review deadlines of pending posts, read from their APPROVAL entries in the due index (one
 * Query, like every other sweep; docs/adr/0002-due-index-is-the-only-sweep.md): requests to send
 * to a step's approvers, reminders, and posts that fell due unapproved, which become
 * APPROVAL_MISSED and are announced. Each is a conditional write on the version read, then its
 * event; a post that changed meanwhile is left to the next sweep.
 */
export async function sweepApprovals(deps: ApprovalSweepDeps, limit = 500): Promise<ApprovalSweepSummary> {
  const summary: ApprovalSweepSummary = { requested: 0, reminded: 0, missed: 0 };
  await announcing(deps.events, (events) => sweep(deps, limit, summary, events));
  return summary;
}

async function sweep(
  deps: ApprovalSweepDeps,
  limit: number,
  summary: ApprovalSweepSummary,
  events: PulsecastEvent[],
): Promise<void> {
  const now = deps.now();
  const nowIso = now.toISOString();
  const due = await deps.store.dueWork(DUE_KINDS.approval, nowIso, { limit });
  for (const candidate of due.items) {
    const post = await deps.store.getPost(candidate.id);
    if (post?.status !== 'PENDING_APPROVAL' || !post.approval) continue;
    // Past its time, nothing else matters: a request or reminder still owed is moot.
    const work = post.scheduledAt <= nowIso ? { what: 'missed' as const } : nextApprovalWork(post);
    if (!work || ('at' in work && work.at > nowIso)) continue;
    const channel = await deps.store.getChannel(post.channel);
    const ref = postRef(post, channel?.platform ?? 'x');
    try {
      if (work.what === 'missed') {
        const next = missed(post, now);
        await deps.store.replacePost(next, post.version, ['PENDING_APPROVAL']);
        summary.missed++;
        events.push(
          makeEvent('Post Approval Missed', {
            ...ref,
            eventId: `${post.id}:approval-missed:${post.approval.round}`,
            occurredAt: nowIso,
            stepName: currentStep(post)?.name ?? '',
            reason: next.failureReason ?? 'not approved in time',
          }),
        );
        continue;
      }
      const approval =
        work.what === 'request'
          ? { ...post.approval, requestedAt: nowIso }
          : { ...post.approval, remindersSent: [...post.approval.remindersSent, work.reminder ?? ''] };
      const next: Post = { ...post, approval, version: post.version + 1, updatedAt: nowIso };
      await deps.store.replacePost(next, post.version, ['PENDING_APPROVAL']);
      if (work.what === 'request') summary.requested++;
      else summary.reminded++;
      events.push(requestEvent(post, ref, nowIso, work.what === 'reminder' ? work.reminder : undefined));
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

function requestEvent(
  post: Post,
  ref: ReturnType<typeof postRef>,
  nowIso: string,
  reminder: string | undefined,
): PulsecastEvent {
  const approval = post.approval as NonNullable<Post['approval']>;
  const step = approval.steps[approval.step] as NonNullable<ReturnType<typeof currentStep>>;
  const decided = new Set(approval.decisions.map((d) => d.approver));
  return makeEvent('Approval Requested', {
    ...ref,
    eventId: `${post.id}:approval:${approval.round}:${approval.step}:${reminder ? `remind-${reminder}` : 'request'}`,
    occurredAt: nowIso,
    round: approval.round,
    step: approval.step,
    stepName: step.name,
    stepCount: approval.steps.length,
    required: step.required,
    approvers: step.approvers
      .filter((a) => !decided.has(a.email))
      .map((a) => ({ email: a.email, ...(a.timezone ? { timezone: a.timezone } : {}) })),
    text: post.text,
    ...(post.link ? { link: post.link } : {}),
    media: post.media,
    timezone: post.timezone,
    ...(reminder ? { reminder } : {}),
  });
}

/** A line naming a post for people: `post p-1 on x-main (X)`. */
export function postLabel(post: Pick<Post, 'id' | 'channel'>, platform: string): string {
  return `post ${post.id} on ${post.channel} (${platformName(platform)})`;
}
