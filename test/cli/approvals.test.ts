import { describe, expect, it } from 'vitest';
import { releasedAfterEach } from '../support/per-test.ts';
import { problem, startFakeApi } from './fake-api.ts';

const review = {
  round: 1,
  step: 2,
  stepName: 'client',
  steps: 2,
  required: 2,
  approved: 1,
  changesRequested: false,
  waitingFor: ['cy@example.com'],
};
const pending = {
  id: 'p-1',
  channel: 'x-main',
  scheduledAt: '2027-03-04T09:00:00.000Z',
  text: 'Spring is here',
  status: 'PENDING_APPROVAL',
  review,
};

describe('pulsecast approvals', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  it('lists what waits for sign-off, with the step and who it waits for', async () => {
    const api = await startApi(() => ({ body: { items: [pending] } }));
    const result = await api.run(['approvals', 'list']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(Object.fromEntries(api.requests[0]?.query ?? [])).toEqual({ status: 'pending' });
    expect(result.stdout).toContain('2/2 client');
    expect(result.stdout).toContain('1/2');
    expect(result.stdout).toContain('cy@example.com');
  });

  it('approves as the named approver, and rejects with the comment, by POST /v1/posts/{id}/approval', async () => {
    const api = await startApi(() => ({ body: { ...pending, status: 'SCHEDULED' } }));
    const approved = await api.run([
      'approvals',
      'approve',
      'p-1',
      '--step',
      'client',
      '--as',
      'cy@example.com',
    ]);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain('p-1: approved, SCHEDULED at 2027-03-04T09:00:00.000Z');
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v1/posts/p-1/approval' });
    expect(JSON.parse(api.requests[0]?.body.toString() ?? '{}')).toEqual({
      decision: 'approve',
      step: 'client',
      approver: 'cy@example.com',
    });

    await api.run(['approvals', 'reject', 'p-1', '--comment', 'wrong date']);
    expect(JSON.parse(api.requests[1]?.body.toString() ?? '{}')).toEqual({
      decision: 'request-changes',
      comment: 'wrong date',
    });
  });

  it('prints the refusal and exits 1 when the API says no', async () => {
    const api = await startApi(() =>
      problem(409, {
        type: 'urn:pulsecast:problem:conflict',
        title: 'The resource is not in a state that allows this',
        detail: "mallory@example.com is not an approver of step 'legal' of post 'p-1'",
      }),
    );
    const result = await api.run(['approvals', 'approve', 'p-1', '--as', 'mallory@example.com']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not an approver');
  });
});
