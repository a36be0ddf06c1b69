import { describe, expect, it } from 'vitest';
import { evaluateGoal } from '../../shared/goals/evaluate.ts';
import { generate, random, randomSlots, START } from './generated.ts';
import { day, goal, makeCampaign } from './helpers.ts';

/**
 * The forecast (shared/goals/forecast.ts) on campaigns generated from the simulators' audience
 * model: counts never exceed what the calendar holds, a sum levels off once posting stops, and
 * the 80 % band holds the final value about 80 % of the time.
 */
const WINDOW = { from: START, to: day(START, 27) };
const engagements = (target: number) =>
  goal({ id: 'eng', metric: 'engagements', target: { kind: 'absolute', value: target }, window: WINDOW });

describe('forecast of a count goal', () => {
  it('never forecasts above published + scheduled without a stated cadence', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rand = random(seed);
      const slots = [
        ...randomSlots(rand, 'x-main', 4, 1 + Math.floor(rand() * 5)),
        ...randomSlots(rand, 'bsky-main', 4, 1 + Math.floor(rand() * 3)),
      ];
      const now = `${day(START, 3 + Math.floor(rand() * 20))}T07:00:00.000Z`;
      const target = 5 + Math.floor(rand() * 60);
      const posts = goal({
        id: 'posts',
        metric: 'posts',
        target: { kind: 'absolute', value: target },
        window: WINDOW,
      });
      const { input } = generate(
        slots,
        now,
        { seed },
        ['x-main', 'bsky-main'],
        makeCampaign({ goals: [posts] }),
      );
      const evaluation = evaluateGoal(posts, input);
      const calendar = slots.length;
      expect(evaluation.forecast?.high ?? 0).toBeLessThanOrEqual(calendar);
      if (evaluation.forecast) {
        expect(evaluation.forecast.value).toBe(calendar);
        expect(evaluation.forecast.assumptions.join(' ')).toContain('no posts beyond the calendar');
      }
    }
  });

  it('counts planned posts only when the campaign states a cadence, and says so', () => {
    const slots = randomSlots(random(7), 'x-main', 2, 3);
    const posts = goal({
      id: 'posts',
      metric: 'posts',
      target: { kind: 'absolute', value: 20 },
      window: WINDOW,
    });
    const now = `${day(START, 7)}T07:00:00.000Z`;
    const plain = evaluateGoal(
      posts,
      generate(slots, now, {}, ['x-main'], makeCampaign({ goals: [posts] })).input,
    );
    const withCadence = evaluateGoal(
      posts,
      generate(slots, now, {}, ['x-main'], makeCampaign({ goals: [posts], cadence: { 'x-main': 3 } })).input,
    );
    expect(plain.forecast?.value).toBe(6);
    // 3 a week over the 20.7 days left: 9 posts, 3 of them on the calendar → 6 planned.
    expect(withCadence.forecast?.value).toBe(12);
    expect(withCadence.forecast?.assumptions.join(' ')).toContain(
      'stated cadence of 3 posts a week on x-main',
    );
  });
});

describe('forecast of a sum goal', () => {
  it('flattens once posting stops', () => {
    const slots = randomSlots(random(3), 'x-main', 1, 6);
    const at = (d: number) => `${day(START, d)}T07:00:00.000Z`;
    const forecastAt = (d: number) => {
      const { input, finals } = generate(slots, at(d), { seed: 3 }, ['x-main']);
      return { forecast: evaluateGoal(engagements(10_000), input).forecast, finals };
    };
    const early = forecastAt(9);
    const later = forecastAt(20);
    const final = early.finals.reduce((total, f) => total + f.engagements, 0);
    expect(early.forecast).toBeDefined();
    expect(later.forecast?.value).toBeCloseTo(early.forecast?.value ?? 0, 0);
    expect(Math.abs((later.forecast?.value ?? 0) - final)).toBeLessThan(0.02 * final);
    expect((later.forecast?.high ?? 0) - (later.forecast?.low ?? 0)).toBeLessThan(0.01 * final + 1);
  });

  it('holds the final value inside its 80 % band in 70–90 % of 200 generated campaigns', () => {
    let inside = 0;
    let evaluated = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = random(1000 + seed);
      const slots = randomSlots(rand, 'x-main', 4, 2 + Math.floor(rand() * 4));
      const now = `${day(START, 8 + Math.floor(rand() * 10))}T${String(Math.floor(rand() * 24)).padStart(2, '0')}:00:00.000Z`;
      const { input, finals } = generate(slots, now, { seed }, ['x-main']);
      const forecast = evaluateGoal(engagements(1_000_000), input).forecast;
      if (!forecast) continue;
      evaluated++;
      const final = finals.reduce((total, f) => total + f.engagements, 0);
      if (final >= forecast.low && final <= forecast.high) inside++;
    }
    expect(evaluated).toBe(200);
    const coverage = inside / evaluated;
    expect(coverage).toBeGreaterThanOrEqual(0.7);
    expect(coverage).toBeLessThanOrEqual(0.9);
  });
});
