import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import { CampaignInput } from '../shared/domain/index.ts';
import { saveCampaign } from '../shared/goals/campaigns.ts';
import type { LocalMode } from './local-mode.ts';

/** The example calendar starts on Monday 2027-03-01: a fresh demo starts its clock just before. */
export const DEMO_CLOCK_START = '2027-03-01T06:00:00.000Z';

/**
 * `npm start -- --demo`: loads the campaign in `examples/campaign.json` and the calendar in
 * `examples/calendar.csv` (idempotent: a second start reports them unchanged). Advance the clock to watch it publish: `pulsecast clock advance 7d`.
 */
export async function loadDemo(local: LocalMode, root: string): Promise<string> {
  const deps = { store: local.store, now: () => local.clock.now() };
  let campaign: string;
  try {
    const input = CampaignInput.parse(
      JSON.parse(readFileSync(join(root, 'examples', 'campaign.json'), 'utf8')),
    );
    const { outcome } = await saveCampaign(input, deps);
    campaign = `examples/campaign.json: campaign '${input.id}' ${outcome} with ${input.goals.length} goals`;
  } catch (error) {
    campaign = `examples/campaign.json was not loaded: ${(error as Error).message}`;
  }
  const body = readFileSync(join(root, 'examples', 'calendar.csv'));
  try {
    const result = await uploadCalendar({ body, contentType: 'csv', dryRun: false }, deps);
    const { created, updated, unchanged } = result.summary;
    return `${campaign}; examples/calendar.csv: ${created} created, ${updated} updated, ${unchanged} unchanged — now POST /_local/clock/advance {"by":"P8D"}`;
  } catch (error) {
    return `${campaign}; examples/calendar.csv was not loaded: ${(error as Error).message}`;
  }
}
