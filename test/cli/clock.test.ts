import { afterEach, describe, expect, it } from 'vitest';
import { type FakeApi, runPulsecast, startFakeApi } from './fake-api.ts';

describe('pulsecast clock', () => {
  let api: FakeApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('advances local mode by a short duration sent as ISO-8601, and prints what ran', async () => {
    api = await startFakeApi(() => ({
      body: {
        from: '2027-03-01T06:00:00.000Z',
        to: '2027-03-08T06:00:00.000Z',
        executions: { started: 12100, succeeded: 12100, failed: 0 },
        schedulesFired: 12300,
        eventsDelivered: 60,
      },
    }));
    const result = await runPulsecast(['clock', 'advance', '7d', '--api', api.url]);
    expect(result.code).toBe(0);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/_local/clock/advance' });
    expect(JSON.parse(api.requests[0]!.body.toString())).toEqual({ by: 'P7D' });
    expect(result.stdout).toContain('2027-03-01T06:00:00.000Z → 2027-03-08T06:00:00.000Z');
    expect(result.stdout).toContain('12100 execution(s) (12100 succeeded, 0 failed)');
  });

  it('shows the clock, and refuses a duration it cannot read', async () => {
    api = await startFakeApi(() => ({ body: { now: '2027-03-01T06:00:00.000Z' } }));
    expect((await runPulsecast(['clock', '--api', api.url])).stdout.trim()).toBe('2027-03-01T06:00:00.000Z');
    const bad = await runPulsecast(['clock', 'advance', 'soon', '--api', api.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'soon' is not a duration");
  });

  it('refuses a negative duration with a usage error, never help and exit 0', async () => {
    api = await startFakeApi(() => ({ body: {} }));
    for (const argv of [
      ['clock', 'advance', '-1h'],
      ['clock', 'advance', '--json', '-1h'],
    ]) {
      const result = await runPulsecast([...argv, '--api', api.url]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('"-1h" is negative');
    }
    expect(api.requests).toHaveLength(0);
  });
});
