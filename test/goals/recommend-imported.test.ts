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

  it('are left out on a channel that has posts measured by Pulsecast', () => {
    const own = history('x-main', 'xp').slice(0, 2);
    const posts = [...own, ...history('x-main', 'xi', imported)];
    const result = recommend(input(makeCampaign({ goals: [] }), NOW, posts, [], channels(BERLIN)), []);
    const gap = result.missingData.find((g) => g.area === 'postingWindows' && g.channel === 'x-main');
    expect(gap?.have).toBe(2);
  });
});
