import { describe, expect, it } from 'vitest';
import type { Goal } from '../../shared/domain/index.ts';
import { changesSince, evaluateCampaign } from '../../shared/goals/campaign-evaluation.ts';
import { evaluateGoal } from '../../shared/goals/evaluate.ts';
import type { ConversionRecord, PostPerformance } from '../../shared/goals/model.ts';
import {
  BSKY,
  channels,
  conversion,
  day,
  goal,
  input,
  makeCampaign,
  published,
  scheduled,
  X_MAIN,
} from './helpers.ts';

/**
 * The Must-show walk: "+15 % conversions vs the previous 3 months".
 *
 * Baseline 2026-01-01…03-31 (90 days): one post a day, one conversion a day → B = 90.
 * Window 2026-04-01…06-29 (90 days): target T = 90 / 90 · 90 · 1.15 = 103.5.
 * Conversions in the window: 2 a day on days 1–10, 1 a day on days 11–30, none after.
 * Every post goes out at 09:00 UTC and converts at 12:00 UTC; evaluations run at 06:00 UTC, so
 * the day in progress has no conversions yet (elapsed = complete days + 0.25).
 */
const relative: Goal = goal({
  id: 'more-conversions',
  metric: 'conversions',
  target: { kind: 'relative', changePercent: 15, baseline: { from: '2026-01-01', to: '2026-03-31' } },
  window: { from: '2026-04-01', to: '2026-06-29' },
  scope: { posts: 'all' },
});
const campaign = makeCampaign({ goals: [relative] });

function conversionsOn(dayIndex: number): number {
  if (dayIndex < 0) return 1; // baseline
  if (dayIndex < 10) return 2;
  if (dayIndex < 30) return 1;
  return 0;
}

/** What the store holds at `now`: posts published so far (the rest scheduled) and their conversions. */
function world(now: string): { posts: PostPerformance[]; conversions: ConversionRecord[] } {
  const posts: PostPerformance[] = [];
  const conversions: ConversionRecord[] = [];
  for (let i = -90; i < 90; i++) {
    const date = day('2026-04-01', i);
    const at = `${date}T09:00:00.000Z`;
    const id = `p${date}`;
    const overrides = i < 0 ? { campaign: undefined } : {};
    if (at >= now) {
      posts.push(scheduled(id, at, overrides));
      continue;
    }
    posts.push(published(id, at, { impressions: 1000, engagements: 30 }, overrides));
    for (let k = 0; k < conversionsOn(i); k++) {
      const occurredAt = `${date}T12:00:0${k}.000Z`;
      if (occurredAt < now) conversions.push(conversion(id, occurredAt));
    }
  }
  return { posts, conversions };
}

function evaluateAt(now: string) {
  const { posts, conversions } = world(now);
  return evaluateCampaign(input(campaign, now, posts, conversions));
}

