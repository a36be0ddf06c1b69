import { describe, expect, it } from 'vitest';
import { ApprovalLinks } from '../../shared/approvals/links.ts';
import { SLACK_ACTIONS } from '../../shared/approvals/requests.ts';
import { NotifyConfig } from '../../shared/notify/config.ts';
import { type NotifierDeps, notify } from '../../shared/notify/notifier.ts';
import { eventOf, NASTY, RecordingEmail, RecordingSlack } from '../notify/support.ts';
import { MemoryStore } from '../support/memory-store.ts';

const NOW = '2026-12-01T09:00:00.000Z';
const KEY = 'link-key-0123456789abcdef0123456789';
const links = new ApprovalLinks(async () => KEY);
const config = NotifyConfig.parse({
  workspaces: [
    {
      id: 'brand',
      routes: [
        { events: ['Approval Requested'], slack: ['reviews'], email: ['ops@example.com'] },
        { events: ['Post Failed'], email: ['ops@example.com'] },
      ],
    },
  ],
});

// Approvers lea (America/New_York) and lou; the post is due 2026-12-10T09:00Z; its text is hostile.
const request = eventOf('Approval Requested');

function setup(overrides: Partial<NotifierDeps> = {}) {
  const slack = new RecordingSlack();
  const email = new RecordingEmail();
  const deps: NotifierDeps = {
    config,
    store: new MemoryStore(),
    slack,
    email,
    sender: 'Pulsecast <notify@example.com>',
    now: () => new Date(NOW),
    approvalLinks: { links, baseUrl: 'https://api.example.com/' },
    ...overrides,
  };
  return { slack, email, deps };
}

describe('approval requests', () => {
  it('email each approver (not the route’s list) their own signed links, with the post and its time in their zone', async () => {
    const { email, deps } = setup();
    await notify(request, deps);
    expect(email.sent.map((m) => m.to)).toEqual(['lea@example.com', 'lou@example.com']);
    const lea = email.sent[0];
    expect(lea?.content.subject).toContain('Approval needed: post post-0001 on X, step 1 of 2');
    expect(lea?.content.text).toContain(NASTY.slice(0, 60));
    expect(lea?.content.html).not.toContain('<script>');
    expect(lea?.content.text).toContain('Thu 10 Dec 2026, 04:00 EST');
    expect(email.sent[1]?.content.text).toContain('Thu 10 Dec 2026, 10:00 CET');
    const urls = [...(lea?.content.text ?? '').matchAll(/https:\/\/api\.example\.com\/\S+/g)].map(
      (m) => new URL(m[0]),
    );
    expect(urls.map((u) => [u.pathname, u.searchParams.get('decision')])).toEqual([
      ['/v1/approvals/post-0001/link', 'approve'],
      ['/v1/approvals/post-0001/link', 'request-changes'],
    ]);
    const claims = await links.verify(urls[0]?.searchParams.get('token') ?? '', new Date(NOW));
    expect(claims).toMatchObject({ p: 'post-0001', r: 1, s: 0, a: 'lea@example.com' });
    // The link expires when the post falls due.
    expect(claims.e).toBe(Date.parse('2026-12-10T09:00:00.000Z') / 1000);
  });

  it('post to the routed Slack webhook with Approve and Request changes buttons carrying post, round and step', async () => {
    const { slack, deps } = setup();
    await notify(request, deps);
    expect(slack.sent.map((m) => m.webhook)).toEqual(['reviews']);
    const actions = slack.sent[0]?.payload.blocks.find((b) => b.type === 'actions');
    expect(actions).toMatchObject({
      elements: [
        { action_id: SLACK_ACTIONS.approve, value: '{"p":"post-0001","r":1,"s":0}', style: 'primary' },
        { action_id: SLACK_ACTIONS.requestChanges, value: '{"p":"post-0001","r":1,"s":0}', style: 'danger' },
      ],
    });
  });

  it('are sent once however often the event is delivered', async () => {
    const { slack, email, deps } = setup();
    await notify(request, deps);
    await notify(request, deps);
    expect(email.sent).toHaveLength(2);
    expect(slack.sent).toHaveLength(1);
  });

  it('fail loudly (for the retry and the dead-letter queue) when email is configured but the link key is not', async () => {
    const { deps } = setup({ approvalLinks: undefined });
    await expect(notify(request, deps)).rejects.toThrow(/approval link key/);
  });
});
