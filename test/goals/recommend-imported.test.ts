import { describe, expect, it } from 'vitest';
import type { PostPerformance } from '../../shared/goals/model.ts';
import { recommend } from '../../shared/goals/recommend.ts';
import { channels, input, LINKEDIN, makeCampaign, published, X_MAIN } from './helpers.ts';

const NOW = '2026-04-30T12:00:00.000Z';
const BERLIN = { ...X_MAIN, timezone: 'Europe/Berlin' };
const LINKEDIN_BERLIN = { ...LINKEDIN, timezone: 'Europe/Berlin' };

/** Three strong Tuesday-morning posts and five ordinary ones on a channel. */
function history(channel: string, prefix: string, overrides = {}): PostPerformance[] {
  const tuesdays = ['2026-04-07', '2026-04-14', '2026-04-21'].map((date, i) =>
    published(
      `${prefix}t${i}`,
      `${date}T07:15:00.000Z`,
      { engagements: [38, 42, 40][i] as number },
      { channel, campaign: undefined, ...overrides },
    ),
  );
  const others = ['2026-04-02', '2026-04-03', '2026-04-09', '2026-04-16', '2026-04-24'].map((date, i) =>
    published(
      `${prefix}o${i}`,
      `${date}T${String(10 + 3 * i).padStart(2, '0')}:30:00.000Z`,
      { engagements: [9, 11, 10, 12, 8][i] as number },
      { channel, campaign: undefined, ...overrides },
    ),
  );
  return [...tuesdays, ...others];
}

const imported = { status: 'IMPORTED' as const, origin: 'imported' as const };

describe('recommend: imported posts', () => {
  it('give a channel with nothing measured by Pulsecast its posting windows from the audit alone', () => {
    const posts = [...history('x-main', 'xi', imported), ...history('linkedin-page', 'li', imported)];
    const result = recommend(
      input(makeCampaign({ goals: [] }), NOW, posts, [], channels(BERLIN, LINKEDIN_BERLIN)),
      [],
    );
    const windows = result.recommendations.filter((r) => r.kind === 'postingWindow');
    expect(windows.map((w) => w.channel).sort()).toEqual(['linkedin-page', 'x-main']);
  });

  it('are left out of posting windows on a channel that has posts measured by Pulsecast', () => {
    const own = history('x-main', 'xp').slice(0, 2);
    const posts = [...own, ...history('x-main', 'xi', imported)];
    const result = recommend(input(makeCampaign({ goals: [] }), NOW, posts, [], channels(BERLIN)), []);
    const gap = result.missingData.find((g) => g.area === 'postingWindows' && g.channel === 'x-main');
    expect(gap?.have).toBe(2);
  });

  it('mark a recommendation drawn from them as resting on imported posts', () => {
    const posts = history('x-main', 'xi', imported);
    const result = recommend(input(makeCampaign({ goals: [] }), NOW, posts, [], channels(BERLIN)), []);
    const window = result.recommendations.find((r) => r.kind === 'postingWindow' && r.channel === 'x-main');
    expect(window?.evidence.sources).toEqual({ measured: 0, imported: 8 });
    expect(window?.summary).toMatch(
      /Evidence: 0 measured and 8 imported posts .*no post measured by Pulsecast yet/,
    );
  });

  it('on another footing (a tenth of the engagements) do not pull the measured posts’ window effect down', () => {
    // Measured posts: strong Tuesday mornings; imported ones the same shape at a tenth of the level.
    const own = history('x-main', 'xp');
    const tenth = history('x-main', 'xi', imported).map((p) => ({
      ...p,
      metrics: { engagements: Math.round(((p.metrics?.engagements as number) ?? 0) / 10) + 1 },
    }));
    const mixed = recommend(
      input(makeCampaign({ goals: [] }), NOW, [...own, ...tenth], [], channels(BERLIN)),
      [],
    );
    const alone = recommend(input(makeCampaign({ goals: [] }), NOW, own, [], channels(BERLIN)), []);
    const lift = (r: typeof mixed) =>
      r.recommendations.find((w) => w.kind === 'postingWindow' && w.channel === 'x-main')?.evidence
        .lift as number;
    expect(lift(alone)).toBeGreaterThan(1);
    expect(lift(mixed)).toBeGreaterThanOrEqual(lift(alone) * 0.9);
  });

  it('mark recommendations with no imported post as resting on measured posts only', () => {
    const result = recommend(
      input(makeCampaign({ goals: [] }), NOW, history('x-main', 'xp'), [], channels(BERLIN)),
      [],
    );
    const window = result.recommendations.find((r) => r.kind === 'postingWindow');
    expect(window?.evidence.sources).toEqual({ measured: 8, imported: 0 });
    expect(window?.summary).not.toMatch(/imported/);
  });
});
