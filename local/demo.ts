import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import type { LocalMode } from './local-mode.ts';

/** The example calendar starts on Monday 2027-03-01: a fresh demo starts its clock just before. */
export const DEMO_CLOCK_START = '2027-03-01T06:00:00.000Z';

/**
 * `npm start -- --demo`: loads `examples/calendar.csv` (idempotent: a second start reports it
 * unchanged). Advance the clock to watch it publish: `pulsecast clock advance 7d`.
 */
export async function loadDemo(local: LocalMode, root: string): Promise<string> {
  const body = readFileSync(join(root, 'examples', 'calendar.csv'));
  try {
    const result = await uploadCalendar(
      { body, contentType: 'csv', dryRun: false },
      { store: local.store, now: () => local.clock.now() },
    );
    const { created, updated, unchanged } = result.summary;
    return `examples/calendar.csv: ${created} created, ${updated} updated, ${unchanged} unchanged — now POST /_local/clock/advance {"by":"P8D"}`;
  } catch (error) {
    return `examples/calendar.csv was not loaded: ${(error as Error).message}`;
  }
}
