import { describe, expect, it } from 'vitest';
import type { GoalEvaluation, PostPerformance } from '../../shared/goals/model.ts';
import { recommend } from '../../shared/goals/recommend.ts';
import {
  channels,
  day,
  goal,
  input,
  LINKEDIN,
  makeCampaign,
  published,
  scheduled,
  X_MAIN,
} from './helpers.ts';

const NOW = '2026-04-30T12:00:00.000Z';
const BERLIN = { ...X_MAIN, timezone: 'Europe/Berlin' };
const campaign = makeCampaign();

/**
 * `n` posts with `engagements` each, on distinct days from 2026-04-01 (skipping Tuesdays) at
 * hours (5·j + offset) mod 24 UTC: no two share a weekday-and-two-hours window, so no window but the ones a
 * test adds has 3 posts.
 */
function spread(n: number, engagements: number, prefix = 'f', offset = 0): PostPerformance[] {
  const out: PostPerformance[] = [];
  for (let j = 0, d = 0; out.length < n; d++) {
    const date = day('2026-04-01', d);
    if (new Date(`${date}T12:00:00Z`).getUTCDay() === 2) continue;
    const hour = String((5 * j + offset) % 24).padStart(2, '0');
    out.push(published(`${prefix}${j}`, `${date}T${hour}:30:00.000Z`, { engagements }));
    j++;
  }
  return out;
}

/** `spread`, with a deterministic ±20 % wobble so posts vary as real ones do. */
function noisy(n: number, engagements: number, prefix = 'f', offset = 0): PostPerformance[] {
  return spread(n, engagements, prefix, offset).map((p, j) => ({
    ...p,
    metrics: { engagements: Math.round(engagements * (1 + 0.1 * (((j * 7) % 5) - 2))) },
  }));
}