describe('evaluateGoal: a relative conversions goal walked through its window', () => {
  it('computes its baseline from history and goes ON_TRACK → AT_RISK → OFF_TRACK → MISSED, announcing each change', () => {
    // The forecast counts every post of the window: published ones at their expected final
    // conversions (no snapshots here, so the default curve, τ = 24 h: the post of day 10, 21 h
    // old, is at 58 % of its final count), scheduled ones at the mean per measured post.
    // Day 10 (2026-04-11 06:00): 10 posts, 2 conversions each; 80 still scheduled at ≈ 2.2 each
    // → ≈ 198, band 142.8…252.8: the low end clears 103.5 → ON_TRACK.
    const first = evaluateAt('2026-04-11T06:00:00.000Z');
    const [g1] = first.goals;
    expect(g1).toMatchObject({
      status: 'ON_TRACK',
      current: 20,
      target: 103.5,
      baseline: { window: { from: '2026-01-01', to: '2026-03-31' }, value: 90, days: 90, conversions: 90 },
      daysElapsed: 10.25,
      evidence: { posts: 10, conversions: 20, scheduledPosts: 80, perPost: { posts: 10, source: 'window' } },
    });
    expect(g1?.expectedByNow).toBeCloseTo(11.7875, 4); // 103.5 · 10.25 / 90
    expect(g1?.forecast?.value).toBeCloseTo(197.8, 1);
    expect(g1?.forecast?.low).toBeCloseTo(142.78, 1);
    expect(g1?.forecast?.high).toBeCloseTo(252.83, 1);
    expect(g1?.reason).toContain('even the low end of the forecast');

    // Day 30 (2026-05-01): 30 posts, 40 conversions (μ ≈ 1.38), 60 still scheduled
    // → ≈ 123, band 102.4…143.5 straddles 103.5 → AT_RISK, and the reason says so.
    const second = evaluateAt('2026-05-01T06:00:00.000Z');
    expect(second.goals[0]).toMatchObject({ status: 'AT_RISK', current: 40, expectedByNow: 34.7875 });
    expect(second.goals[0]?.forecast?.value).toBeCloseTo(122.97, 1);
    expect(second.goals[0]?.forecast?.low).toBeCloseTo(102.42, 1);
    expect(second.goals[0]?.forecast?.high).toBeCloseTo(143.52, 1);
    expect(second.goals[0]?.reason).toContain("the target of 103.5 lies inside the forecast's 80 % band");

    // Day 60 (2026-05-31): 60 posts, still 40 conversions: μ = 0.67 over the 30 to come → 60,
    // band 52.9…67.1, all of it below 103.5 → OFF_TRACK.
    const third = evaluateAt('2026-05-31T06:00:00.000Z');
    expect(third.goals[0]).toMatchObject({ status: 'OFF_TRACK', current: 40, expectedByNow: 69.2875 });
    expect(third.goals[0]?.forecast?.value).toBeCloseTo(60, 1);
    expect(third.goals[0]?.forecast?.high).toBeCloseTo(67.1, 1);

    // After the window (2026-06-30): 40 < 103.5 → MISSED, final.
    const last = evaluateAt('2026-06-30T06:00:00.000Z');
    expect(last.goals[0]).toMatchObject({ status: 'MISSED', current: 40, target: 103.5 });

    const statusEvents = [
      changesSince(undefined, first),
      changesSince(first, second),
      changesSince(second, third),
      changesSince(third, last),
    ].map((events) => events.filter((e) => e.type === 'Goal Status Changed').map((e) => e.detail));
    expect(statusEvents).toEqual([
      [
        expect.objectContaining({
          eventId: 'goal-status:spring:more-conversions:2026-04-11:ON_TRACK',
          campaignId: 'spring',
          goalId: 'more-conversions',
          status: 'ON_TRACK',
          current: 20,
          target: 103.5,
        }),
      ],
      [expect.objectContaining({ previousStatus: 'ON_TRACK', status: 'AT_RISK', current: 40 })],
      [expect.objectContaining({ previousStatus: 'AT_RISK', status: 'OFF_TRACK', asOfDate: '2026-05-31' })],
      [expect.objectContaining({ previousStatus: 'OFF_TRACK', status: 'MISSED' })],
    ]);
    expect(statusEvents[0]?.[0]).not.toHaveProperty('previousStatus');
    // Nothing changed between two evaluations with the same status: no event.
    expect(changesSince(second, evaluateAt('2026-05-02T06:00:00.000Z')).map((e) => e.type)).not.toContain(
      'Goal Status Changed',
    );
  });

  it('reaches ACHIEVED as soon as a total meets its target, before the window ends', () => {
    const g = goal({
      metric: 'conversions',
      target: { kind: 'absolute', value: 25 },
      window: { from: '2026-04-01', to: '2026-06-29' },
      scope: { posts: 'all' },
    });
    const { posts, conversions } = world('2026-04-20T06:00:00.000Z'); // 20 + 9 = 29 ≥ 25
    const evaluation = evaluateGoal(
      g,
      input(makeCampaign({ goals: [g] }), '2026-04-20T06:00:00.000Z', posts, conversions),
    );
    expect(evaluation).toMatchObject({ status: 'ACHIEVED', current: 29, target: 25 });
  });
});

