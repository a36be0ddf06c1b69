import { describe, expect, it } from 'vitest';
import { ACTIVE_HOURS, activeWindows, mostActive } from '../../shared/goals/active-hours.ts';
import type { EvaluationInput } from '../../shared/goals/model.ts';
import { recommend } from '../../shared/goals/recommend.ts';
import { generate, random, randomSlots, type Slot, START } from './generated.ts';
import { day } from './helpers.ts';

/**
 * The audience's active hours as a prior for posting windows (shared/goals/active-hours.ts), on
 * calendars generated from the simulators' audience model with no hour-of-week effect in the
 * posts: two channels with 8 posts each, and `instagram-main` with 4 posts, none on a Tuesday
 * morning, whose followers are online four times as much on Tuesdays 09:00–12:00 UTC.
 */
const HOUR = 3_600_000;
const TUESDAY_MORNING = [24 + 9, 24 + 10, 24 + 11];
const planted = Array.from({ length: 168 }, (_, hour) => (TUESDAY_MORNING.includes(hour) ? 4 : 1));
const total = planted.reduce((a, b) => a + b, 0);
const SHARES = planted.map((n) => n / total);

function calendar(seed: number): Slot[] {
  const rand = random(seed);
  const few: Slot[] = [];
  const start = Date.parse(`${START}T00:00:00.000Z`);
  for (let week = 0; week < 4; week++) {
    const dayOfWeek = 2 + Math.floor(rand() * 5); // Wednesday … Sunday
    const at = start + ((week * 7 + dayOfWeek) * 24 + 8 + Math.floor(rand() * 12)) * HOUR;
    few.push({ channel: 'instagram-main', at: new Date(at).toISOString() });
  }
  return [...randomSlots(rand, 'x-main', 4, 2), ...randomSlots(rand, 'bsky-main', 4, 2), ...few].sort(
    (a, b) => a.at.localeCompare(b.at),
  );
}

function input(seed: number, withActiveHours: boolean): EvaluationInput {
  const now = `${day(START, 30)}T07:00:00.000Z`;
  const { input } = generate(calendar(seed), now, { seed, hourOfWeek: [] }, [
    'x-main',
    'bsky-main',
    'instagram-main',
  ]);
  return withActiveHours
    ? { ...input, activeHours: new Map([['instagram-main', { shares: SHARES, asOf: day(START, 29) }]]) }
    : input;
}

const windowsOn = (i: EvaluationInput, channel: string) =>
  recommend(i, []).recommendations.filter((r) => r.kind === 'postingWindow' && r.channel === channel);

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('active hours as a prior for posting windows', () => {
  it('points a channel with 4 posts at its audience’s active window in at least 90 % of seeds', () => {
    const found = SEEDS.filter((seed) =>
      windowsOn(input(seed, true), 'instagram-main').some((r) =>
        String(r.evidence.window).startsWith('Tuesdays 09:00–12:00'),
      ),
    ).length;
    expect(found / SEEDS.length).toBeGreaterThanOrEqual(0.9);
  });

  it('says the prior was used, how strong it is and what the audience does in the window', () => {
    const [window] = windowsOn(input(1, true), 'instagram-main');
    expect(window?.evidence).toMatchObject({
      postsOnChannelInWindow: 0,
      channelPosts: 4,
      activeHoursPrior: {
        postsEquivalent: ACTIVE_HOURS.priorPosts,
        onlineShare: expect.closeTo(12 / 177, 3),
        onlineRatio: expect.closeTo(3.8, 1),
        asOf: day(START, 29),
      },
    });
    expect(window?.summary).toMatch(/active hours were used as a prior worth 5 posts/);
  });

  it('recommends no window on that channel without active hours (the posts carry no effect)', () => {
    const any = SEEDS.filter((seed) => windowsOn(input(seed, false), 'instagram-main').length > 0).length;
    expect(any / SEEDS.length).toBeLessThanOrEqual(0.1);
  });

  it('leaves every recommendation as it was for a channel without active hours', () => {
    for (const seed of SEEDS.slice(0, 5)) {
      const without = recommend(input(seed, false), []);
      const withEmpty = recommend({ ...input(seed, false), activeHours: new Map() }, []);
      const otherChannels = (i: EvaluationInput) =>
        recommend(i, []).recommendations.filter(
          (r) => r.channel !== 'instagram-main' && r.kind !== 'postingWindow',
        );
      expect(withEmpty).toEqual(without);
      expect(otherChannels(input(seed, true))).toEqual(otherChannels(input(seed, false)));
    }
  });
});

describe('activeWindows', () => {
  it('sums the hours into the local windows of the channel’s zone and centres the log ratios', () => {
    const windows = activeWindows(SHARES, 'UTC', new Date('2027-03-31T00:00:00Z'));
    expect(windows.size).toBe(56);
    const tuesdayMorning = 8 + 3; // Tuesday is the second day; 09:00–12:00 is its fourth block
    expect(windows.get(tuesdayMorning)?.ratio).toBeCloseTo((12 / 177) * 56, 6);
    expect(mostActive(windows)[0]).toBe(tuesdayMorning);
    const effects = [...windows.values()].map((w) => w.effect);
    expect(effects.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 9);
  });

  it('moves the windows with the zone: 09:00–12:00 UTC is 10:00–13:00 in Berlin in winter', () => {
    const berlin = activeWindows(SHARES, 'Europe/Berlin', new Date('2027-01-13T00:00:00Z'));
    // Berlin's Tuesday 09:00–12:00 holds UTC 08:00–11:00: two of the three active hours.
    expect(berlin.get(11)?.share).toBeCloseTo(9 / 177, 6);
    expect(berlin.get(12)?.share).toBeCloseTo(6 / 177, 6);
  });
});
