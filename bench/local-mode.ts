/**
 * Local mode's speed: start-up, and a week of the example calendar played on the virtual
 * clock (every Dispatcher minute, every schedule, the simulators), in wall time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CALENDAR_START } from '../local/demo.ts';
import { startLocalMode } from '../local/local-mode.ts';
import { uploadCalendar } from '../shared/calendar/upload.ts';

const root = process.cwd();
const dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-bench-'));
const days = Number(process.env.BENCH_DAYS ?? 8);

let started = performance.now();
const local = await startLocalMode({
  root,
  port: 0,
  dataDir,
  clockMode: 'manual',
  start: Date.parse(DEMO_CALENDAR_START),
});
console.log(
  `local mode start-up                           ${(performance.now() - started).toFixed(0).padStart(7)} ms`,
);

await uploadCalendar(
  { body: readFileSync(join(root, 'examples', 'calendar.csv')), contentType: 'csv', dryRun: false },
  { store: local.store, now: () => local.clock.now() },
);
started = performance.now();
const result = await local.advance(days * 24 * 3600_000);
const ms = performance.now() - started;
console.log(`advance ${days} days (example calendar)             ${ms.toFixed(0).padStart(7)} ms`);
console.log(
  `  ${result.executions.started} executions (${result.executions.failed} failed), ${result.schedulesFired} schedule firings, ${result.eventsDelivered} event deliveries`,
);
console.log(
  `  ${(ms / Math.max(1, result.executions.started)).toFixed(2)} ms per execution, ${(ms / days / 1000).toFixed(2)} s per simulated day`,
);
await local.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
