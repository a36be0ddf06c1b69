import { describe, expect, it } from 'vitest';
import { releasedAfterEach } from '../support/per-test.ts';
import { problem, startFakeApi } from './fake-api.ts';

const hold = (overrides: Record<string, unknown> = {}) => ({
  id: 'hold-20270301t0930-3f9a1c',
  scope: 'all',
  reason: 'false claim spreading',
  createdAt: '2027-03-01T09:30:00.000Z',
  createdBy: 'api',
  version: 1,
  ...overrides,
});

describe('pulsecast hold, release and holds', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  it('sends every repeated --channel and --campaign as the scope, with the reason', async () => {
    const api = await startApi(() => ({
      status: 201,
      body: hold({ scope: { channels: ['x-main', 'bsky-main'], campaigns: ['launch'] } }),
    }));

    const result = await api.run([
      'hold',
      '--channel',
      'x-main',
      '--channel',
      'bsky-main',
      '--campaign',
      'launch',
      '--reason',
      'launch paused',
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v1/holds' });
    expect(JSON.parse(api.requests[0]?.body.toString() ?? '')).toEqual({
      scope: { channels: ['x-main', 'bsky-main'], campaigns: ['launch'] },
      reason: 'launch paused',
    });
    expect(result.stdout).toContain(
      'hold-20270301t0930-3f9a1c: ACTIVE, scope channel x-main, channel bsky-main, campaign launch',
    );
    expect(result.stdout).toContain('pulsecast release hold-20270301t0930-3f9a1c');
  });

  it('holds everything with --all', async () => {
    const api = await startApi(() => ({ status: 201, body: hold() }));
    const result = await api.run(['hold', '--all', '--reason', 'crisis']);
    expect(result.code).toBe(0);
    expect(JSON.parse(api.requests[0]?.body.toString() ?? '')).toEqual({ scope: 'all', reason: 'crisis' });
  });

  it('says when the hold is in force but the team was not alerted, and how to alert them', async () => {
    const api = await startApi(() => ({
      status: 201,
      body: hold({ announced: false, eventDelivered: false }),
    }));
    const result = await api.run(['hold', '--all', '--reason', 'crisis']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ACTIVE');
    expect(result.stdout).toContain('the team was not alerted');
    expect(result.stdout).toContain('run the same command again');
  });

  it.each([
    [['hold', '--reason', 'x'], 'give either --all or at least one --channel / --campaign'],
    [
      ['hold', '--all', '--channel', 'x-main', '--reason', 'x'],
      'give either --all or at least one --channel / --campaign',
    ],
    [['hold', '--all'], 'missing --reason'],
  ])('refuses %j before calling the API', async (argv, message) => {
    const api = await startApi(() => ({ body: hold() }));
    const result = await api.run([...argv]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(api.requests).toHaveLength(0);
  });

  it('prints the API problem naming an unknown channel', async () => {
    const api = await startApi(() =>
      problem(422, {
        title: 'The request has invalid values',
        detail: 'the hold names something that does not exist; nothing was held',
        errors: [{ column: 'scope.channels', message: "unknown channel 'x-nope'" }],
      }),
    );
    const result = await api.run(['hold', '--channel', 'x-nope', '--reason', 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown channel 'x-nope'");
  });

  it('releases a hold and reminds that held posts stay HELD', async () => {
    const api = await startApi(() => ({
      body: hold({ releasedAt: '2027-03-01T11:00:00.000Z', version: 2 }),
    }));
    const result = await api.run(['release', 'hold-20270301t0930-3f9a1c']);
    expect(result.code).toBe(0);
    expect(api.requests[0]).toMatchObject({ method: 'DELETE', path: '/v1/holds/hold-20270301t0930-3f9a1c' });
    expect(result.stdout).toContain('released 2027-03-01T11:00:00.000Z');
    expect(result.stdout).toContain('pulsecast posts list --status HELD');
  });

  it('lists holds, only the active ones with --active', async () => {
    const api = await startApi(() => ({
      body: { items: [hold(), hold({ id: 'hold-old', releasedAt: '2027-02-01T00:00:00.000Z' })] },
    }));
    const all = await api.run(['holds']);
    await api.run(['holds', '--active']);

    expect(all.stdout).toMatch(/hold-20270301t0930-3f9a1c\s+ACTIVE\s+all/);
    expect(all.stdout).toMatch(/hold-old\s+released/);
    expect(Object.fromEntries(api.requests[1]?.query ?? [])).toEqual({ status: 'active' });
  });
});
