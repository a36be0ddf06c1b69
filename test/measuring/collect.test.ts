import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectChannel, metricsLedgerKey, planCollection } from '../../shared/measuring/collect.ts';
import { DUE_KINDS } from '../../shared/store/keys.ts';
import { CollectorDriver, DAY, HOUR, MINUTE } from './support/collector-driver.ts';
import { FakeMetricsAdapter } from './support/fake-metrics-adapter.ts';

const T0 = '2026-12-01T09:00:00.000Z';
const t0 = Date.parse(T0);

/** A driver with one X channel whose posts' numbers grow every minute (never stand still). */
async function setup(options: { batchSize?: number; constant?: boolean } = {}) {
  const driver = new CollectorDriver(T0);
  const adapter = new FakeMetricsAdapter(
    'x',
    driver.clock.now,
    options.constant ? () => ({ impressions: 500, reach: 400, likes: 12, engagements: 20 }) : undefined,
    options.batchSize ?? 100,
  );
  driver.adapters.set('x', adapter);
  await driver.addChannel('x-main', 'x');
  return { driver, adapter };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the Collector (domain steps)', () => {
  it('reads a post at every checkpoint of its life, on time, and then leaves the due index', async () => {
    const { driver } = await setup();
    await driver.publish('p1', 'x-main', T0);

    await driver.runUntil(t0 + 31 * DAY);

    const snapshots = await driver.snapshots('p1');
    expect(snapshots.map((s) => s.checkpoint)).toEqual([
      '1h',
      '2h',
      '3h',
      '4h',
      '5h',
      '6h',
      '24h',
      '72h',
      '7d',
      '30d',
    ]);
    for (const snapshot of snapshots) {
      const late = Date.parse(snapshot.collectedAt) - Date.parse(snapshot.dueAt);
      expect(late, snapshot.checkpoint).toBeGreaterThanOrEqual(0);
      expect(late, snapshot.checkpoint).toBeLessThan(5 * MINUTE);
    }
    expect(await driver.post('p1')).toMatchObject({ metricsStatus: 'complete' });
    expect((await driver.post('p1')).nextMetricsAt).toBeUndefined();
    expect(
      (await driver.store.dueWork(DUE_KINDS.metrics, '9999-01-01T00:00:00.000Z', { limit: 10 })).items,
    ).toEqual([]);
  });

  it('announces each snapshot with the deltas since the previous one', async () => {
    const { driver } = await setup();
    await driver.publish('p1', 'x-main', T0, { campaign: 'spring' });

    await driver.runUntil(t0 + 2 * HOUR + 5 * MINUTE);

    const [first, second] = driver.events.of('Post Metrics Collected', 'p1');
    const [one, two] = await driver.snapshots('p1');
    expect(first?.detail).toMatchObject({
      eventId: 'p1:metrics:1h',
      checkpoint: '1h',
      campaign: 'spring',
      platform: 'x',
      metrics: one?.metrics,
      deltas: one?.metrics,
    });
    const deltas = Object.fromEntries(
      Object.entries(two?.metrics ?? {}).map(([k, v]) => [k, v - (one?.metrics[k as 'likes'] ?? 0)]),
    );
    expect(second?.detail).toMatchObject({ eventId: 'p1:metrics:2h', checkpoint: '2h', deltas });
  });

  it('reads a post whose numbers stand still less often, but never skips a milestone checkpoint', async () => {
    const { driver } = await setup({ constant: true });
    await driver.publish('p1', 'x-main', T0);

    await driver.runUntil(t0 + 31 * DAY);

    expect((await driver.snapshots('p1')).map((s) => s.checkpoint)).toEqual([
      '1h',
      '2h',
      '4h',
      '6h',
      '24h',
      '72h',
      '7d',
      '30d',
    ]);
  });

  it('reads posts of one channel in the adapter batch size: 250 posts, 3 requests per checkpoint', async () => {
    const { driver, adapter } = await setup({ batchSize: 100 });
    for (let i = 0; i < 250; i++) {
      await driver.publish(`p${i}`, 'x-main', new Date(t0 + (i % 60) * 1000).toISOString());
    }

    await driver.runUntil(t0 + HOUR + 5 * MINUTE);

    expect(adapter.requests.map((r) => r.postIds.length)).toEqual([100, 100, 50]);
    for (let i = 0; i < 250; i++) expect(await driver.snapshots(`p${i}`)).toHaveLength(1);
  });

  it('takes along posts whose checkpoint is a few minutes off when their channel is read anyway', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('early', 'x-main', T0);
    await driver.publish('late', 'x-main', new Date(t0 + 2 * MINUTE).toISOString());

    await driver.runUntil(t0 + HOUR + 5 * MINUTE);

    expect(adapter.requests).toEqual([{ postIds: ['early', 'late'], at: '2026-12-01T10:00:00.000Z' }]);
    const [late] = await driver.snapshots('late');
    expect(late).toMatchObject({
      checkpoint: '1h',
      dueAt: '2026-12-01T10:02:00.000Z',
      collectedAt: '2026-12-01T10:00:00.000Z',
    });
  });

  it('writes no second snapshot when a step is retried after a failure, and still moves the post on', async () => {
    const { driver } = await setup();
    await driver.publish('p1', 'x-main', T0);
    await driver.runUntil(t0 + 10 * MINUTE); // plans the first checkpoint
    driver.clock.ms = t0 + HOUR + MINUTE;
    const plan = await planCollection(driver.deps);
    let fail = true;
    driver.store.beforeWrite = (what) => {
      if (what === 'replacePost' && fail) {
        fail = false;
        throw new Error('ProvisionedThroughputExceededException');
      }
    };

    const work = plan.channels[0]!;
    await expect(collectChannel(work, driver.deps)).rejects.toThrow('ProvisionedThroughputExceededException');
    driver.clock.ms += 2_000; // Step Functions retries the step a moment later
    await collectChannel(work, driver.deps);

    const snapshots = await driver.snapshots('p1');
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.collectedAt).toBe(new Date(t0 + HOUR + MINUTE).toISOString());
    expect(await driver.post('p1')).toMatchObject({
      metricsCheckpoint: '2h',
      latestMetrics: { checkpoint: '1h' },
    });
    // At least once: announced by both attempts, with the same event id.
    expect(new Set(driver.events.of('Post Metrics Collected', 'p1').map((e) => e.detail.eventId))).toEqual(
      new Set(['p1:metrics:1h']),
    );
  });

  it("moves a rate-limited channel's checkpoints to the platform's reset, losing none", async () => {
    const { driver, adapter } = await setup();
    await driver.publish('p1', 'x-main', T0);
    await driver.publish('p2', 'x-main', T0);
    await driver.runUntil(t0 + HOUR - 5 * MINUTE);
    adapter.faults.push('rate-limit'); // Retry-After 600 s

    await driver.runUntil(t0 + HOUR);
    expect(adapter.requests).toHaveLength(1);
    const blocked = new Date(t0 + HOUR + 600_000).toISOString();
    expect(await driver.post('p1')).toMatchObject({ nextMetricsAt: blocked, metricsCheckpoint: '1h' });
    expect(await driver.store.getRateLedger(metricsLedgerKey('x-main'))).toMatchObject({
      blockedUntil: blocked,
    });
    // The Collector's 429 is its own: publishing on the channel is not held back by it.
    expect(await driver.store.getRateLedger('x-main')).toBeUndefined();

    await driver.runUntil(t0 + HOUR + 15 * MINUTE);
    expect(adapter.requests).toHaveLength(2);
    for (const id of ['p1', 'p2']) {
      const [snapshot] = await driver.snapshots(id);
      expect(snapshot).toMatchObject({ checkpoint: '1h', collectedAt: blocked });
      expect(snapshot?.covers).toBeUndefined();
    }
  });

  it("does not ask a platform for numbers while publishing's ledger says the account is blocked", async () => {
    const { driver, adapter } = await setup();
    await driver.publish('p1', 'x-main', T0);
    const until = new Date(t0 + HOUR + 20 * MINUTE).toISOString();
    await driver.store.putRateLedger({ channel: 'x-main', blockedUntil: until, updatedAt: T0 });

    await driver.runUntil(t0 + HOUR + 10 * MINUTE);
    expect(adapter.requests).toEqual([]);
    expect(await driver.post('p1')).toMatchObject({ nextMetricsAt: until, metricsCheckpoint: '1h' });

    await driver.runUntil(t0 + HOUR + 25 * MINUTE);
    expect((await driver.snapshots('p1')).map((s) => s.checkpoint)).toEqual(['1h']);
  });

  it('backs off after platform errors (5, 10, 20 minutes) and then reads the same checkpoint', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('p1', 'x-main', T0);
    adapter.faults.push('server-error', 'server-error', 'server-error');

    await driver.runUntil(t0 + HOUR + 40 * MINUTE);

    expect(adapter.requests.map((r) => r.at)).toEqual([
      '2026-12-01T10:00:00.000Z',
      '2026-12-01T10:05:00.000Z',
      '2026-12-01T10:15:00.000Z',
      '2026-12-01T10:35:00.000Z',
    ]);
    const [snapshot] = await driver.snapshots('p1');
    expect(snapshot).toMatchObject({ checkpoint: '1h', collectedAt: '2026-12-01T10:35:00.000Z' });
    const post = await driver.post('p1');
    expect(post.metricsFailures).toBeUndefined();
    expect(post.metricsError).toBeUndefined();
  });

  it('marks a post deleted on the platform and stops reading it', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('kept', 'x-main', T0);
    await driver.publish('gone', 'x-main', T0);
    await driver.runUntil(t0 + 2 * HOUR + 5 * MINUTE);
    adapter.deleted.add('gone');

    await driver.runUntil(t0 + 3 * DAY + HOUR);

    expect(await driver.post('gone')).toMatchObject({ metricsStatus: 'deleted' });
    expect((await driver.post('gone')).nextMetricsAt).toBeUndefined();
    expect((await driver.snapshots('gone')).map((s) => s.checkpoint)).toEqual(['1h', '2h']);
    const asked = adapter.requests.filter((r) => r.postIds.includes('gone'));
    expect(asked).toHaveLength(3); // 1h, 2h, and the 3h read that found it gone
    expect((await driver.snapshots('kept')).map((s) => s.checkpoint)).toContain('72h');
  });

  it('counts a reading taken after several checkpoints passed for the latest, naming the ones it covers', async () => {
    const { driver } = await setup();
    await driver.publish('p1', 'x-main', T0);
    await driver.runUntil(t0 + 10 * MINUTE);

    driver.clock.ms = t0 + 3 * HOUR + 10 * MINUTE; // the Collector was down for three hours
    await driver.sweep();

    expect(await driver.snapshots('p1')).toEqual([
      expect.objectContaining({ checkpoint: '3h', covers: ['1h', '2h'], dueAt: '2026-12-01T12:00:00.000Z' }),
    ]);
    expect(await driver.post('p1')).toMatchObject({ metricsCheckpoint: '4h' });
  });

  it('announces Channel Needs Attention (once a day) when the credentials are refused', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('p1', 'x-main', T0);
    adapter.faults.push('auth', 'auth');

    await driver.runUntil(t0 + HOUR + 10 * MINUTE);

    const attention = driver.events.events.filter((e) => e.type === 'Channel Needs Attention');
    expect(new Set(attention.map((e) => e.detail.eventId))).toEqual(
      new Set(['x-main:attention:metrics:2026-12-01']),
    );
    expect(await driver.post('p1')).toMatchObject({ metricsFailures: 2, metricsCheckpoint: '1h' });
  });

  it('backs off after an error the adapter did not classify, and logs it', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('p1', 'x-main', T0);
    adapter.faults.push('bug');
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    await driver.runUntil(t0 + HOUR);

    expect(log).toHaveBeenCalledWith(expect.stringContaining('metrics read failed unexpectedly'));
    expect(await driver.post('p1')).toMatchObject({
      metricsFailures: 1,
      nextMetricsAt: new Date(t0 + HOUR + 5 * MINUTE).toISOString(),
    });
  });

  it('plans nothing for a post published long before measuring saw it: its checkpoints are history', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('old', 'x-main', new Date(t0 - 60 * DAY).toISOString());

    await driver.runUntil(t0 + 10 * MINUTE);

    expect(adapter.requests).toEqual([]);
    expect(await driver.post('old')).toMatchObject({ metricsStatus: 'complete' });
  });

  it('skips a post that another run read meanwhile (stale due-index copy)', async () => {
    const { driver, adapter } = await setup();
    await driver.publish('p1', 'x-main', T0);
    await driver.runUntil(t0 + HOUR - 5 * MINUTE);
    driver.clock.ms = t0 + HOUR;
    const plan = await planCollection(driver.deps);
    await collectChannel(plan.channels[0]!, driver.deps);

    const again = await collectChannel(plan.channels[0]!, driver.deps);

    expect(again).toMatchObject({ skipped: 1, requests: 0 });
    expect(adapter.requests).toHaveLength(1);
  });
});
