import { describe, expect, it } from 'vitest';
import { runBench, SMOKE, table } from '../../bench/run.ts';

/** `npm run bench` at tiny sizes, so the benchmark cannot rot; no figure is judged here. */
describe('benchmark smoke run', () => {
  it('measures every figure at a tiny size and prints them as a table', async () => {
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
    ]) {
      expect(results.figures[figure], figure).toBeTypeOf('number');
    }
    expect(
      Object.keys(results.figures).filter((name) => name.startsWith('bundle_kb.')).length,
    ).toBeGreaterThan(10);
    expect(table(results)).toContain('| `upload_rows_per_s` |');
  }, 300_000);
});
