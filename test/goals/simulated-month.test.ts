import { describe, expect, it } from 'vitest';
import type { EventDetail } from '../../shared/events.ts';
import { evaluateCampaign } from '../../shared/goals/campaign-evaluation.ts';
import { campaignReport, evaluateAndStore } from '../../shared/goals/evaluate-campaigns.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { goal, makeCampaign, storedChannel } from './helpers.ts';
import { CHANNEL, simulateMonth, ZONE } from './simulated-month.ts';

/**
 * Must-show: with the audience model giving Tuesday 09:00–11:00 posts three times the engagement
 * and posts tagged `video` twice the engagement, a simulated month of an evenly spread calendar
 * makes the report recommend Tuesday morning and `video` content for that channel, with evidence;
 * a flat audience model makes it recommend neither.
 *
 * The month is produced with the audience model directly (test/goals/simulated-month.ts), not
 * through the publishing and measuring pipelines: the numbers are those the simulators report.
 */
const campaign = makeCampaign({
  id: 'june',
  timezone: ZONE,
  goals: [
    goal({
      id: 'june-engagements',
      metric: 'engagements',
      target: { kind: 'absolute', value: 1000 },
      window: { from: '2026-06-01', to: '2026-06-30' },
    }),
  ],
});
const channels = new Map([[CHANNEL, { id: CHANNEL, platform: 'x' as const, timezone: ZONE }]]);

function report(config: Parameters<typeof simulateMonth>[0]) {
  const month = simulateMonth(config);
  return evaluateCampaign({
    campaign,
    posts: month.posts,
    conversions: month.conversions,
    channels,
    now: month.measuredAt,
  });
}

describe('a simulated month of an evenly spread calendar', () => {
  it('recommends Tuesday 09:00–11:00 and video content when the audience rewards them', () => {
    const evaluation = report({
      hourOfWeek: [{ day: 'TUE', from: '09:00', to: '11:00', multiplier: 3 }],
      tags: { video: 2 },
    });

    const windows = evaluation.recommendations.filter((r) => r.kind === 'postingWindow');
    expect(windows.map((r) => r.id)).toEqual([`posting-window:${CHANNEL}:TUE-09:00`]);
    const tuesday = windows[0]?.evidence as Record<string, number | string>;
    expect(tuesday).toMatchObject({
      day: 'TUE',
      from: '09:00',
      to: '12:00',
      timezone: ZONE,
      confidence: 0.9,
    });
    // The three-hour window holds the ×3 hours 09–11 and an ordinary 11–12.
    expect(tuesday.postsOnChannelInWindow).toBeGreaterThanOrEqual(6);
    expect(tuesday.lift).toBeGreaterThan(1.8);
    expect(tuesday.liftLow).toBeGreaterThan(1);
    expect(tuesday.channelPosts).toBeGreaterThan(300);

    const content = evaluation.recommendations.filter((r) => r.kind === 'content');
    const video = content.find((r) => r.id === `content:${CHANNEL}:tag:video:over`);
    const evidence = (video?.evidence ?? {}) as { rawLift?: number; posts?: number };
    expect(evidence).toMatchObject({ feature: 'tag:video', direction: 'over' });
    expect(evidence.rawLift).toBeGreaterThan(1.7);
    expect(evidence.posts).toBeGreaterThan(60);
    // Tags and Tuesdays are all the model rewards (media only through its videos):
    // nothing about links or length.
    expect(content.map((r) => r.id).filter((id) => /link|length/.test(id))).toEqual([]);
  });

  it('recommends no posting window and no content with a flat audience model', () => {
    const evaluation = report({ hourOfWeek: [], tags: {} });
    expect(evaluation.recommendations.filter((r) => r.kind === 'postingWindow')).toEqual([]);
    expect(evaluation.recommendations.filter((r) => r.kind === 'content')).toEqual([]);
    expect(evaluation.recommendations.filter((r) => r.kind === 'weakWindowPost')).toEqual([]);
  });
});

describe('the same month through the store: the Evaluator step and GET /v1/campaigns/{id}/report', () => {
  it('stores the evaluation, announces each recommendation with its evidence once, and serves it as the report', async () => {
    const month = simulateMonth({
      hourOfWeek: [{ day: 'TUE', from: '09:00', to: '11:00', multiplier: 3 }],
      tags: { video: 2 },
    });
    const store = new MemoryStore();
    await store.putChannel(storedChannel({ id: CHANNEL, platform: 'x', timezone: ZONE }));
    await store.putCampaign(campaign);
    // What measuring leaves on each post: its latest snapshot's numbers.
    await store.createPosts(
      month.posts.map(({ post, metrics, metricsAt }) => ({
        ...post,
        latestMetrics: { checkpoint: '24h', collectedAt: metricsAt as string, metrics: metrics ?? {} },
      })),
    );
    const deps = { store, now: () => month.measuredAt };

    const outcome = await evaluateAndStore('june', deps);
    const announced = outcome.events
      .filter((e) => e.type === 'Strategy Adjustment Recommended')
      .map((e) => (e.detail as EventDetail<'Strategy Adjustment Recommended'>).recommendation);
    expect(announced.map((r) => r.id)).toEqual(
      expect.arrayContaining([`posting-window:${CHANNEL}:TUE-09:00`, `content:${CHANNEL}:tag:video:over`]),
    );
    // Every recommendation states its sample size.
    for (const r of announced) {
      expect(
        r.evidence.posts ?? r.evidence.postsOnChannelInWindow ?? r.evidence.channelPosts,
      ).toBeGreaterThan(0);
    }

    const report = await campaignReport('june', deps);
    expect(report.source).toBe('live');
    expect(report.evaluation.recommendations.map((r) => r.id)).toEqual(
      expect.arrayContaining(announced.map((r) => r.id)),
    );
    expect(report.evaluation.topPosts).toHaveLength(5);

    // The next day the same advice is not announced again.
    const nextDay = new Date(month.measuredAt.getTime() + 86_400_000);
    const again = await evaluateAndStore('june', { store, now: () => nextDay });
    expect(again.events.filter((e) => e.type === 'Strategy Adjustment Recommended')).toEqual([]);
  });
});
