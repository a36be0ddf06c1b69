import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releasedAfterEach } from '../support/per-test.ts';
import { startFakeApi } from './fake-api.ts';

const REPORT = {
  computedAt: '2027-03-10T08:00:00.000Z',
  evaluation: {
    campaignId: 'spring-launch',
    asOf: '2027-03-10T08:00:00.000Z',
    asOfDate: '2027-03-10',
    goals: [
      {
        goalId: 'linkedin-engagement-rate',
        metric: 'engagementRate',
        status: 'ON_TRACK',
        reason: 'the rate so far is above the target',
        current: 3.6,
        target: 2,
        window: { from: '2027-03-01', to: '2027-03-31' },
      },
      {
        goalId: 'engagements-march',
        metric: 'engagements',
        status: 'OFF_TRACK',
        reason: 'too few posts left to reach it',
        current: 264,
        target: 1000,
        expectedByNow: 300,
        forecast: { value: 520, low: 410, high: 640 },
        window: { from: '2027-03-01', to: '2027-03-31' },
      },
    ],
    recommendations: [
      { kind: 'postingWindow', summary: 'Post on LinkedIn on Tuesdays at 09:00: 2.1× the engagements' },
    ],
    missingData: [],
    topPosts: [
      {
        postId: 'p1',
        channel: 'linkedin-main',
        engagements: 120,
        publishedAt: '2027-03-02T08:00:00Z',
        text: 'Spring is here',
      },
    ],
    bottomPosts: [],
  },
};

describe('pulsecast campaigns and report', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  it('prints the report in plain words when piped: units, bands, no escape codes', async () => {
    const api = await startApi(() => ({ body: REPORT }));
    const result = await api.run(['report', 'spring-launch']);
    expect(result.code).toBe(0);
    expect(api.requests[0]?.path).toBe('/v1/campaigns/spring-launch/report');
    expect(result.stdout).toContain('linkedin-engagement-rate  on track  engagement rate 3.6 % (target 2 %)');
    expect(result.stdout).toContain('forecast 520 by 31 Mar 2027 (80 % band 410–640)');
    expect(result.stdout).toContain('• Post on LinkedIn on Tuesdays at 09:00');
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('colours the statuses on a terminal, unless NO_COLOR is set', async () => {
    const api = await startApi(() => ({ body: REPORT }));
    const tty = await api.run(['report', 'spring-launch'], { tty: true });
    expect(tty.stdout).toContain('\u001b[32mon track\u001b[0m');
    expect(tty.stdout).toContain('\u001b[31moff track\u001b[0m');
    const noColour = await api.run(['report', 'spring-launch'], {
      tty: true,
      env: { NO_COLOR: '1' },
    });
    expect(noColour.stdout).not.toContain('\u001b[');
  });

  it('gives scripts the JSON as the API answered it', async () => {
    const api = await startApi(() => ({ body: REPORT }));
    const result = await api.run(['report', 'spring-launch', '--json']);
    expect(JSON.parse(result.stdout)).toEqual(REPORT);
  });

  it('lists campaigns, and creates one from a JSON file (and refuses a file that is not JSON)', async () => {
    const api = await startApi((request) =>
      request.method === 'POST'
        ? { status: 201, body: { id: 'spring', goals: [{ id: 'g', metric: 'clicks' }] } }
        : {
            body: {
              items: [
                {
                  id: 'spring',
                  window: { from: '2027-03-01', to: '2027-03-31' },
                  goals: [{ id: 'g', metric: 'clicks' }],
                },
              ],
            },
          },
    );
    const list = await api.run(['campaigns', 'list']);
    expect(list.stdout).toContain('spring  2027-03-01 – 2027-03-31  g (link clicks)');

    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-campaign-'));
    writeFileSync(join(dir, 'c.json'), '{"id":"spring"}');
    const created = await api.run(['campaigns', 'create', join(dir, 'c.json')]);
    expect(created).toMatchObject({ code: 0, stdout: 'created spring (1 goal(s))\n' });
    expect(JSON.parse(api.requests.at(-1)?.body.toString() ?? '')).toEqual({ id: 'spring' });

    writeFileSync(join(dir, 'bad.json'), '{id:');
    const bad = await api.run(['campaigns', 'create', join(dir, 'bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not JSON');
    const missing = await api.run(['campaigns', 'create']);
    expect(missing.code).toBe(2);
  });

  it('passes the export filters to the API', async () => {
    const api = await startApi(() => ({ contentType: 'text/csv', body: 'id\n' }));
    const result = await api.run([
      'export',
      'csv',
      '--from',
      '2027-03-01T00:00:00Z',
      '--to',
      '2027-04-01T00:00:00Z',
      '--channel',
      'x-main',
      '--campaign',
      'spring',
      '--status',
      'PUBLISHED',
    ]);
    expect(result.code).toBe(0);
    expect(Object.fromEntries(api.requests[0]?.query ?? [])).toEqual({
      from: '2027-03-01T00:00:00Z',
      to: '2027-04-01T00:00:00Z',
      channel: 'x-main',
      campaign: 'spring',
      status: 'PUBLISHED',
    });
  });
});
