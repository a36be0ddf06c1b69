import { afterEach, describe, expect, it } from 'vitest';
import { AudienceModel, type SimulatorConfigInput } from '../../local/simulators/audience.ts';
import { seedConfiguredHistory } from '../../local/simulators/history-accounts.ts';
import {
  DEFAULT_MASTODON_ACCOUNT,
  type MastodonSimulatorHandle,
  startMastodonSimulator,
} from '../../local/simulators/mastodon.ts';
import { loadAuditReport } from '../../shared/audit/load.ts';
import { accountReaders } from '../../shared/platforms/account-registry.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { MemoryCredentials, TestClock } from '../simulators/support.ts';
import { makeChannel } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { runAudit } from './support.ts';

const CHANNEL = DEFAULT_MASTODON_ACCOUNT.channel;
const clock = new TestClock();

/** Imports half a year of simulated history (14 posts a week) and reports on it. */
async function auditedReport(config: SimulatorConfigInput) {
  clock.reset();
  const model = new AudienceModel(config);
  const sim = await startMastodonSimulator({ clock: clock.clock, audience: model });
  running.push(sim);
  seedConfiguredHistory({ mastodon: sim }, model.config, clock.now);
  const store = new MemoryStore();
  store.channels.set(
    CHANNEL,
    makeChannel({
      id: CHANNEL,
      platform: 'mastodon',
      timezone: 'UTC',
      apiBaseUrl: sim.url,
      secretRef: `local/${CHANNEL}`,
    }),
  );
  const readerFor = accountReaders(adapterRegistry({ now: clock.clock }), { now: clock.clock });
  const deps = {
    store,
    audits: store.audits,
    readerFor,
    credentials: new MemoryCredentials({ accessToken: DEFAULT_MASTODON_ACCOUNT.accessToken }),
    now: clock.clock,
  };
  const since = new Date(clock.now.getTime() - 200 * 86_400_000).toISOString();
  await runAudit(deps, { channel: CHANNEL, since }, (s) => clock.advance(s * 1000));
  return loadAuditReport(deps, CHANNEL);
}

const running: MastodonSimulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.stop()));
});

const history = { history: { weeks: 26, postsPerWeek: 14 } };

describe('Audit report', () => {
  it('names a planted hour-of-week effect with its sample size', async () => {
    const report = await auditedReport({
      channels: { [CHANNEL]: history },
      hourOfWeek: [{ day: 'TUE', from: '09:00', to: '12:00', multiplier: 3 }],
    });

    expect(report.evidence).toMatchObject({ posts: 364, imported: 364, pulsecast: 0 });
    expect(report.hourOfWeek.best.map((cell) => `${cell.day} ${cell.from}`)).toEqual(['TUE 09:00']);
    const [best] = report.hourOfWeek.best;
    expect(best?.posts).toBeGreaterThanOrEqual(2);
    expect(best?.liftLow).toBeGreaterThan(1);
    expect(report.hourOfWeek.cellsJudged).toBeGreaterThan(20);
  });

  it('names no cell and no feature as standing out in a flat history', async () => {
    const report = await auditedReport({ channels: { [CHANNEL]: history }, hourOfWeek: [] });

    expect(report.hourOfWeek.cellsJudged).toBeGreaterThan(20);
    expect(report.hourOfWeek.best).toEqual([]);
    expect(report.hourOfWeek.worst).toEqual([]);
    expect(report.features.filter((f) => f.verdict !== 'unclear')).toEqual([]);
  });

  it('shows a planted tag effect among the content features, and reports cadence, spread and top posts', async () => {
    const report = await auditedReport({
      channels: { [CHANNEL]: history },
      hourOfWeek: [],
      tags: { tips: 2.5 },
    });

    const tips = report.features.find((f) => f.feature === '#tips');
    expect(tips?.verdict).toBe('better');
    expect(tips?.postsWith).toBeGreaterThan(3);
    expect(report.cadence.perWeek.length).toBeGreaterThanOrEqual(26);
    expect(report.cadence.meanPerWeek).toBeGreaterThan(10);
    expect(report.perPost.engagements?.posts).toBe(364);
    expect(report.perPost.engagementRate).toBeUndefined();
    expect(report.limitations.join(' ')).toMatch(/engagement rate/);
    expect(report.top).toHaveLength(3);
    expect(report.top[0]?.engagements).toBeGreaterThanOrEqual(report.bottom[0]?.engagements ?? 0);
    expect(report.top[0]?.origin).toBe('imported');
  });
});
