import { describe, expect, inject, it } from 'vitest';
import { runBench, SMOKE, table } from '../../bench/run.ts';

/** `npm run bench` at tiny sizes, so the benchmark cannot rot; no figure is judged here. */
describe('benchmark smoke run', () => {
  it('measures every figure at a tiny size and prints them as a table', async () => {
    // Its local modes read the app synthesized for this test run (global-synth.ts).
    process.env.PULSECAST_SYNTH_CACHE ??= inject('localSynthCache');
    const results = await runBench(SMOKE, { concurrent: true });

    for (const figure of [
      'bundle_kb_max',
      'init_ms_max',
      'local_startup_s',
      `local_${SMOKE.demoDays}d_demo_s`,
      `local_${SMOKE.generatedDays}d_${SMOKE.generatedPosts}posts_s`,
      'upload_rows_per_s',
      'cost_usd_per_1000_posts',
      'cost_usd_per_1000_posts_naive',
      'cost_usd_fixed_month',
      'cost_usd_fixed_month_full',
      `dispatch_${SMOKE.dispatchPosts}_posts_s`,
      'publish_lateness_p50_ms',
      'publish_lateness_p99_ms',
      'collect_posts_per_s',
    ]) {
      expect(results.figures[figure], figure).toBeTypeOf('number');
    }
    // Every lateness post was published (one that was not would make the p99 NaN), and the
    // default level's fixed cost leaves out the dashboard and most alarms that full has.
    expect(Number.isFinite(results.figures.publish_lateness_p99_ms)).toBe(true);
    expect(results.figures.cost_usd_fixed_month).toBeLessThan(results.figures.cost_usd_fixed_month_full ?? 0);
    expect(
      Object.keys(results.figures).filter((name) => name.startsWith('bundle_kb.')).length,
    ).toBeGreaterThan(10);
    expect(table(results)).toContain('| `upload_rows_per_s` |');
  }, 300_000);
});