describe('evaluateGoal: measuring', () => {
  const window = { from: '2026-04-01', to: '2026-04-30' };

  it('sums a post metric on the local day each post went out, in the campaign time zone', () => {
    // 2026-03-31T22:30Z is 2026-04-01 00:30 in Berlin: inside the window there, outside it in UTC.
    const g = goal({ metric: 'impressions', target: { kind: 'absolute', value: 3000 }, window });
    const posts = [
      published('late', '2026-03-31T22:30:00.000Z', { impressions: 500 }),
      published('a', '2026-04-01T10:00:00.000Z', { impressions: 1000 }),
    ];
    const berlin = evaluateGoal(
      g,
      input(makeCampaign({ timezone: 'Europe/Berlin', goals: [g] }), '2026-04-02T08:00:00.000Z', posts),
    );
    const utc = evaluateGoal(g, input(makeCampaign({ goals: [g] }), '2026-04-02T08:00:00.000Z', posts));
    expect(berlin.current).toBe(1500);
    expect(utc.current).toBe(1000);
  });

  it('forecasts a sum from the posts published and scheduled, with a t band (hand-computed)', () => {
    // Four posts of 100, 300, 200, 400 impressions measured 48 h after going out; with no
    // snapshots the default curve (τ = 24 h) has them at s = 1 − e⁻² = 0.8647 of their final
    // value: finals 115.65, 346.95, 231.30, 462.60 (Σ 1156.52, mean 289.13, σ 149.31).
    // Six posts still scheduled: F = 1156.52 + 6 · 289.13 = 2891.29. sd² = Σ(½ remainder)²
    // + 6σ² + 36σ²/4 = 1 231.6 + 133 753 + 200 629 → sd = 579.85; t(3) = 1.638 → ±949.79.
    const g = goal({ metric: 'impressions', target: { kind: 'absolute', value: 2000 }, window });
    const posts = [
      ...[100, 300, 200, 400].map((impressions, i) =>
        published(`d${i}`, `2026-04-0${i + 1}T09:00:00.000Z`, { impressions }),
      ),
      ...[10, 12, 14, 16, 18, 20].map((d) => scheduled(`s${d}`, `2026-04-${d}T09:00:00.000Z`)),
    ];
    const at = (x: Goal) =>
      evaluateGoal(x, input(makeCampaign({ goals: [x] }), '2026-04-05T12:00:00.000Z', posts));
    const evaluation = at(g);
    expect(evaluation).toMatchObject({ current: 1000, daysElapsed: 4.5, expectedByNow: 300 });
    expect(evaluation.forecast?.value).toBeCloseTo(2891.29, 1);
    expect(evaluation.forecast?.low).toBeCloseTo(1941.51, 1);
    expect(evaluation.forecast?.high).toBeCloseTo(3841.08, 1);
    expect(evaluation.evidence).toMatchObject({
      posts: 4,
      measuredPosts: 4,
      scheduledPosts: 6,
      perPost: { posts: 4, source: 'window' },
    });
    expect(evaluation.evidence.perPost?.mean).toBeCloseTo(289.13, 1);
    expect(evaluation.forecast?.assumptions).toEqual([
      'every one of the 6 posts still scheduled in the window publishes',
      'no posts beyond the calendar (the campaign states no cadence)',
      'x-main: no snapshot history, so posts are assumed to reach 63 % of their final numbers in their first day (τ = 24 h)',
      'each post still to come adds what the 4 measured posts of the window did on average: 289.13 (σ 149.31)',
    ]);

    // 1900 is below the low end → ON_TRACK; 2000 inside the band → AT_RISK; 4000 above → OFF_TRACK.
    const target = (value: number) => ({ ...g, target: { kind: 'absolute' as const, value } });
    expect(at(target(1900)).status).toBe('ON_TRACK');
    expect(evaluation.status).toBe('AT_RISK');
    expect(evaluation.reason).toBe(
      "the target of 2000 lies inside the forecast's 80 % band (1941.51–3841.08), so it may or may not be reached: forecast 2891.29 at the window's end (80 % band 1941.51–3841.08); 1000 so far",
    );
    expect(at(target(4000)).status).toBe('OFF_TRACK');
  });

  it('counts posts as published + scheduled, never more without a cadence; an atMost total is MISSED once over', () => {
    const posts = [
      published('p1', '2026-04-01T09:00:00.000Z', undefined),
      ...[10, 11, 12, 13, 14].map((d) => scheduled(`s${d}`, `2026-04-${d}T09:00:00.000Z`)),
    ];
    // 1 published + 5 scheduled = 6, with no band: it meets a target of 6 → ON_TRACK, misses 7.
    const g = goal({ metric: 'posts', target: { kind: 'absolute', value: 6 }, window });
    const evaluation = evaluateGoal(
      g,
      input(makeCampaign({ goals: [g] }), '2026-04-04T12:00:00.000Z', posts),
    );
    expect(evaluation).toMatchObject({ status: 'ON_TRACK', current: 1, evidence: { scheduledPosts: 5 } });
    expect(evaluation.forecast).toMatchObject({ value: 6, low: 6, high: 6 });
    const seven = { ...g, target: { kind: 'absolute' as const, value: 7 } };
    expect(
      evaluateGoal(seven, input(makeCampaign({ goals: [seven] }), '2026-04-04T12:00:00.000Z', posts)).status,
    ).toBe('OFF_TRACK');

    const limit = goal({
      metric: 'posts',
      direction: 'atMost',
      target: { kind: 'absolute', value: 0 },
      window,
    });
    expect(
      evaluateGoal(limit, input(makeCampaign({ goals: [limit] }), '2026-04-04T12:00:00.000Z', posts)),
    ).toMatchObject({ status: 'MISSED', current: 1 });
  });

  it('evaluates an engagement rate (percent) with a band from the per-post spread and the posts still to come', () => {
    // ΣE = 100, ΣI = 4000 → 2.5 %. Residuals eᵢ − 0.025·aᵢ: −2.5, −5, 5, −7.5, 10 → Σ² = 212.5,
    // σ = √(212.5 / 4) / 800 = 0.0091109. Five more scheduled: w = 0.5,
    // sd = 0.5 · σ · √(1/5 + 1/5) = 0.0028812 → ± 1.2816 · 0.28812 points = ± 0.3692.
    const pairs: [number, number][] = [
      [10, 500],
      [20, 1000],
      [30, 1000],
      [5, 500],
      [35, 1000],
    ];
    const posts = [
      ...pairs.map(([engagements, impressions], i) =>
        published(`r${i}`, `2026-04-0${i + 1}T09:00:00.000Z`, { engagements, impressions }),
      ),
      ...[20, 21, 22, 23, 24].map((d) => scheduled(`s${d}`, `2026-04-${d}T09:00:00.000Z`)),
    ];
    const at = (value: number) => {
      const g = goal({ metric: 'engagementRate', target: { kind: 'absolute', value }, window });
      return evaluateGoal(g, input(makeCampaign({ goals: [g] }), '2026-04-10T06:00:00.000Z', posts));
    };
    const two = at(2);
    expect(two).toMatchObject({ status: 'ON_TRACK', current: 2.5, expectedByNow: 2 });
    expect(two.forecast?.low).toBeCloseTo(2.1308, 3);
    expect(two.forecast?.high).toBeCloseTo(2.8692, 3);
    expect(at(2.5).status).toBe('AT_RISK');
    expect(at(3).status).toBe('OFF_TRACK');
  });
});

