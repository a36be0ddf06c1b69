import { describe, expect, it } from 'vitest';
import { comparable, type GeneratedRun, playGeneratedApart } from '../../bench/generated-run.ts';

/**
 * Skipping the idle Dispatcher and Collector firings changes no outcome: the same generated
 * calendar, played once with every firing and once with the idle ones left out, leaves the same
 * posts (statuses, platform ids, attempts), metric snapshots, due entries, notification marks and
 * events. The test plays a day (a run with every firing costs a state-machine execution per
 * minute); `npm run bench` plays the generated month the same way.
 */
describe('local time travel that skips idle sweeps', () => {
  const days = 1;
  const posts = 24;

  it('leaves the table and the events exactly as a run that fires every sweep', async () => {
    const [skipping, everyFiring] = (await Promise.all(
      [true, false].map((skipIdleSweeps) =>
        playGeneratedApart({ root: process.cwd(), posts, days, skipIdleSweeps }),
      ),
    )) as [GeneratedRun, GeneratedRun];

    // Something happened, and the skipping run really skipped.
    expect(everyFiring.items.filter((item) => item.status === 'PUBLISHED').length).toBe(posts);
    expect(everyFiring.items.some((item) => String(item.sk).startsWith('SNAPSHOT'))).toBe(true);
    expect(everyFiring.result.idleSweepsSkipped).toBe(0);
    expect(skipping.result.idleSweepsSkipped).toBeGreaterThan(days * 24 * 60);
    expect(skipping.result.executions.failed).toBe(0);

    expect(comparable(skipping)).toEqual(comparable(everyFiring));
  }, 300_000);
});
