import { beforeEach, describe, expect, it } from 'vitest';
import { decideOnPost, listApprovals } from '../../shared/approvals/decisions.ts';
import { decide, effectiveRule, nextApprovalWork } from '../../shared/approvals/review.ts';
import { sweepApprovals } from '../../shared/approvals/sweep.ts';
import { cancelPost, editPost } from '../../shared/calendar/edit.ts';
import { uploadCalendar } from '../../shared/calendar/upload.ts';
import { ApprovalRule, type Channel, canTransition, type Post } from '../../shared/domain/index.ts';
import { ConflictError, ValidationError } from '../../shared/errors.ts';
import { releaseHold, startHold } from '../../shared/holds/holds.ts';
import { DUE_KINDS } from '../../shared/store/keys.ts';
import { dueWorkOf } from '../../shared/store/posts.ts';
import { RecordingEvents, runDispatcher, TestClock } from '../support/dispatcher-driver.ts';
import { makeChannel } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { RecordingAdapter } from '../support/recording-adapter.ts';

const NOW = '2026-12-01T09:00:00.000Z';
const DUE = '2026-12-10T09:00:00.000Z';
const TWO_STEPS = ApprovalRule.parse({
  steps: [
    { name: 'legal', approvers: ['lea@example.com', 'lou@example.com'], required: 1 },
    {
      name: 'client',
      approvers: ['cat@example.com', { email: 'cy@example.com', slack: 'U0CY' }],
      required: 2,
    },
  ],
});

let store: MemoryStore;
let clock: TestClock;
let events: RecordingEvents;

async function upload(posts: object[], campaigns?: object[]) {
  const body = new TextEncoder().encode(JSON.stringify({ posts, ...(campaigns ? { campaigns } : {}) }));
  return uploadCalendar({ body, contentType: 'json', dryRun: false }, { store, now: clock.now });
}
const post = async (id = 'p1') => (await store.getPost(id)) as Post;
const approve = (id: string, approver: string, step?: string) =>
  decideOnPost(id, { decision: 'approve', approver, step, via: 'api' }, { store, now: clock.now });

/** Uploads p1, due at DUE, and has every step sign it off: legal (lea), then the client (cat and cy). */
async function uploadSignedOff(): Promise<void> {
  await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
  for (const approver of ['lea@example.com', 'cat@example.com', 'cy@example.com'])
    await approve('p1', approver);
}

beforeEach(async () => {
  store = new MemoryStore();
  clock = new TestClock(Date.parse(NOW));
  events = new RecordingEvents();
  await store.putChannel(makeChannel({ id: 'x-main', approval: TWO_STEPS } as Partial<Channel>));
  await store.putChannel(makeChannel({ id: 'x-free', handle: '@free' }));
});

describe('approval rules', () => {
  it('refuses a step that needs more approvals than it has approvers, names used twice and bad approvers', () => {
    const result = ApprovalRule.safeParse({
      steps: [
        { name: 'legal', approvers: ['a@example.com'], required: 2 },
        { name: 'Legal', approvers: ['not-an-email', 'b@example.com', 'b@example.com'] },
      ],
    });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues.some((i) => i.startsWith('steps.1.approvers.0'))).toBe(true);
    const ok = ApprovalRule.safeParse({
      steps: [
        { name: 'legal', approvers: ['a@example.com'], required: 2 },
        { name: 'Legal', approvers: ['b@example.com', 'B@example.com'] },
      ],
    });
    expect(ok.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'steps.0.required: needs 2 approvals but the step has only 1 approver(s)',
      "steps.1.name: step 'Legal' is named twice",
      'steps.1.approvers: b@example.com is listed twice',
    ]);
  });

  it('puts a channel’s steps before a campaign’s: a campaign cannot waive a channel’s sign-off', () => {
    const campaignRule = ApprovalRule.parse({ steps: [{ name: 'legal', approvers: ['c@example.com'] }] });
    const rule = effectiveRule(
      { id: 'x-main', approval: TWO_STEPS },
      { id: 'spring', approval: campaignRule },
    );
    expect(rule?.steps.map((s) => s.name)).toEqual(['legal', 'client', 'legal (campaign)']);
    expect(rule?.source).toEqual(['channel:x-main', 'campaign:spring']);
    expect(rule?.remindBefore).toEqual(['24h', '1h']);
    expect(effectiveRule({ id: 'x-free' }, undefined)).toBeUndefined();
  });
});

