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

describe('recommend: posting windows', () => {
  it('recommends the window where posts did better, shrunk toward the channel mean (hand-computed)', () => {
    // 3 posts on Tuesdays at 09:15 Berlin (07:15 UTC, CEST) with 40 engagements; 17 others with 10.
    // μ = (3·40 + 17·10) / 20 = 14.5. TUE 09–11 holds the 3: shrunk mean (3·40 + 5·14.5) / 8 =
    // 24.0625, lift 24.0625 / 14.5 = 1.66 ≥ 1.5 → recommended (raw lift 40 / 14.5 = 2.76).
    const tuesdays = ['2026-04-07', '2026-04-14', '2026-04-21'].map((date, i) =>
      published(`tue${i}`, `${date}T07:15:00.000Z`, { engagements: 40 }),
    );
    const result = recommend(
      input(campaign, NOW, [...tuesdays, ...spread(17, 10)], [], channels(BERLIN)),
      [],
    );

    const windows = result.recommendations.filter((r) => r.kind === 'postingWindow');
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({
      id: 'posting-window:x-main:TUE-09:00',
      channel: 'x-main',
      evidence: {
        day: 'TUE',
        from: '09:00',
        to: '11:00',
        timezone: 'Europe/Berlin',
        posts: 3,
        meanEngagements: 40,
        channelMeanEngagements: 14.5,
        channelPosts: 20,
        rawLift: 2.76,
        shrunkLift: 1.66,
        priorStrength: 5,
      },
    });
    expect(windows[0]?.summary).toBe(
      "Post on x-main on Tuesdays 09:00–11:00 (Europe/Berlin): posts there got 2.8× the channel's average engagements (3 posts, 40 vs 14.5 per post; 1.7× after shrinking toward the channel mean).",
    );
  });

  it('does not let a handful of posts decide', () => {
    // Three posts at 1.8× the others: shrunk (3·1.8 + 5·μ) / 8 stays under 1.5× the mean.
    const three = ['2026-04-07', '2026-04-14', '2026-04-21'].map((date, i) =>
      published(`tue${i}`, `${date}T07:15:00.000Z`, { engagements: 18 }),
    );
    const result = recommend(input(campaign, NOW, [...three, ...spread(17, 10)], [], channels(BERLIN)), []);
    expect(result.recommendations).toEqual([]);

    // Two posts at 10×: too few for a window at all.
    const two = three.slice(0, 2).map((p) => ({ ...p, metrics: { engagements: 100 } }));
    const thin = recommend(input(campaign, NOW, [...two, ...spread(18, 10)], [], channels(BERLIN)), []);
    expect(thin.recommendations).toEqual([]);
    expect(thin.missingData).toContainEqual({
      area: 'postingWindows',
      channel: 'x-main',
      message:
        'posting windows on x-main: need ≥ 3 posts in a window (weekday and two hours); the best-covered window has 2',
      have: 2,
      need: 3,
    });
  });

  it('says how many measured posts a channel lacks, counting only posts measured a day after going out', () => {
    const young = spread(10, 10, 'y').map((p) => ({
      ...p,
      metricsAt: new Date(Date.parse(p.post.publishedAt as string) + 2 * 3_600_000).toISOString(),
    }));
    const result = recommend(input(campaign, NOW, [...spread(7, 10), ...young], [], channels(BERLIN)), []);
    expect(result.recommendations).toEqual([]);
    expect(result.missingData).toContainEqual(
      expect.objectContaining({
        area: 'postingWindows',
        message:
          'posting windows on x-main: need ≥ 20 measured posts (at least 24 h old, last 90 days); have 7',
      }),
    );
  });

  it('names scheduled posts that sit in a weak window', () => {
    // 5 posts on Mondays 03:30 Berlin with 2 engagements, 15 others with 20: μ = 15.5;
    // MON 03–05: shrunk (5·2 + 5·15.5) / 10 = 8.75, lift 0.56 ≤ 1/1.5 → weak.
    const mondays = ['2026-03-30', '2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27'].map((date, i) =>
      published(`mon${i}`, `${date}T01:30:00.000Z`, { engagements: 2 }),
    );
    const upcoming = scheduled('next-monday', '2026-05-04T01:45:00.000Z');
    const result = recommend(
      input(campaign, NOW, [...mondays, ...spread(15, 20, 'f', 12), upcoming], [], channels(BERLIN)),
      [],
    );
    expect(result.recommendations).toEqual([
      expect.objectContaining({
        id: 'weak-window:next-monday',
        kind: 'weakWindowPost',
        postId: 'next-monday',
        evidence: expect.objectContaining({
          day: 'MON',
          from: '03:00',
          to: '05:00',
          posts: 5,
          shrunkLift: 0.56,
          channelMeanEngagements: 15.5,
        }),
      }),
    ]);
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
    // x-main: 12 posts with 10 clicks; linkedin-page: 12 with 2. Pooled 6 per post;
    // shrunk 150/17 = 8.82 and 54/17 = 3.18 → 2.78× ≥ 1.5 → shift.
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
          pooledPerPost: 6,
          lift: 2.78,
          channels: [
            { channel: 'linkedin-page', posts: 12, perPost: 2, shrunkPerPost: 3.1765 },
            { channel: 'x-main', posts: 12, perPost: 10, shrunkPerPost: 8.8235 },
          ],
        }),
      }),
    ]);
    // Gap 1000 − 700 = 300 at 6 per post → 50 posts over 14 days (2 weeks) → 25 a week, against
    // 3.5 a week so far (8 posts in 16 days): more than double, and the advice says so.
    const cadence = result.recommendations.find((r) => r.kind === 'cadence');
    expect(cadence).toMatchObject({
      id: 'cadence:clicks:+25/week',
      evidence: {
        gap: 300,
        perPost: 6,
        extraPosts: 50,
        extraPostsPerWeek: 25,
        daysLeft: 14,
        postsPerWeekSoFar: 3.5,
        unrealistic: true,
      },
    });
    expect(cadence?.summary).toMatch(/more than double the current cadence/);

    // Forecast 970: gap 30 → 5 posts → 2.5 a week more.
    const close = recommend(input(c, NOW, [...x, ...li], [], channels(X_MAIN, LINKEDIN)), [
      { ...behind, forecast: { ...behind.forecast, value: 970 } } as GoalEvaluation,
    ]).recommendations.find((r) => r.kind === 'cadence');
    expect(close?.summary).toBe(
      'To reach 1000 clicks by 2026-05-14, publish about 5 more posts in scope over the 14 days left (≈ 2.5 more a week on top of 3.5 a week so far), at 6 clicks per post over 24 measured posts in scope.',
    );
  });

  it('says what is missing instead of comparing channels with too few posts', () => {
    const x = spread(12, 10, 'x').map((p) => ({ ...p, metrics: { clicks: 10 } }));
    const li = spread(4, 2, 'l').map((p) => ({
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
      message:
        'comparing channels for goal clicks: need ≥ 10 measured posts per channel; linkedin-page has 4',
      have: 4,
      need: 10,
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