describe('recommend: posting windows (timing.ts)', () => {
  it('recommends the window where posts did better on 8 posts a channel, with lift, interval and sample sizes', () => {
    // On both channels, 3 Tuesday-morning posts (09:15 Berlin) got ≈ 4× the 5 others.
    const tuesdays = (channel: string, prefix: string) =>
      ['2026-04-07', '2026-04-14', '2026-04-21'].map((date, i) =>
        published(
          `${prefix}${i}`,
          `${date}T07:15:00.000Z`,
          { engagements: [38, 42, 40][i] as number },
          { channel },
        ),
      );
    const others = (channel: string, prefix: string) =>
      noisy(5, 10, prefix).map((p) => ({ ...p, post: { ...p.post, channel } }));
    const posts = [
      ...tuesdays('x-main', 'xt'),
      ...others('x-main', 'xo'),
      ...tuesdays('linkedin-page', 'lt'),
      ...others('linkedin-page', 'lo'),
    ];
    const linkedin = { ...LINKEDIN, timezone: 'Europe/Berlin' };
    const result = recommend(input(campaign, NOW, posts, [], channels(BERLIN, linkedin)), []);
    const windows = result.recommendations.filter((r) => r.kind === 'postingWindow');
    expect(windows.map((w) => w.channel).sort()).toEqual(['linkedin-page', 'x-main']);
    const x = windows.find((w) => w.channel === 'x-main');
    expect(x?.evidence).toMatchObject({
      window: 'Tuesdays 09:00–12:00 (Europe/Berlin)',
      postsOnChannelInWindow: 3,
      postsOnAccountInWindow: 6,
      channelPosts: 8,
      accountPosts: 16,
      confidence: 0.9,
    });
    expect(Number(x?.evidence.liftLow)).toBeGreaterThan(1);
    expect(Number(x?.evidence.lift)).toBeGreaterThan(2);
    expect(x?.summary).toMatch(
      /^Post on x-main on Tuesdays 09:00–12:00 \(Europe\/Berlin\): expected ×[\d.]+ \(90 % interval ×[\d.]+–×[\d.]+\) the channel's typical engagements \(3 of its 8 measured posts there, 6 across the account's channels\)\.$/,
    );
  });

  it('does not let a single post or a small difference decide', () => {
    // One Tuesday post at 10×: a window needs posts on two occasions before it is judged.
    const one = published('tue0', '2026-04-07T07:15:00.000Z', { engagements: 100 });
    expect(
      recommend(input(campaign, NOW, [one, ...noisy(9, 10)], [], channels(BERLIN)), []).recommendations,
    ).toEqual([]);
    // Three Tuesday posts at 1.2× the others on average, but scattered: the interval includes ×1.
    const three = ['2026-04-07', '2026-04-14', '2026-04-21'].map((date, i) =>
      published(`tue${i}`, `${date}T07:15:00.000Z`, { engagements: [7, 17, 12][i] as number }),
    );
    expect(
      recommend(input(campaign, NOW, [...three, ...noisy(7, 10)], [], channels(BERLIN)), []).recommendations,
    ).toEqual([]);
  });

  it('says how many measured posts a channel lacks, counting only posts measured a day after going out', () => {
    const young = spread(10, 10, 'y').map((p) => ({
      ...p,
      metricsAt: new Date(Date.parse(p.post.publishedAt as string) + 2 * 3_600_000).toISOString(),
    }));
    const result = recommend(input(campaign, NOW, [...spread(2, 10), ...young], [], channels(BERLIN)), []);
    expect(result.recommendations).toEqual([]);
    expect(result.missingData).toContainEqual(
      expect.objectContaining({
        area: 'postingWindows',
        message:
          'posting windows and standout posts on x-main: need ≥ 3 measured posts (at least 24 h old, last 90 days); have 2',
      }),
    );
  });

  it('names scheduled posts that sit in a weak window, with the better slot', () => {
    // 5 posts on Mondays 03:30 Berlin with ≈ 2 engagements; 15 others with ≈ 20, 3 of them on
    // Thursdays 14:30.
    const mondays = ['2026-03-30', '2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27'].map((date, i) =>
      published(`mon${i}`, `${date}T01:30:00.000Z`, { engagements: [2, 3, 2, 1, 2][i] as number }),
    );
    const thursdays = ['2026-04-02', '2026-04-09', '2026-04-16'].map((date, i) =>
      published(`thu${i}`, `${date}T12:30:00.000Z`, { engagements: [21, 19, 20][i] as number }),
    );
    const upcoming = scheduled('next-monday', '2026-05-04T01:45:00.000Z');
    const result = recommend(
      input(
        campaign,
        NOW,
        [...mondays, ...thursdays, ...noisy(12, 20, 'f', 12), upcoming],
        [],
        channels(BERLIN),
      ),
      [],
    );
    const weak = result.recommendations.filter((r) => r.kind === 'weakWindowPost');
    expect(weak).toEqual([
      expect.objectContaining({
        id: 'weak-window:next-monday',
        postId: 'next-monday',
        evidence: expect.objectContaining({
          window: 'Mondays 03:00–06:00 (Europe/Berlin)',
          postsOnChannelInWindow: 5,
          suggested: expect.objectContaining({ window: 'Thursdays 12:00–15:00 (Europe/Berlin)' }),
        }),
      }),
    ]);
    expect(Number(weak[0]?.evidence.liftHigh)).toBeLessThan(1);
    expect(Number(weak[0]?.evidence.moveLiftLow)).toBeGreaterThan(1);
  });

  it('names a post to boost or repeat only when it beats what chance gives the channel', () => {
    const star = published('star', '2026-04-09T10:30:00.000Z', { engagements: 400 });
    const result = recommend(input(campaign, NOW, [star, ...noisy(11, 10)], [], channels(BERLIN)), []);
    expect(result.recommendations.filter((r) => r.kind === 'boostPost')).toEqual([
      expect.objectContaining({
        id: 'boost:star',
        postId: 'star',
        evidence: expect.objectContaining({ engagements: 400, channelPosts: 12 }),
      }),
    ]);
    const modest = { ...star, metrics: { engagements: 14 } };
    const none = recommend(input(campaign, NOW, [modest, ...noisy(11, 10)], [], channels(BERLIN)), []);
    expect(none.recommendations.filter((r) => r.kind === 'boostPost')).toEqual([]);
  });
});

