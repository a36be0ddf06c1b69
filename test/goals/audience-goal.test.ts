import { describe, expect, it } from 'vitest';
import { evaluateGoal } from '../../shared/goals/evaluate.ts';
import type { EvaluationInput } from '../../shared/goals/model.ts';
import { BSKY, channels, goal, makeCampaign, X_MAIN } from './helpers.ts';

/** Daily follower snapshots from `from`, `days` of them, growing by `perDay` (± `wobble` on odd days). */
function snapshots(from: string, days: number, start: number, perDay: number, wobble = 0) {
  return Array.from({ length: days }, (_, i) => ({
    date: new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
    followers: start + perDay * i + (i % 2 === 1 ? wobble : 0),
  }));
}

function input(
  audience: EvaluationInput['audience'],
  now: string,
  g: ReturnType<typeof goal>,
): EvaluationInput {
  return {
    campaign: makeCampaign({ goals: [g] }),
    posts: [],
    conversions: [],
    channels: channels(X_MAIN, BSKY),
    audience,
    now: new Date(now),
  };
}

describe('Audience goals', () => {
  const window = { from: '2026-06-01', to: '2026-06-30' };

  it('forecasts follower growth from the daily trend, summed over the channels in scope', () => {
    const g = goal({ metric: 'followerGrowth', target: { kind: 'absolute', value: 250 }, window, scope: {} });
    const audience = new Map([
      ['x-main', snapshots('2026-05-25', 17, 1000, 6, 2)],
      ['bsky-main', snapshots('2026-05-25', 17, 500, 4, 1)],
    ]);
    const result = evaluateGoal(g, input(audience, '2026-06-10T12:00:00Z', g));

    // 31 May → 10 June: 10 days at 10 a day.
    expect(result.current).toBe(100);
    expect(result.forecast?.value).toBeGreaterThan(280);
    expect(result.status).toBe('ON_TRACK');
    expect(result.forecast?.assumptions.join(' ')).toMatch(/last 14 days/);
  });

  it('is off track when the trend cannot reach the target, and decides at the window end', () => {
    const g = goal({
      metric: 'followerGrowth',
      target: { kind: 'absolute', value: 1000 },
      window,
      scope: { channels: ['x-main'] },
    });
    const audience = new Map([['x-main', snapshots('2026-05-25', 40, 1000, 6, 2)]]);
    expect(evaluateGoal(g, input(audience, '2026-06-10T12:00:00Z', g)).status).toBe('OFF_TRACK');
    expect(evaluateGoal(g, input(audience, '2026-07-02T12:00:00Z', g)).status).toBe('MISSED');
  });

  it('takes a relative target against the level at the end of the baseline period', () => {
    const g = goal({
      metric: 'followers',
      target: { kind: 'relative', changePercent: 10, baseline: { from: '2026-05-25', to: '2026-05-31' } },
      window,
      scope: { channels: ['x-main'] },
    });
    const audience = new Map([['x-main', snapshots('2026-05-25', 17, 1000, 6)]]);
    const result = evaluateGoal(g, input(audience, '2026-06-10T12:00:00Z', g));
    expect(result.baseline?.value).toBe(1036);
    expect(result.target).toBeCloseTo(1139.6, 1);
    expect(result.status).toBe('ON_TRACK');
  });

  it('says what is missing without enough snapshots', () => {
    const g = goal({ metric: 'followers', target: { kind: 'absolute', value: 2000 }, window, scope: {} });
    const result = evaluateGoal(
      g,
      input(new Map([['x-main', snapshots('2026-06-09', 2, 1000, 5)]]), '2026-06-10T12:00:00Z', g),
    );
    expect(result.status).toBe('NOT_ENOUGH_DATA');
    expect(result.missing?.join(' ')).toMatch(/follower snapshots on ≥ 3 days/);
  });
});