describe('evaluateGoal: not enough data, never an exception', () => {
  const window = { from: '2026-04-01', to: '2026-04-30' };
  const evaluate = (g: Goal, now: string, posts: PostPerformance[], conversions: ConversionRecord[] = []) =>
    evaluateGoal(g, input(makeCampaign({ goals: [g] }), now, posts, conversions, channels(X_MAIN, BSKY)));
  const impressions = goal({ metric: 'impressions', target: { kind: 'absolute', value: 1000 }, window });

  it('says the window has not started', () => {
    expect(evaluate(impressions, '2026-03-20T12:00:00.000Z', [])).toMatchObject({
      status: 'NOT_STARTED',
      reason: 'the window starts on 2026-04-01',
      target: 1000,
    });
  });

  it('asks for 2 measured posts before forecasting posts to come, and says when that will be', () => {
    const posts = [
      published('a', '2026-04-01T09:00:00.000Z', { impressions: 100 }),
      scheduled('s', '2026-04-03T09:00:00.000Z'),
    ];
    expect(evaluate(impressions, '2026-04-02T12:00:00.000Z', posts)).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
      current: 100,
      enoughBy: '2026-04-04T09:00:00.000Z',
      missing: [
        'need ≥ 2 posts in scope measured at least a day after publishing (this window or the last 90 days); have 1; enough once the next 1 scheduled post(s) are a day old, by 2026-04-04T09:00:00.000Z',
      ],
    });
  });

  it('says when no post in scope has gone out, or none has metrics yet', () => {
    expect(
      evaluate(impressions, '2026-04-10T12:00:00.000Z', [scheduled('s', '2026-04-12T09:00:00.000Z')]),
    ).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
      reason: 'no posts in scope have been published in the window yet',
      missing: [
        'published posts in scope (1 scheduled in the window; the first is measured a day after it goes out, by 2026-04-13T09:00:00.000Z)',
      ],
      enoughBy: '2026-04-13T09:00:00.000Z',
    });
    expect(
      evaluate(impressions, '2026-04-10T12:00:00.000Z', [
        published('p', '2026-04-02T09:00:00.000Z', undefined),
      ]),
    ).toMatchObject({ status: 'NOT_ENOUGH_DATA', reason: 'none of the 1 posts in scope has metrics yet' });
  });

  it('says when the platforms in scope do not report the metric (Bluesky has no impressions)', () => {
    const posts = [1, 2, 3, 4].map((d) =>
      published(
        `b${d}`,
        `2026-04-0${d}T09:00:00.000Z`,
        { likes: 4, engagements: 6 },
        { channel: 'bsky-main' },
      ),
    );
    expect(evaluate(impressions, '2026-04-06T12:00:00.000Z', posts)).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
      reason: 'none of the 4 measured posts reports impressions',
    });
  });

  it('needs a baseline with data, and hints at posts: "all" for a campaign-only scope', () => {
    const g = goal({
      metric: 'conversions',
      target: { kind: 'relative', changePercent: 15, baseline: { from: '2026-01-01', to: '2026-03-31' } },
      window,
    });
    const history = [
      published('old', '2026-02-01T09:00:00.000Z', { impressions: 10 }, { campaign: undefined }),
    ];
    const evaluation = evaluate(g, '2026-04-10T12:00:00.000Z', history, [
      conversion('old', '2026-02-02T00:00:00.000Z'),
    ]);
    expect(evaluation.status).toBe('NOT_ENOUGH_DATA');
    expect(evaluation.missing?.[0]).toMatch(
      /^published posts in scope in the baseline period \(.*"posts": "all"/,
    );

    const all = { ...g, scope: { posts: 'all' as const } };
    const zero = evaluate(all, '2026-04-10T12:00:00.000Z', history);
    expect(zero).toMatchObject({ status: 'NOT_ENOUGH_DATA', baseline: { value: 0, posts: 1 } });
    expect(zero.missing?.[0]).toMatch(/a baseline above 0/);
  });

  it('refuses to add up conversion values in several currencies', () => {
    const g = goal({ metric: 'conversionValue', target: { kind: 'absolute', value: 500 }, window });
    const posts = [published('a', '2026-04-01T09:00:00.000Z', { clicks: 3 })];
    const evaluation = evaluate(g, '2026-04-10T12:00:00.000Z', posts, [
      conversion('a', '2026-04-01T10:00:00.000Z', 20, 'EUR'),
      conversion('a', '2026-04-01T11:00:00.000Z', 30, 'USD'),
    ]);
    expect(evaluation).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
      reason: 'conversions in scope are in several currencies (EUR, USD)',
    });
  });

  it('needs 5 measured posts for a rate, and listening set up for response times', () => {
    const rate = goal({ metric: 'engagementRate', target: { kind: 'absolute', value: 2 }, window });
    const posts = [published('a', '2026-04-01T09:00:00.000Z', { engagements: 5, impressions: 100 })];
    expect(evaluate(rate, '2026-05-03T12:00:00.000Z', posts)).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
      missing: [
        'need ≥ 5 measured posts in the window for an engagement rate; have 1; schedule more posts in scope',
      ],
    });
    const response = goal({
      metric: 'responseTimeMinutes',
      direction: 'atMost',
      target: { kind: 'absolute', value: 60 },
      window,
    });
    expect(evaluate(response, '2026-04-10T12:00:00.000Z', posts)).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
      reason: 'listening is not set up (PUT /v1/listening), so nothing is collected to measure',
    });
  });

  it('ignores conversions not attributed to a post in scope', () => {
    const g = goal({ metric: 'conversions', target: { kind: 'absolute', value: 1 }, window });
    const posts = [
      published('mine', '2026-04-01T09:00:00.000Z', { clicks: 1 }),
      published('other', '2026-04-01T09:00:00.000Z', { clicks: 1 }, { campaign: 'autumn' }),
    ];
    const evaluation = evaluate(g, '2026-04-02T12:00:00.000Z', posts, [
      conversion(undefined, '2026-04-01T10:00:00.000Z'),
      conversion('other', '2026-04-01T10:00:00.000Z'),
    ]);
    expect(evaluation).toMatchObject({ current: 0, evidence: { conversions: 0 } });
  });
});
