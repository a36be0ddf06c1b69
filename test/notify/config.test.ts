import { describe, expect, it } from 'vitest';
import {
  defaultNotifyConfig,
  immediateTargets,
  NotifyConfig,
  webhookNames,
} from '../../shared/notify/config.ts';
import { InvalidEventError, parseBusEvent } from '../../shared/notify/envelope.ts';
import { eventOf } from './support.ts';

const config = NotifyConfig.parse({
  workspaces: [
    {
      id: 'brand',
      campaigns: ['spring-launch'],
      routes: [
        { events: ['Post Failed', 'Goal Status Changed'], statuses: ['OFF_TRACK'], slack: ['brand'] },
        { events: ['Post Failed'], email: ['brand@example.com'] },
      ],
    },
    {
      id: 'ops',
      channels: ['x-main'],
      routes: [
        { events: ['Post Failed', 'Channel Needs Attention'], slack: ['ops'], email: ['ops@example.com'] },
      ],
    },
    { id: 'other', campaigns: ['autumn'], routes: [{ events: ['Post Failed'], slack: ['other'] }] },
  ],
});

describe('notification routing', () => {
  it('sends an event to every workspace whose scope and routes match, destinations merged', () => {
    const targets = immediateTargets(config, eventOf('Post Failed'));
    expect(targets.map((t) => [t.workspace.id, t.slack, t.email])).toEqual([
      ['brand', ['brand'], ['brand@example.com']],
      ['ops', ['ops'], ['ops@example.com']],
    ]);
  });

  it('filters goal changes by status, and leaves campaign-less channel events to channel scopes', () => {
    expect(immediateTargets(config, eventOf('Goal Status Changed', { status: 'AT_RISK' }))).toEqual([]);
    expect(
      immediateTargets(config, eventOf('Goal Status Changed', { status: 'OFF_TRACK' })).map(
        (t) => t.workspace.id,
      ),
    ).toEqual(['brand']);
    expect(immediateTargets(config, eventOf('Channel Needs Attention')).map((t) => t.workspace.id)).toEqual([
      'ops',
    ]);
  });

  it('builds the default routing from the simple settings', () => {
    const simple = defaultNotifyConfig({
      alertEmails: ['ops@example.com'],
      slackWebhook: 'default',
      timezone: 'Europe/Berlin',
    });
    expect(simple.workspaces[0]?.routes.map((r) => [r.events, r.statuses])).toEqual([
      [
        [
          'Post Failed',
          'Post Outcome Unknown',
          'Channel Needs Attention',
          'Strategy Adjustment Recommended',
          'Hold Started',
          'Posts Held',
          'Mention Spike Detected',
          'Post Approval Missed',
          'Approval Requested',
        ],
        undefined,
      ],
      [['Goal Status Changed'], ['AT_RISK', 'OFF_TRACK']],
    ]);
    expect(webhookNames(simple)).toEqual(['default']);
    expect(immediateTargets(simple, eventOf('Post Published'))).toEqual([]);
  });

  it('rejects a routing that cannot work, saying where', () => {
    const result = NotifyConfig.safeParse({
      workspaces: [
        {
          id: 'a',
          routes: [
            { events: ['Post Failed'], statuses: ['AT_RISK'], slack: ['x'] },
            { events: ['Post Failed'] },
          ],
        },
        { id: 'a', digest: { daily: '25:00' } },
      ],
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^workspaces\.1\.digest\.daily: /),
        'workspaces.0.routes.0.statuses: statuses filter only applies to "Goal Status Changed"',
        'workspaces.0.routes.1: a route needs at least one destination (slack or email)',
      ]),
    );
  });
});

describe('parseBusEvent', () => {
  const envelope = (detailType: string, detail: unknown) => ({
    source: 'pulsecast',
    'detail-type': detailType,
    detail,
  });

  it('validates the detail against its schema and keeps going past fields it does not know', () => {
    const event = eventOf('Post Failed');
    expect(parseBusEvent(envelope('Post Failed', { ...event.detail, addedLater: true }))).toMatchObject({
      type: 'Post Failed',
      detail: { eventId: event.detail.eventId },
    });
  });

  it('skips an event type it does not know and refuses a broken one', () => {
    expect(parseBusEvent(envelope('Post Teleported', {}))).toBeUndefined();
    expect(() => parseBusEvent(envelope('Post Failed', { eventId: 'x' }))).toThrow(InvalidEventError);
    expect(() => parseBusEvent({ source: 'elsewhere', 'detail-type': 'Post Failed', detail: {} })).toThrow(
      InvalidEventError,
    );
  });
});