describe('the lifecycle table', () => {
  it('has the approval transitions, and only the system marks a post missed', () => {
    expect(canTransition('PENDING_APPROVAL', 'SCHEDULED', 'person')).toBe(true);
    expect(canTransition('PENDING_APPROVAL', 'APPROVAL_MISSED', 'system')).toBe(true);
    expect(canTransition('PENDING_APPROVAL', 'APPROVAL_MISSED', 'person')).toBe(false);
    expect(canTransition('PENDING_APPROVAL', 'QUEUED')).toBe(false);
    expect(canTransition('APPROVAL_MISSED', 'QUEUED')).toBe(false);
    expect(canTransition('APPROVAL_MISSED', 'PENDING_APPROVAL', 'person')).toBe(true);
    expect(canTransition('SCHEDULED', 'PENDING_APPROVAL', 'person')).toBe(true);
  });
});

describe('a calendar on a channel with a two-step rule', () => {
  it('enters PENDING_APPROVAL, with no PUBLISH entry, and the Dispatcher never claims it', async () => {
    const result = await upload([
      { id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' },
      { id: 'p2', channel: 'x-free', scheduledAt: DUE, text: 'No review here' },
    ]);
    expect(result.posts.map((p) => [p.id, p.pendingApproval ?? false])).toEqual([
      ['p1', true],
      ['p2', false],
    ]);
    const pending = await post('p1');
    expect(pending).toMatchObject({ status: 'PENDING_APPROVAL', approval: { round: 1, step: 0 } });
    expect(pending.approvalLog?.[0]).toMatchObject({
      action: 'submitted',
      reason: 'required by channel:x-main',
    });
    expect(dueWorkOf(pending)?.kind).toBe(DUE_KINDS.approval);
    expect(
      (await store.dueWork(DUE_KINDS.publish, '9999-01-01T00:00:00.000Z', { limit: 10 })).items.map(
        (p) => p.id,
      ),
    ).toEqual(['p2']);

    const adapter = new RecordingAdapter(() => 'ok', clock.now);
    clock.set(DUE);
    clock.ms += 60_000;
    await runDispatcher('exec-1', { store, adapter, events, clock });

    expect(adapter.accepted.get('p1')).toBeUndefined();
    expect(adapter.accepted.get('p2')).toBe(1);
    expect(await post('p1')).toMatchObject({ status: 'APPROVAL_MISSED' });
    expect(events.of('Post Approval Missed', 'p1')).toHaveLength(1);
    // Later sweeps neither publish it nor announce it again.
    clock.ms += 3_600_000;
    await runDispatcher('exec-2', { store, adapter, events, clock });
    expect(adapter.accepted.get('p1')).toBeUndefined();
    expect(events.of('Post Approval Missed', 'p1')).toHaveLength(1);
  });

  it('is SCHEDULED once every step approved, and then published on time, with the trail', async () => {
    await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
    await approve('p1', 'lou@example.com', 'legal');
    expect(await post()).toMatchObject({ status: 'PENDING_APPROVAL', approval: { step: 1, decisions: [] } });
    await approve('p1', 'cat@example.com');
    expect((await post()).status).toBe('PENDING_APPROVAL');
    const approved = await decideOnPost(
      'p1',
      { decision: 'approve', approver: 'U0CY', step: 2, comment: 'fine', via: 'slack' },
      { store, now: clock.now },
    );
    expect(approved.status).toBe('SCHEDULED');
    expect(approved.approvalLog?.map((e) => [e.action, e.by, e.step ?? ''])).toEqual([
      ['submitted', 'api', ''],
      ['approved', 'lou@example.com', 'legal'],
      ['step-approved', 'system', 'legal'],
      ['approved', 'cat@example.com', 'client'],
      ['approved', 'cy@example.com', 'client'],
      ['step-approved', 'system', 'client'],
    ]);
    expect(approved.approvalLog?.[4]).toMatchObject({ via: 'slack', comment: 'fine' });

    const adapter = new RecordingAdapter(() => 'ok', clock.now);
    clock.set(DUE);
    await runDispatcher('exec-1', { store, adapter, events, clock });
    expect(await post()).toMatchObject({ status: 'PUBLISHED' });
    expect(adapter.accepted.get('p1')).toBe(1);
  });

  it('refuses decisions from non-approvers, on another step, twice by one approver, and after the post fell due', async () => {
    await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
    await expect(approve('p1', 'mallory@example.com')).rejects.toThrow(/not an approver of step 'legal'/);
    await expect(approve('p1', 'cat@example.com', 'client')).rejects.toThrow(/is at step 1 \('legal'\)/);
    await approve('p1', 'lea@example.com');
    await approve('p1', 'cat@example.com');
    await expect(approve('p1', 'cat@example.com')).rejects.toThrow(/already decided/);
    const before = await post();

    clock.set(DUE);
    await expect(approve('p1', 'cy@example.com')).rejects.toThrow(/fell due at .* before it was approved/);
    expect(await post()).toEqual(before);
  });

  it('counts the second of two racing decisions by different approvers, and refuses the same approver twice', async () => {
    await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
    await approve('p1', 'lea@example.com');
    const outcomes = await Promise.allSettled([
      approve('p1', 'cat@example.com'),
      approve('p1', 'cat@example.com'),
      approve('p1', 'cy@example.com'),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const settled = await post();
    expect(settled.status).toBe('SCHEDULED');
    expect(
      settled.approvalLog
        ?.filter((e) => e.action === 'approved')
        .map((e) => e.by)
        .sort(),
    ).toEqual(['cat@example.com', 'cy@example.com', 'lea@example.com']);
  });

  it('blocks approval after changes were requested (comment required) until the post is edited', async () => {
    await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
    await expect(
      decideOnPost(
        'p1',
        { decision: 'request-changes', approver: 'lea@example.com', via: 'api' },
        { store, now: clock.now },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await decideOnPost(
      'p1',
      { decision: 'request-changes', approver: 'lea@example.com', comment: 'say "spring sale"', via: 'link' },
      { store, now: clock.now },
    );
    await expect(approve('p1', 'lou@example.com')).rejects.toThrow(/changes were requested/);
    expect(nextApprovalWork(await post())).toEqual({ at: DUE, what: 'missed' });

    clock.ms += 60_000;
    const { post: edited } = await editPost('p1', { text: 'Spring sale is here' }, { store, now: clock.now });
    expect(edited).toMatchObject({
      status: 'PENDING_APPROVAL',
      approval: { round: 2, step: 0, decisions: [] },
    });
    expect(edited.approvalLog?.at(-1)).toMatchObject({ action: 'reset', round: 2 });
    expect(edited.approvalLog?.at(-1)?.reason).toMatch(/^text changed during or after review/);
    await approve('p1', 'lou@example.com');
  });

  it('sends an approved post back to the first step when its time changes, saying why; an unchanged PATCH does not', async () => {
    await uploadSignedOff();
    expect((await post()).status).toBe('SCHEDULED');

    const same = await editPost('p1', { text: 'Spring is here' }, { store, now: clock.now });
    expect(same.post.status).toBe('SCHEDULED');
    const later = '2026-12-11T09:00:00.000Z';
    const { post: moved } = await editPost(
      'p1',
      { scheduledAt: later },
      { store, now: clock.now, actor: 'arn:aws:iam::123456789012:user/ed' },
    );
    expect(moved).toMatchObject({ status: 'PENDING_APPROVAL', approval: { round: 2, step: 0 } });
    expect(moved.approvalLog?.at(-1)).toMatchObject({
      action: 'reset',
      by: 'arn:aws:iam::123456789012:user/ed',
      reason: 'scheduledAt changed during or after review: review starts again at the first step',
    });
    // A decision for the old round (a link from before the edit) is refused.
    await expect(
      decideOnPost(
        'p1',
        { decision: 'approve', approver: 'lea@example.com', round: 1, via: 'link' },
        { store, now: clock.now },
      ),
    ).rejects.toThrow(/review round 2, not 1/);
  });

  it('re-uploading a changed row resets review; an unchanged one leaves it', async () => {
    const rows = [{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }];
    await upload(rows);
    await approve('p1', 'lea@example.com');
    const again = await upload(rows);
    expect(again.summary).toMatchObject({ unchanged: 1 });
    expect((await post()).approval?.step).toBe(1);
    await upload([{ ...rows[0], text: 'Spring is really here' }]);
    expect(await post()).toMatchObject({ status: 'PENDING_APPROVAL', approval: { round: 2, step: 0 } });
  });

  it('applies a campaign’s rule declared in the same upload, after the channel’s', async () => {
    await upload(
      [{ id: 'p1', channel: 'x-free', scheduledAt: DUE, text: 'Campaign post', campaign: 'spring' }],
      [
        {
          id: 'spring',
          name: 'Spring',
          approval: { steps: [{ name: 'brand', approvers: ['b@example.com'] }] },
        },
      ],
    );
    expect(await post()).toMatchObject({
      status: 'PENDING_APPROVAL',
      approval: { source: ['campaign:spring'], steps: [{ name: 'brand' }] },
    });
  });

  it('reschedules a missed post into a new review round; cancelling it works too', async () => {
    await upload([
      { id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' },
      { id: 'p2', channel: 'x-main', scheduledAt: DUE, text: 'Another' },
    ]);
    clock.set(DUE);
    await sweepApprovals({ store, events, now: clock.now });
    expect((await post('p1')).status).toBe('APPROVAL_MISSED');
    expect((await listApprovals('missed', store, { limit: 10 })).items.map((p) => p.id)).toEqual([
      'p1',
      'p2',
    ]);

    const later = '2026-12-12T09:00:00.000Z';
    const { post: again } = await editPost('p1', { scheduledAt: later }, { store, now: clock.now });
    expect(again).toMatchObject({ status: 'PENDING_APPROVAL', approval: { round: 2, step: 0 } });
    expect(again.approvalLog?.at(-1)?.reason).toMatch(/^rescheduled after the review missed its time/);
    expect(again.failureReason).toBeUndefined();
    expect((await cancelPost('p2', { store, now: clock.now })).status).toBe('CANCELLED');
    await expect(editPost('p2', { text: 'x' }, { store, now: clock.now })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('sends an approved post that a crisis hold kept back into review when a person reschedules it', async () => {
    await uploadSignedOff();
    expect((await post()).status).toBe('SCHEDULED');
    const { hold } = await startHold({ scope: 'all', reason: 'crisis' }, 'api', {
      store,
      events,
      now: clock.now,
    });

    const adapter = new RecordingAdapter(() => 'ok', clock.now);
    clock.set(DUE);
    await runDispatcher('exec-1', { store, adapter, events, clock });
    expect((await post()).status).toBe('HELD');
    await releaseHold(hold.id, 'api', { store, now: clock.now });

    const { post: again } = await editPost(
      'p1',
      { scheduledAt: '2026-12-12T09:00:00.000Z' },
      { store, now: clock.now },
    );
    expect(again).toMatchObject({ status: 'PENDING_APPROVAL', approval: { round: 2, step: 0 } });
    expect(adapter.accepted.get('p1')).toBeUndefined();
  });
});

describe('the approval sweep', () => {
  it('requests each step once, reminds 24 h and 1 h before, then marks the post missed', async () => {
    await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
    const sweep = () => sweepApprovals({ store, events, now: clock.now });
    const types = () =>
      events.events.map(
        (e) =>
          `${e.type}${(e.detail as { reminder?: string }).reminder ? ` ${(e.detail as { reminder?: string }).reminder}` : ''}`,
      );

    expect(await sweep()).toEqual({ requested: 1, reminded: 0, missed: 0 });
    expect(events.events[0]?.detail).toMatchObject({
      step: 0,
      stepName: 'legal',
      approvers: [{ email: 'lea@example.com' }, { email: 'lou@example.com' }],
      text: 'Spring is here',
    });
    expect(await sweep()).toEqual({ requested: 0, reminded: 0, missed: 0 });

    await approve('p1', 'lea@example.com');
    expect(await sweep()).toEqual({ requested: 1, reminded: 0, missed: 0 });
    expect(events.events[1]?.detail).toMatchObject({ stepName: 'client', required: 2 });
    await approve('p1', 'cat@example.com');

    clock.set('2026-12-09T09:00:00.000Z');
    expect(await sweep()).toEqual({ requested: 0, reminded: 1, missed: 0 });
    // The reminder goes to the approvers still to decide.
    expect(events.events[2]?.detail).toMatchObject({
      reminder: '24h',
      approvers: [{ email: 'cy@example.com' }],
    });
    clock.set('2026-12-10T08:00:00.000Z');
    expect(await sweep()).toEqual({ requested: 0, reminded: 1, missed: 0 });
    clock.set(DUE);
    expect(await sweep()).toEqual({ requested: 0, reminded: 0, missed: 1 });
    expect(types()).toEqual([
      'Approval Requested',
      'Approval Requested',
      'Approval Requested 24h',
      'Approval Requested 1h',
      'Post Approval Missed',
    ]);
    expect((await listApprovals('pending', store, { limit: 10 })).items).toEqual([]);
  });

  it('lists pending posts from the due index, with who it waits for', async () => {
    await upload([{ id: 'p1', channel: 'x-main', scheduledAt: DUE, text: 'Spring is here' }]);
    await approve('p1', 'lea@example.com');
    const page = await listApprovals('pending', store, { limit: 10 });
    expect(page.items.map((p) => p.review)).toEqual([
      {
        round: 1,
        step: 2,
        stepName: 'client',
        steps: 2,
        required: 2,
        approved: 0,
        changesRequested: false,
        waitingFor: ['cat@example.com', 'cy@example.com'],
      },
    ]);
  });

  it('decide is pure: it never touches a post it refuses', () => {
    const p = { id: 'x', status: 'SCHEDULED' } as Post;
    expect(() =>
      decide(p, { decision: 'approve', approver: 'a@example.com', via: 'api' }, new Date(NOW)),
    ).toThrow(/not waiting for approval/);
  });
});
