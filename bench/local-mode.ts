/**
 * Local mode's speed: start-up, and the example calendar played on the virtual clock (every
 * schedule, the Dispatcher and Collector wherever they have work, the simulators), in wall time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CALENDAR_START, DEMO_CLOCK_START, DEMO_HISTORY, loadDemo } from '../local/demo.ts';
import { type AdvanceResult, startLocalMode } from '../local/local-mode.ts';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import { runApart, serveApart } from './apart.ts';

export interface DemoBench {
  startupMs: number;
  advanceMs: number;
  result: AdvanceResult;
}

/**
 * Starts local mode at the demo calendar's start, uploads it and advances `days` days. With
 * `whole`, the demo as `npm start -- --demo` plays it instead: conversing simulators
 * (`examples/simulator.json`), four weeks of account history imported and played, listening on
 * every platform that can search; `startupMs` then includes loading all that.
 */
export async function benchDemo(input: { root: string; days: number; whole?: boolean }): Promise<DemoBench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-bench-'));
  if (input.whole) process.env.PULSECAST_SIMULATOR_CONFIG = join(input.root, 'examples', 'simulator.json');
  let started = performance.now();
  const local = await startLocalMode({
    root: input.root,
    port: 0,
    dataDir,
    clockMode: 'manual',
    ...(input.whole
      ? { start: Date.parse(DEMO_CLOCK_START), simulatorHistory: DEMO_HISTORY }
      : { start: Date.parse(DEMO_CALENDAR_START) }),
  });
  try {
    if (input.whole) await loadDemo(local, input.root);
    else
      await uploadCalendar(
        {
          body: readFileSync(join(input.root, 'examples', 'calendar.csv')),
          contentType: 'csv',
          dryRun: false,
        },
        { store: local.store, now: () => local.clock.now() },
      );
    const startupMs = performance.now() - started;
    started = performance.now();
    const result = await local.advance(input.days * 24 * 3600_000);
    return { startupMs, advanceMs: performance.now() - started, result };
  } finally {
    await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const benchDemoApart = (input: { root: string; days: number; whole?: boolean }): Promise<DemoBench> =>
  runApart<DemoBench>(import.meta.url, input, input.root);

await serveApart(import.meta.url, benchDemo);