describe('recommend: content', () => {
  it('finds a tag that over-performs, with both groups shrunk toward the channel mean (hand-computed)', () => {
    // 10 posts tagged video with 20 engagements, 10 others with 10: μ = 15;
    // shrunk (10·20 + 5·15) / 15 = 18.33 and (10·10 + 5·15) / 15 = 11.67 → lift 1.57 ≥ 1.3.
    const posts = [
      ...spread(10, 20, 'v').map((p) => ({ ...p, post: { ...p.post, tags: ['video'] } })),
      ...spread(10, 10, 't'),
    ];
    const result = recommend(input(campaign, NOW, posts, [], channels(BERLIN)), []);
    const content = result.recommendations.filter((r) => r.kind === 'content');
    expect(content).toEqual([
      expect.objectContaining({
        id: 'content:x-main:tag:video:over',
        evidence: expect.objectContaining({
          feature: 'tag:video',
          posts: 10,
          comparisonPosts: 10,
          meanEngagements: 20,
          comparisonMeanEngagements: 10,
          rawLift: 2,
          shrunkLift: 1.57,
        }),
      }),
    ]);
    expect(content[0]?.summary).toBe(
      'On x-main, posts tagged video get 1.6× the engagements of posts without it (10 vs 10 posts; 20 vs 10 per post): make more of them.',
    );
  });

  it('recommends nothing when every kind of post does alike, and says which comparisons lack posts', () => {
    const posts = spread(24, 12).map((p, i) => ({
      ...p,
      post: {
        ...p.post,
        tags: i % 2 === 0 ? ['video'] : ['launch'],
        ...(i % 3 === 0 ? { link: 'https://example.com/a' } : {}),
        media: i % 4 === 0 ? ['https://cdn.example.com/a.png'] : [],
      },
    }));
    const result = recommend(input(campaign, NOW, posts, [], channels(BERLIN)), []);
    expect(result.recommendations).toEqual([]);
    expect(result.missingData).toContainEqual(
      expect.objectContaining({
        area: 'content',
        message: expect.stringContaining('length:short (24 with, 0 without)'),
      }),
    );
  });
});

