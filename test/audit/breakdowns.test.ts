import { afterEach, describe, expect, it } from 'vitest';
import { AudienceModel } from '../../local/simulators/audience.ts';
import { startBlueskySimulator } from '../../local/simulators/bluesky.ts';
import { defaultAccountSecrets } from '../../local/simulators/fleet.ts';
import { seedConfiguredHistory } from '../../local/simulators/history-accounts.ts';
import { DEFAULT_LINKEDIN_ACCOUNT, startLinkedInSimulator } from '../../local/simulators/linkedin.ts';
import { DEFAULT_FACEBOOK_PAGE, startFacebookSimulator } from '../../local/simulators/meta/facebook.ts';
import { DEFAULT_INSTAGRAM_ACCOUNT, startInstagramSimulator } from '../../local/simulators/meta/instagram.ts';
import { DEFAULT_THREADS_ACCOUNT, startThreadsSimulator } from '../../local/simulators/meta/threads.ts';
import type { SimulatorHandle } from '../../local/simulators/sim-types.ts';
import { snapshotAudience } from '../../shared/audit/audience.ts';
import { audienceDigestSection } from '../../shared/audit/digest.ts';
import { loadAuditReport } from '../../shared/audit/load.ts';
import { accountReaders } from '../../shared/platforms/account-registry.ts';
import { onlineHours } from '../../shared/platforms/meta/graph-breakdowns.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { MemoryCredentialStore } from '../platforms/helpers.ts';
import { MemoryCredentials, TestClock } from '../simulators/support.ts';
import { makeChannel } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';

const clock = new TestClock();
const readerFor = accountReaders(adapterRegistry({ now: clock.clock }), { now: clock.clock });
const secrets = defaultAccountSecrets('local/');
/** One planted window: Tuesdays 14:00–17:00 UTC reach four times as many people. */
const planted = { day: 'TUE' as const, from: '14:00', to: '17:00', multiplier: 4 };
const history = { history: { weeks: 4, postsPerWeek: 5 } };

let sims: SimulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(sims.map((sim) => sim.stop()));
  sims = [];
});

async function started(
  start: (options: { clock: () => Date; audience: AudienceModel }) => Promise<SimulatorHandle>,
  platform: 'facebook' | 'instagram' | 'linkedin' | 'threads',
  model: AudienceModel,
): Promise<SimulatorHandle> {
  const sim = await start({ clock: clock.clock, audience: model });
  sims.push(sim);
  seedConfiguredHistory({ [platform]: sim }, model.config, clock.now);
  return sim;
}

const STARTERS = {
  instagram: { start: startInstagramSimulator, id: DEFAULT_INSTAGRAM_ACCOUNT.channel },
  threads: { start: startThreadsSimulator, id: DEFAULT_THREADS_ACCOUNT.channel },
  facebook: { start: startFacebookSimulator, id: DEFAULT_FACEBOOK_PAGE.channel },
  linkedin: { start: startLinkedInSimulator, id: DEFAULT_LINKEDIN_ACCOUNT.channel },
} as const;

/** The platform's simulator with the model's history, and its breakdowns read by the account reader. */
async function readBreakdowns(platform: keyof typeof STARTERS, model: AudienceModel) {
  const { start, id } = STARTERS[platform];
  const sim = await started(start, platform, model);
  const channel = makeChannel({ id, platform, apiBaseUrl: sim.url, secretRef: `local/${id}` });
  const reader = readerFor(platform);
  return {
    reader,
    reading: await reader.readBreakdowns(
      channel,
      new MemoryCredentials({ ...(secrets[`local/${id}`] ?? {}) }),
    ),
  };
}

/** A store holding the channels (UTC) on their simulators, and their secrets. */
async function channelsOn(channels: { id: string; platform: 'instagram' | 'bluesky'; url: string }[]) {
  const store = new MemoryStore();
  for (const { id, platform, url } of channels)
    await store.putChannel(
      makeChannel({ id, platform, apiBaseUrl: url, secretRef: `local/${id}`, timezone: 'UTC' }),
    );
  const credentials = new MemoryCredentialStore(
    Object.fromEntries(channels.map(({ id }) => [`local/${id}`, secrets[`local/${id}`] ?? {}])),
  );
  return { store, credentials };
}

