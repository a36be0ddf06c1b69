import { describe, expect, it } from 'vitest';
import { type NotifierDeps, notify } from '../../shared/notify/notifier.ts';
import { DeliveryInProgressError } from '../../shared/notify/once.ts';
import { NotificationDeliveryError } from '../../shared/notify/port.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { CONFIG, eventOf, NOW, RecordingEmail, RecordingSlack } from './support.ts';

function setup(overrides: Partial<NotifierDeps> = {}) {
  const store = new MemoryStore();
  const slack = new RecordingSlack();
  const email = new RecordingEmail();
  let now = Date.parse(NOW);
  const deps: NotifierDeps = {
    config: CONFIG,
    store,
    slack,
    email,
    sender: 'Pulsecast <notify@example.com>',
    now: () => new Date(now),
    ...overrides,
  };
  return { store, slack, email, deps, advance: (ms: number) => (now += ms) };
}

describe('notify', () => {
  it('sends an event delivered three times as one Slack message and one email', async () => {
    const { slack, email, deps, advance } = setup();
    const event = eventOf('Post Failed');

    const first = await notify(event, deps);
    advance(60_000);
    const second = await notify(event, deps);
    advance(3_600_000);
    const third = await notify(event, deps);

    expect(slack.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);
    expect(first.sent).toEqual([
      'notify#evt-post-failed#slack#alerts#0',
      'notify#evt-post-failed#email#ops@example.com',
    ]);
    expect(second.duplicates).toEqual(first.sent);
    expect(third.duplicates).toEqual(first.sent);
  });

  it('holds an event no route sends at once for the digest', async () => {
    const { slack, email, deps } = setup();
    const report = await notify(eventOf('Post Published'), deps);
    expect(report).toMatchObject({ held: 'digest', sent: [] });
    expect(slack.sent).toHaveLength(0);
    expect(email.sent).toHaveLength(0);
  });

  it('pages a goal once per cool-down while its status flaps, and again when it gets worse', async () => {
    const { slack, deps, advance } = setup();
    const change = (n: number, status: string) =>
      eventOf('Goal Status Changed', { eventId: `goal-evt-${n}`, status });

    expect((await notify(change(1, 'AT_RISK'), deps)).sent).toHaveLength(2);
    advance(3_600_000);
    expect((await notify(change(2, 'ON_TRACK'), deps)).held).toBe('digest');
    advance(3_600_000);
    expect((await notify(change(3, 'AT_RISK'), deps)).held).toBe('cooldown');
    advance(3_600_000);
    expect((await notify(change(4, 'OFF_TRACK'), deps)).sent).toHaveLength(2);
    advance(3_600_000);
    expect((await notify(change(5, 'AT_RISK'), deps)).held).toBe('cooldown');
    // A re-delivery of the event that paged is not cooled down: per-message dedup answers it.
    expect((await notify(change(4, 'OFF_TRACK'), deps)).duplicates).toHaveLength(2);

    advance(CONFIG.goalCooldownMinutes * 60_000);
    expect((await notify(change(6, 'AT_RISK'), deps)).sent).toHaveLength(2);
    expect(slack.sent.map((m) => m.payload.text)).toEqual([
      expect.stringContaining('at risk'),
      expect.stringContaining('off track'),
      expect.stringContaining('at risk'),
    ]);
  });

  it('retries only what failed: a message that went out is not sent again by the retry', async () => {
    const { slack, email, deps } = setup();
    slack.failNext = 1;
    const event = eventOf('Channel Needs Attention');

    const error = await notify(event, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect((error as NotificationDeliveryError).failures.map((f) => f.key)).toEqual([
      'notify#evt-channel-needs-attention#slack#alerts#0',
    ]);
    expect(email.sent).toHaveLength(1);

    const retry = await notify(event, deps);
    expect(retry.sent).toEqual(['notify#evt-channel-needs-attention#slack#alerts#0']);
    expect(retry.duplicates).toEqual(['notify#evt-channel-needs-attention#email#ops@example.com']);
    expect(slack.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);
  });

  it('lets one of two simultaneous deliveries send; the other is retried and then sees it sent', async () => {
    const { slack, deps } = setup();
    slack.delayMs = 50;
    const event = eventOf('Post Outcome Unknown');

    const [a, b] = await Promise.allSettled([notify(event, deps), notify(event, deps)]);
    const rejected = [a, b].filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    const reason = (rejected[0] as PromiseRejectedResult).reason as NotificationDeliveryError;
    expect(reason.failures[0]?.error).toBeInstanceOf(DeliveryInProgressError);

    const retried = await notify(event, deps);
    expect(retried.sent).toEqual([]);
    expect(slack.sent).toHaveLength(1);
  });

  it('writes unsubscribe-friendly headers and a stable Message-ID', async () => {
    const { email, deps } = setup();
    await notify(eventOf('Post Failed'), deps);
    const sent = email.sent[0];

    expect(sent?.headers).toMatchObject({
      'List-Unsubscribe': '<mailto:notify@example.com?subject=unsubscribe>',
      'List-Id': 'Pulsecast marketing <marketing.pulsecast.example.com>',
      'Auto-Submitted': 'auto-generated',
    });
    expect(sent?.headers['List-Unsubscribe-Post']).toBeUndefined();
    expect(sent?.messageId).toMatch(/^<[0-9a-f]{24}@example\.com>$/);

    const https = setup({ config: { ...CONFIG, unsubscribe: 'https://example.com/unsubscribe' } });
    await notify(eventOf('Post Failed'), https.deps);
    expect(https.email.sent[0]?.headers).toMatchObject({
      'List-Unsubscribe': '<https://example.com/unsubscribe>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it('fails loudly (towards the dead-letter queue) when a route needs Slack but no secret is configured', async () => {
    const { deps } = setup({ slack: undefined });
    const error = await notify(eventOf('Post Failed'), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(String(error)).toMatch(/no Slack webhook secret is configured/);
  });
});
