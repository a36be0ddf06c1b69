import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { type LocalApi, startLocalApi } from '../../local/server.ts';
import { API_ROUTE_GROUPS } from '../../shared/api-routes.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { startHandlerTable } from '../support/api-handlers.ts';
import { BSKY, LINKEDIN, storedChannel, X_MAIN } from './helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read as loose JSON and checked by assertion
type Json = any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOW = '2026-03-15T10:00:00.000Z';
let dynamo: LocalDynamo;
let api: LocalApi;
let store: DynamoStore;

beforeAll(async () => {
  ({ dynamo, store } = await startHandlerTable());
  installDeps({ now: () => new Date(NOW) });
  for (const channel of [X_MAIN, BSKY, LINKEDIN]) await store.putChannel(storedChannel(channel));
  api = await startLocalApi({
    port: 0,
    root: ROOT,
    groups: API_ROUTE_GROUPS.filter((group) => group.name === 'Campaigns' || group.name === 'Calendars'),
  });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await dynamo?.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Json,
  };
}

const quarterGoal = {
  id: 'q2-conversions',
  metric: 'conversions',
  target: { kind: 'relative', changePercent: 15, baseline: { from: '2026-01-01', to: '2026-03-31' } },
  window: { from: '2026-04-01', to: '2026-06-30' },
  scope: { channels: ['x-main', 'linkedin-page'], posts: 'all' },
};
const rateGoal = {
  id: 'linkedin-rate',
  metric: 'engagementRate',
  target: { kind: 'absolute', value: 2 },
  window: { from: '2026-03-01', to: '2026-05-31' },
  scope: { platforms: ['linkedin'] },
};

describe('POST/GET /v1/campaigns', () => {
  it('creates a campaign with its goals, then reports it unchanged or updated', async () => {
    const body = { id: 'q2', name: 'Q2 growth', timezone: 'Europe/Berlin', goals: [quarterGoal, rateGoal] };
    const created = await call('POST', '/v1/campaigns', body);
    expect(created).toMatchObject({
      status: 201,
      body: {
        id: 'q2',
        version: 1,
        outcome: 'created',
        goals: [{ id: 'q2-conversions', direction: 'atLeast' }, {}],
      },
    });
    expect((await call('POST', '/v1/campaigns', body)).body).toMatchObject({
      outcome: 'unchanged',
      version: 1,
    });
    const renamed = await call('POST', '/v1/campaigns', { ...body, name: 'Q2 growth!' });
    expect(renamed).toMatchObject({ status: 200, body: { outcome: 'updated', version: 2 } });

    const list = await call('GET', '/v1/campaigns');
    expect(list.body.items.map((c: Json) => c.id)).toContain('q2');
    const one = await call('GET', '/v1/campaigns/q2');
    expect(one).toMatchObject({ status: 200, body: { id: 'q2', name: 'Q2 growth!', goals: [{}, {}] } });
  });

  it('answers 404 problem details for a campaign that does not exist', async () => {
    const missing = await call('GET', '/v1/campaigns/nope');
    expect(missing).toMatchObject({
      status: 404,
      type: expect.stringContaining('application/problem+json'),
      body: { type: 'urn:pulsecast:problem:not-found', detail: "campaign 'nope' does not exist" },
    });
    expect((await call('GET', '/v1/campaigns/nope/report')).status).toBe(404);
  });

  it('rejects past windows, misplaced baselines and contradictory scopes with one precise error each', async () => {
    const response = await call('POST', '/v1/campaigns', {
      id: 'broken',
      name: 'Broken',
      timezone: 'UTC',
      goals: [
        {
          ...quarterGoal,
          id: 'past',
          window: { from: '2026-01-01', to: '2026-02-28' },
          target: { kind: 'absolute', value: 10 },
        },
        {
          ...quarterGoal,
          id: 'overlap',
          target: { ...quarterGoal.target, baseline: { from: '2026-03-01', to: '2026-04-15' } },
        },
        { ...rateGoal, id: 'contradiction', scope: { channels: ['x-main'], platforms: ['linkedin'] } },
        { ...rateGoal, id: 'ghost', scope: { channels: ['tiktok-main'] } },
        { ...rateGoal, id: 'percent', target: { kind: 'absolute', value: 250 } },
        { ...rateGoal, id: 'percent' },
      ],
    });
    expect(response.status).toBe(422);
    expect(response.body.type).toBe('urn:pulsecast:problem:validation-failed');
    expect(response.body.errors).toEqual([
      {
        column: 'goals[0].window.to',
        message:
          'the window ended on 2026-02-28, before today (2026-03-15 in UTC); a new goal must end today or later',
      },
      {
        column: 'goals[1].target.baseline.to',
        message: 'the baseline period (2026-03-01…2026-04-15) must end before the window starts (2026-04-01)',
      },
      {
        column: 'goals[2].scope.channels[0]',
        message:
          "channel 'x-main' is on x, which scope.platforms (linkedin) leaves out: the two filters contradict each other and the channel would count nothing",
      },
      {
        column: 'goals[3].scope.channels[0]',
        message: "channel 'tiktok-main' does not exist; add it with POST /v1/channels first",
      },
      {
        column: 'goals[4].target.value',
        message: 'engagementRate is a percentage (2 means 2 %) and must be above 0 and at most 100; got 250',
      },
      { column: 'goals[5].id', message: "goal id 'percent' is used twice in this campaign" },
    ]);
    expect((await call('GET', '/v1/campaigns/broken')).status).toBe(404);
  });

  it('names schema errors by field', async () => {
    const response = await call('POST', '/v1/campaigns', {
      id: 'q3',
      name: 'Q3',
      goals: [
        {
          id: 'g',
          metric: 'pageViews',
          target: { kind: 'absolute', value: 1 },
          window: { from: '2026-07-01', to: '2026-06-01' },
        },
      ],
    });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: Json) => e.column).sort()).toEqual([
      'goals.0.metric',
      'goals.0.window',
    ]);
  });

  it('serves a live report until the Evaluator has stored one', async () => {
    const report = await call('GET', '/v1/campaigns/q2/report');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      source: 'live',
      // The report says when its numbers were computed.
      computedAt: expect.stringMatching(/^2026-03-15T/),
      campaign: { id: 'q2', version: 2 },
      evaluation: {
        campaignId: 'q2',
        asOfDate: '2026-03-15',
        goals: [
          {
            goalId: 'q2-conversions',
            status: 'NOT_STARTED',
            reason: 'the window starts on 2026-04-01; the baseline period ends on 2026-03-31',
          },
          {
            goalId: 'linkedin-rate',
            status: 'NOT_ENOUGH_DATA',
            missing: [expect.stringMatching(/need ≥ 5 measured posts/)],
          },
        ],
        recommendations: [],
        // No history at all: what recommendations would need, per channel the campaign names.
        missingData: ['linkedin-page', 'x-main'].map((channel) => ({
          area: 'postingWindows',
          channel,
          message: `posting windows and standout posts on ${channel}: need ≥ 3 measured posts (at least 24 h old, last 90 days); have 0`,
          have: 0,
          need: 3,
        })),
      },
    });
  });
});