describe('Audience breakdowns', () => {
  it('reads Instagram countries, ages, genders and active hours that agree with the planted window', async () => {
    clock.reset();
    const model = new AudienceModel({ hourOfWeek: [planted], channels: { 'instagram-main': history } });

    const { reader, reading } = await readBreakdowns('instagram', model);

    expect(reader.breakdowns.notOffered).toEqual([]);
    expect(reading.unavailable).toEqual([]);
    const { countries, ages, genders, activeHours } = reading.breakdowns;
    expect(Object.keys(countries ?? {})).toContain('US');
    expect(Object.values(countries ?? {}).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    expect(Object.keys(ages ?? {})).toContain('25-34');
    expect(Object.keys(genders ?? {}).sort()).toEqual(['F', 'M', 'U']);
    expect(activeHours).toHaveLength(168);
    // Tuesday is day 1; 14:00–17:00 UTC are hours 38–40 of the week, four times any other hour.
    const tuesdayAfternoon = activeHours?.[24 + 15] ?? 0;
    const tuesdayMorning = activeHours?.[24 + 9] ?? 0;
    expect(tuesdayAfternoon / tuesdayMorning).toBeCloseTo(4, 1);
    const top3 = [...(activeHours ?? [])]
      .map((share, hour) => ({ share, hour }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 3)
      .map((h) => h.hour)
      .sort();
    expect(top3).toEqual([38, 39, 40]);
  });

  it('reports Instagram breakdowns as unavailable below 100 followers, keeping the follower count', async () => {
    clock.reset();
    const model = new AudienceModel({ channels: { 'instagram-main': { followers: 20 } } });

    const { reading } = await readBreakdowns('instagram', model);

    expect(reading.breakdowns).toEqual({});
    expect(reading.unavailable.map((gap) => gap.kind)).toEqual([
      'countries',
      'ages',
      'genders',
      'activeHours',
    ]);
    expect(reading.unavailable[0]?.reason).toMatch(/100 followers/);
  });

  it('reads Threads demographics and says it has no active hours', async () => {
    clock.reset();
    const model = new AudienceModel({ channels: { 'threads-main': history } });

    const { reader, reading } = await readBreakdowns('threads', model);

    expect(Object.keys(reading.breakdowns).sort()).toEqual(['ages', 'countries', 'genders']);
    expect(reader.breakdowns.notOffered).toEqual([
      { kind: 'activeHours', reason: expect.stringMatching(/no metric of when followers are online/) },
    ]);
  });

  it('reads Facebook Page countries only, and LinkedIn countries, seniorities and industries', async () => {
    clock.reset();
    const model = new AudienceModel({ channels: { 'facebook-page': history, 'linkedin-page': history } });
    const { reading: facebook } = await readBreakdowns('facebook', model);
    const { reading: linkedin } = await readBreakdowns('linkedin', model);

    expect(Object.keys(facebook.breakdowns)).toEqual(['countries']);
    expect(facebook.breakdowns.countries?.US).toBeGreaterThan(0.2);
    expect(readerFor('facebook').breakdowns.notOffered.map((gap) => gap.kind)).toEqual([
      'ages',
      'genders',
      'activeHours',
    ]);
    expect(Object.keys(linkedin.breakdowns).sort()).toEqual(['countries', 'industries', 'seniorities']);
    expect(Object.keys(linkedin.breakdowns.countries ?? {})).toContain('urn:li:geo:103644278');
    expect(readerFor('linkedin').breakdowns.notOffered.map((gap) => gap.kind)).toEqual([
      'ages',
      'genders',
      'activeHours',
    ]);
  });

  it('stores one breakdown snapshot a channel and day, saying what a platform does not offer', async () => {
    clock.reset();
    const model = new AudienceModel({ channels: { 'instagram-main': history } });
    const ig = await started(startInstagramSimulator, 'instagram', model);
    const bsky = await startBlueskySimulator({ clock: clock.clock, audience: model });
    sims.push(bsky);
    const { store, credentials } = await channelsOn([
      { id: 'instagram-main', platform: 'instagram', url: ig.url },
      { id: 'bsky-main', platform: 'bluesky', url: bsky.url },
    ]);
    const deps = { store, audits: store.audits, readerFor, credentials, now: clock.clock };

    const first = await snapshotAudience(deps);
    const again = await snapshotAudience(deps);

    expect(first.failed).toEqual([]);
    expect(first.breakdowns.sort()).toEqual(['bsky-main', 'instagram-main']);
    expect(again.breakdowns).toEqual([]);
    const today = clock.now.toISOString().slice(0, 10);
    const instagram = await store.audits.latestAudienceBreakdown('instagram-main', today);
    expect(instagram?.breakdowns.activeHours).toHaveLength(168);
    const bluesky = await store.audits.latestAudienceBreakdown('bsky-main', today);
    expect(bluesky?.breakdowns).toEqual({});
    expect(bluesky?.notOffered.map((gap) => gap.kind)).toEqual([
      'countries',
      'ages',
      'genders',
      'activeHours',
    ]);
    expect(bluesky?.notOffered[0]?.reason).toMatch(/Bluesky offers no audience breakdowns/);
  });

  it('shows the breakdowns in the audit report and the audience digest section, naming what is not offered', async () => {
    clock.reset();
    const model = new AudienceModel({
      hourOfWeek: [{ day: 'TUE', from: '09:00', to: '12:00', multiplier: 4 }],
      channels: { 'instagram-main': history },
    });
    const ig = await started(startInstagramSimulator, 'instagram', model);
    const { store, credentials } = await channelsOn([
      { id: 'instagram-main', platform: 'instagram', url: ig.url },
    ]);
    await snapshotAudience({ store, audits: store.audits, readerFor, credentials, now: clock.clock });

    const report = await loadAuditReport(
      { store, audits: store.audits, readerFor, now: clock.clock },
      'instagram-main',
    );
    const [section] = await audienceDigestSection({ store, audits: store.audits })({
      from: new Date(clock.now.getTime() - 86_400_000).toISOString(),
      to: new Date(clock.now.getTime() + 1000).toISOString(),
      timezone: 'UTC',
      workspace: { id: 'team', routes: [], digest: { slack: [], email: [] } } as never,
    });

    expect(report.audienceBreakdowns?.countries?.[0]?.key).toBe('US');
    expect(report.audienceBreakdowns?.activeWindows?.[0]).toMatchObject({
      day: 'TUE',
      from: '09:00',
      to: '12:00',
    });
    expect(report.audienceBreakdowns?.notOffered).toEqual([]);
    const line = section?.items.find((item) => item.text.startsWith('instagram-main audience'));
    expect(line?.text).toMatch(/top countries US \d+ %/);
    expect(line?.text).toMatch(/most online Tuesdays 09:00–12:00 \(UTC\)/);
  });
});

describe('onlineHours', () => {
  it('places each day’s hours from its end_time, across a DST change, as UTC hour-of-week shares', () => {
    // A Pacific day: 08:00 UTC start in winter, 07:00 UTC in summer.
    const hours = onlineHours([
      { value: { '0': 10, '1': 30 }, end_time: '2027-01-05T08:00:00+0000' },
      { value: { '0': 60 }, end_time: '2027-07-06T07:00:00+0000' },
    ]);
    // Mon 2027-01-04 08:00 UTC is hour 8; Mon 2027-07-05 07:00 UTC is hour 7.
    expect(hours[8]).toBeCloseTo(0.1, 6);
    expect(hours[9]).toBeCloseTo(0.3, 6);
    expect(hours[7]).toBeCloseTo(0.6, 6);
    expect(hours.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});