describe('recommend: channels and cadence for a goal that is behind', () => {
  const clicks = goal({
    id: 'clicks',
    metric: 'clicks',
    target: { kind: 'absolute', value: 1000 },
    window: { from: '2026-04-15', to: '2026-05-14' },
  });
  const behind: GoalEvaluation = {
    goalId: 'clicks',
    metric: 'clicks',
    direction: 'atLeast',
    status: 'OFF_TRACK',
    reason: '',
    window: clicks.window,
    asOfDate: '2026-04-30',
    daysTotal: 30,
    daysElapsed: 16,
    current: 400,
    target: 1000,
    forecast: { value: 700, low: 650, high: 750, confidence: 0.8, method: '', assumptions: [] },
    evidence: { posts: 8, measuredPosts: 8, scheduledPosts: 0, conversions: 0 },
  };

  it('shifts effort to the channel that yields more per post, and says how many more posts close the gap', () => {
    // x-main: 12 posts with 10 clicks; linkedin-page: 12 with 2, and nothing scheduled on either.
    // On a log scale ln 11 − ln 3: ×3.67, its 90 % interval well above ×1 → linkedin-page is
    // over-served for what it yields, x-main under-served.
    const x = spread(12, 10, 'x').map((p) => ({ ...p, metrics: { clicks: 10, engagements: 10 } }));
    const li = spread(12, 2, 'l').map((p) => ({
      ...p,
      post: { ...p.post, channel: 'linkedin-page' },
      metrics: { clicks: 2, engagements: 2 },
    }));
    const c = makeCampaign({ goals: [clicks] });
    const result = recommend(input(c, NOW, [...x, ...li], [], channels(X_MAIN, LINKEDIN)), [behind]);

    expect(result.recommendations.filter((r) => r.kind === 'channelShift')).toEqual([
      expect.objectContaining({
        id: 'channel-shift:clicks:linkedin-page->x-main',
        channel: 'x-main',
        evidence: expect.objectContaining({
          lift: 3.67,
          liftLow: 3.66,
          confidence: 0.9,
          channels: [
            { channel: 'linkedin-page', posts: 12, perPost: 2, scheduled: 0 },
            { channel: 'x-main', posts: 12, perPost: 10, scheduled: 0 },
          ],
        }),
      }),
    ]);
    expect(result.recommendations.find((r) => r.kind === 'channelShift')?.summary).toMatch(
      /^For goal clicks \(clicks\), x-main is under-served: a post there yields ×3\.67 what one on linkedin-page does \(90 % interval ×3\.66–×3\.67; 12 and 12 measured posts, 10 vs 2 per post\)/,
    );
    // Gap 1000 − 700 = 300 at 6 per post → 50 posts over 14 days (2 weeks) → 25 a week, against
    // 3.5 a week so far (8 posts in 16 days): more than double, and the advice says so.
    const cadence = result.recommendations.find((r) => r.kind === 'cadence');
    expect(cadence).toMatchObject({
      id: 'cadence:clicks:+25/week',
      evidence: {
        gap: 300,
        perPost: 6,
        extraPosts: 50,
        extraPostsLow: 43,
        extraPostsHigh: 62,
        extraPostsPerWeek: 25,
        daysLeft: 14,
        postsPerWeekSoFar: 3.5,
        unrealistic: true,
      },
    });
    expect(cadence?.summary).toMatch(/more than double the current cadence/);

    // Forecast 970: gap 30 → 5 posts → 2.5 a week more. The yield per post, 6 ± 1.31 · 4.09/√24,
    // puts the posts needed between ⌈30 / 7.09⌉ = 5 and ⌈30 / 4.91⌉ = 7.
    const close = recommend(input(c, NOW, [...x, ...li], [], channels(X_MAIN, LINKEDIN)), [
      { ...behind, forecast: { ...behind.forecast, value: 970 } } as GoalEvaluation,
    ]).recommendations.find((r) => r.kind === 'cadence');
    expect(close?.summary).toBe(
      'To reach 1000 clicks by 2026-05-14, publish about 5 more posts in scope (80 % interval 5–7, from 24 measured posts) over the 14 days left (≈ 2.5 more a week on top of 3.5 a week so far), at 6 clicks per post over 24 measured posts in scope.',
    );
  });

  it('says what is missing instead of comparing channels with too few posts', () => {
    const x = spread(12, 10, 'x').map((p) => ({ ...p, metrics: { clicks: 10 } }));
    const li = spread(2, 2, 'l').map((p) => ({
      ...p,
      post: { ...p.post, channel: 'linkedin-page' },
      metrics: { clicks: 2 },
    }));
    const c = makeCampaign({ goals: [clicks] });
    const result = recommend(input(c, NOW, [...x, ...li], [], channels(X_MAIN, LINKEDIN)), [behind]);
    expect(result.recommendations.some((r) => r.kind === 'channelShift')).toBe(false);
    expect(result.missingData).toContainEqual({
      area: 'channels',
      goalId: 'clicks',
      message: 'comparing channels for goal clicks: need ≥ 3 measured posts per channel; linkedin-page has 2',
      have: 2,
      need: 3,
    });
  });

  it('makes no cadence or channel advice for a goal on track', () => {
    const x = spread(12, 10, 'x').map((p) => ({ ...p, metrics: { clicks: 10 } }));
    const c = makeCampaign({ goals: [clicks] });
    const result = recommend(input(c, NOW, x, [], channels(X_MAIN)), [{ ...behind, status: 'ON_TRACK' }]);
    expect(result.recommendations.filter((r) => r.kind === 'cadence' || r.kind === 'channelShift')).toEqual(
      [],
    );
  });
});
