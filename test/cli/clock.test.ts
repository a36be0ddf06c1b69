import { describe, expect, it } from 'vitest';
import { releasedAfterEach } from '../support/per-test.ts';
import { startFakeApi } from './fake-api.ts';

describe('pulsecast clock', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  it('advances local mode by a short duration sent as ISO-8601, and prints what ran', async () => {
    const api = await startApi(() => ({
      body: {
        from: '2027-03-01T06:00:00.000Z',
        to: '2027-03-08T06:00:00.000Z',
        executions: { started: 12100, succeeded: 12100, failed: 0 },
        schedulesFired: 12300,
        eventsDelivered: 60,
      },
    }));
    const result = await api.run(['clock', 'advance', '7d']);
    expect(result.code).toBe(0);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/_local/clock/advance' });
    expect(JSON.parse(api.requests[0]!.body.toString())).toEqual({ by: 'P7D', async: true });
    expect(result.stdout).toContain('2027-03-01T06:00:00.000Z → 2027-03-08T06:00:00.000Z');
    expect(result.stdout).toContain('12100 execution(s) (12100 succeeded, 0 failed)');
  });

  it('follows a long advance the server runs as a job, polling it until it is done', async () => {
    const summary = {
      from: '2027-03-01T06:00:00.000Z',
      to: '2027-03-31T06:00:00.000Z',
      executions: { started: 900, succeeded: 900, failed: 0 },
      schedulesFired: 90_000,
      idleSweepsSkipped: 85_000,
      eventsDelivered: 300,
    };
    const progress = (reached: string, executions: number) => ({
      from: summary.from,
      target: summary.to,
      reached,
      executions,
    });
    let polls = 0;
    const api = await startApi((request) => {
      if (request.method === 'POST')
        return { status: 202, body: { id: 'job-1', status: 'running', progress: progress(summary.from, 0) } };
      polls++;
      return polls < 2
        ? { body: { id: 'job-1', status: 'running', progress: progress('2027-03-15T06:00:00.000Z', 400) } }
        : {
            body: { id: 'job-1', status: 'succeeded', progress: progress(summary.to, 900), result: summary },
          };
    });

    const result = await api.run(['clock', 'advance', '30d']);

    expect(result.code).toBe(0);
    expect(
      api.requests.slice(1).map((request) => `${request.method} ${request.path}?${request.rawQuery}`),
    ).toEqual(['GET /_local/clock/advance?job=job-1', 'GET /_local/clock/advance?job=job-1']);
    expect(result.stdout).toContain('2027-03-01T06:00:00.000Z → 2027-03-31T06:00:00.000Z');
    expect(result.stdout).toContain(
      '900 execution(s) (900 succeeded, 0 failed), 85000 idle sweep(s) skipped',
    );
  });

  it('reports an advance job that failed on the server', async () => {
    const api = await startApi((request) =>
      request.method === 'POST'
        ? {
            status: 202,
            body: {
              id: 'job-2',
              status: 'failed',
              error: 'dynalite stopped',
              progress: { from: 'a', target: 'b', reached: 'a', executions: 0 },
            },
          }
        : { status: 500 },
    );
    const result = await api.run(['clock', 'advance', '1d']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the clock advance failed on the server: dynalite stopped');
  });

  it('shows the clock, and refuses a duration it cannot read', async () => {
    const api = await startApi(() => ({ body: { now: '2027-03-01T06:00:00.000Z' } }));
    expect((await api.run(['clock'])).stdout.trim()).toBe('2027-03-01T06:00:00.000Z');
    const bad = await api.run(['clock', 'advance', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'soon' is not a duration");
  });

  it('refuses a negative duration with a usage error, never help and exit 0', async () => {
    const api = await startApi(() => ({ body: {} }));
    for (const argv of [
      ['clock', 'advance', '-1h'],
      ['clock', 'advance', '--json', '-1h'],
    ]) {
      const result = await api.run([...argv]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('"-1h" is negative');
    }
    expect(api.requests).toHaveLength(0);
  });
});