describe('campaigns in a JSON calendar upload', () => {
  const posts = [
    {
      id: 'launch-1',
      channel: 'x-main',
      scheduledAt: '2026-04-02T09:00:00Z',
      text: 'Launch day',
      campaign: 'launch',
    },
  ];

  it('saves the campaigns declared beside the posts, in the same upload', async () => {
    const campaign = { id: 'launch', name: 'Launch', goals: [{ ...rateGoal, scope: {} }] };
    const response = await call('POST', '/v1/calendars', { posts, campaigns: [campaign] });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      summary: { created: 1 },
      campaigns: [{ row: 1, id: 'launch', action: 'created' }],
    });
    expect((await call('GET', '/v1/campaigns/launch')).body).toMatchObject({ id: 'launch', version: 1 });
    const again = await call('POST', '/v1/calendars', { posts, campaigns: [campaign] });
    expect(again.body.campaigns).toEqual([{ row: 1, id: 'launch', action: 'unchanged' }]);
  });

  it('rejects the whole upload, posts and all, when a campaign is invalid', async () => {
    const response = await call('POST', '/v1/calendars', {
      posts: [{ ...posts[0], id: 'launch-2', campaign: 'bad' }],
      campaigns: [
        { id: 'bad', name: 'Bad', goals: [{ ...rateGoal, scope: { channels: [] } }] },
        { id: 'bad', name: 'Bad again', goals: [] },
      ],
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      {
        row: 1,
        column: 'campaigns[0].goals[0].scope.channels',
        message: 'an empty list matches nothing; leave "channels" out to count every one',
      },
      { row: 2, column: 'campaigns[1].id', message: "campaign 'bad' is declared twice" },
    ]);
    expect((await call('GET', '/v1/campaigns/bad')).status).toBe(404);
    expect(await store.getPost('launch-2')).toBeUndefined();
  });

  it('still refuses top-level fields other than posts and campaigns', async () => {
    const response = await call('POST', '/v1/calendars', { posts, goals: [] });
    expect(response.status).toBe(422);
    expect(response.body.errors[0].message).toBe(
      'unknown top-level field(s) "goals"; expected only "posts" and "campaigns"',
    );
  });
});
