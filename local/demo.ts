import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import { CampaignInput } from '../shared/domain/index.ts';
import { saveCampaign } from '../shared/goals/campaigns.ts';
import { saveListeningSettings } from '../shared/listening/service.ts';
import { ListeningSettings } from '../shared/listening/settings.ts';
import type { LocalMode } from './local-mode.ts';
import { HISTORY_CHANNELS } from './simulators/history-accounts.ts';

/**
 * A fresh demo's clock starts four weeks before the example calendar, on Monday 2027-02-01: the
 * demo plays `examples/history.csv` (the campaign's February warm-up) through the Dispatcher,
 * the simulators and the Collector before the user sees it.
 */
export const DEMO_CLOCK_START = '2027-02-01T06:00:00.000Z';
/**
 * Before Pulsecast: the simulated X, Bluesky and Mastodon accounts start with four weeks of
 * January posts (five a week), which the demo imports with the Auditor as it starts.
 */
export const DEMO_HISTORY = { weeks: 4, postsPerWeek: 5 };
/** The example calendar starts on Monday 2027-03-01: the demo hands over just before it. */
export const DEMO_CALENDAR_START = '2027-03-01T06:00:00.000Z';

type DemoDeps = { store: LocalMode['store']; now: () => Date };

/**
 * `npm start -- --demo`: loads the campaign in `examples/campaign.json`, uploads the four weeks of
 * history in `examples/history.csv` and plays them — the Dispatcher publishes each post on its
 * simulator at its time, the Collector measures it at its checkpoints — up to 2027-03-01, then
 * uploads the calendar in `examples/calendar.csv`. So the first report already has goal statuses
 * with reasons and recommendations with evidence. Nothing is written into the table by hand.
 * Idempotent: a second start finds everything unchanged and the history already played.
 * Advance the clock to watch March publish: `pulsecast clock advance 8d`.
 */
export async function loadDemo(local: LocalMode, root: string): Promise<string> {
  const deps: DemoDeps = { store: local.store, now: () => local.clock.now() };
  const parts = [await loadCampaign(root, deps)];
  parts.push(await upload(root, 'history.csv', deps));
  const handOver = Date.parse(DEMO_CALENDAR_START);
  if (local.clock.nowMs() < handOver) {
    // The accounts' own January, imported first: the Auditor runs while the warm-up plays.
    const audits = await startAudits(local);
    const started = Date.now();
    const played = await local.fastForward(handOver - local.clock.nowMs());
    parts.push(await auditOutcomes(local, audits));
    parts.push(
      `four weeks of history played to ${played.to.slice(0, 16)} in ${((Date.now() - started) / 1000).toFixed(1)} s (${played.executions.started} executions, ${played.executions.failed} failed)`,
    );
  }
  parts.push(await upload(root, 'calendar.csv', deps));
  parts.push(await loadListening(root, local, deps));
  return `${parts.join('; ')} — now POST /_local/clock/advance {"by":"P8D"}`;
}

/** Starts an audit of each channel whose simulator has a history (through the API, as a user would). */
async function startAudits(local: LocalMode): Promise<string[]> {
  const started: string[] = [];
  for (const channel of HISTORY_CHANNELS) {
    const response = await fetch(`${local.apiUrl}/v1/channels/${channel}/audit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ since: `${DEMO_HISTORY.weeks * 7 + 7}d` }),
    });
    if (response.status === 202) started.push(channel);
  }
  return started;
}

/** How the demo's audits ended, in one line. */
async function auditOutcomes(local: LocalMode, channels: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const channel of channels) {
    const audit = (await local.store.audits.latestAudit(channel)) as
      | { status: string; imported: number }
      | undefined;
    lines.push(
      `${channel} ${audit?.status === 'SUCCEEDED' ? `${audit.imported} imported` : (audit?.status ?? 'not started')}`,
    );
  }
  return `past posts audited: ${lines.join(', ') || 'none'}`;
}

async function loadCampaign(root: string, deps: DemoDeps): Promise<string> {
  try {
    const input = CampaignInput.parse(
      JSON.parse(readFileSync(join(root, 'examples', 'campaign.json'), 'utf8')),
    );
    const { outcome } = await saveCampaign(input, deps);
    return `examples/campaign.json: campaign '${input.id}' ${outcome} with ${input.goals.length} goals`;
  } catch (error) {
    return `examples/campaign.json was not loaded: ${(error as Error).message}`;
  }
}

/**
 * `examples/listening.json`, set at the hand-over: the Listener's first run then reads the week
 * before (the spike baseline), and March brings the planted spike (examples/simulator.json).
 */
async function loadListening(root: string, local: LocalMode, deps: DemoDeps): Promise<string> {
  try {
    const settings = ListeningSettings.parse(
      JSON.parse(readFileSync(join(root, 'examples', 'listening.json'), 'utf8')),
    );
    const stored = await local.listening.getListeningSettings();
    if (stored && JSON.stringify(stored.settings) === JSON.stringify(settings)) {
      return 'examples/listening.json: unchanged';
    }
    await saveListeningSettings(settings, { listening: local.listening, now: deps.now });
    return `examples/listening.json: listening for ${settings.brand.name} and ${settings.competitors.length} competitors on ${settings.platforms.join(', ')}`;
  } catch (error) {
    return `examples/listening.json was not loaded: ${(error as Error).message}`;
  }
}

async function upload(root: string, file: string, deps: DemoDeps): Promise<string> {
  try {
    const body = readFileSync(join(root, 'examples', file));
    const result = await uploadCalendar({ body, contentType: 'csv', dryRun: false }, deps);
    const { created, updated, unchanged } = result.summary;
    return `examples/${file}: ${created} created, ${updated} updated, ${unchanged} unchanged`;
  } catch (error) {
    return `examples/${file} was not loaded: ${(error as Error).message}`;
  }
}
