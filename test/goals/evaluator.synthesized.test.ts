import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import { VirtualClock } from '../../local/clock.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import type { LocalHandler } from '../../local/lambda.ts';
import { LocalStateMachineRunner } from '../../local/stepfunctions/runner.ts';
import type { Campaign, Post } from '../../shared/domain/index.ts';
import type { EventDetail } from '../../shared/events.ts';
import { campaignReport } from '../../shared/goals/evaluate-campaigns.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { RecordingEvents } from '../support/dispatcher-driver.ts';
import { makePost } from '../support/fixtures.ts';
import { synthesizedApp } from '../support/synthesized-app.ts';
import { CREATED, day, storedChannel, X_MAIN } from './helpers.ts';

/**
 * The Evaluator exactly as the CDK app synthesizes it (Standard, JSONPath), run by the local
 * runner on a virtual clock against dynalite, with the real handlers (functions/evaluating/*).
 *
 * The Must-show walk of a relative goal, through the stored history: "+15 % conversions vs the
 * previous three months" (baseline 2026-01-01…03-31: a post and a conversion a day → 90; window
 * 2026-04-01…06-29 → target 103.5). Conversions arrive as in test/goals/evaluate.test.ts (2 a day
 * for 10 days, 1 a day for 20, then none), written to the table as time goes by; the hourly
 * sweep evaluates the campaign once a day after 06:00 UTC and announces each status change.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const T0 = Date.parse('2026-04-01T00:00:00.000Z');

let dynamo: LocalDynamo;
let runner: LocalStateMachineRunner;
let makeRunner: (handlers?: Record<string, LocalHandler>) => Promise<LocalStateMachineRunner>;
let evaluateFunctionId: string;
let clock: VirtualClock;
let store: DynamoStore;
const events = new RecordingEvents();

const campaign: Campaign = {
  id: 'q2',
  name: 'Q2',
  timezone: 'UTC',
  goals: [
    {
      id: 'more-conversions',
      metric: 'conversions',
      direction: 'atLeast',
      target: { kind: 'relative', changePercent: 15, baseline: { from: '2026-01-01', to: '2026-03-31' } },
      window: { from: '2026-04-01', to: '2026-06-29' },
      scope: { posts: 'all' },
    },
  ],
  createdAt: CREATED,
  updatedAt: CREATED,
  version: 1,
};

beforeAll(async () => {
  const { template, stackName, ids } = synthesizedApp();

  dynamo = await startLocalDynamo();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  clock = new VirtualClock({ start: T0 });
  installDeps({ now: () => clock.now(), events });
  // Secrets resolve to well-formed ARNs (other functions' environments split them apart).
  const secrets = Object.entries(template.Resources as Record<string, { Type: string }>)
    .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
    .map(([logicalId]) => [
      logicalId,
      `arn:aws:secretsmanager:local:000000000000:secret:${logicalId}-AbCdEf`,
    ]);
  makeRunner = (handlers = {}) =>
    LocalStateMachineRunner.fromTemplate(template, ids.evaluator, {
      root: ROOT,
      clock,
      names: {
        ...Object.fromEntries(secrets),
        [ids.table]: dynamo.tableName,
        [ids.bus]: 'pulsecast-local',
      },
      stackName,
      handlers,
    });
  evaluateFunctionId = ids.evaluate;
  runner = await makeRunner();
  store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
  await store.putChannel(storedChannel(X_MAIN));
  await store.putCampaign(campaign);
}, 60_000);

afterAll(async () => {
  runner?.stopAll();
  await dynamo?.stop();
});

function conversionsOn(dayIndex: number): number {
  if (dayIndex < 0) return 1;
  if (dayIndex < 10) return 2;
  if (dayIndex < 30) return 1;
  return 0;
}

let writtenUntil = -90;
/**
 * Publishes the posts and records the conversions that have happened by `until` (day index).
 * The first call also puts the rest of the window's posts on the calendar, scheduled: the
 * forecast counts what is still to come.
 */
async function history(untilDay: number): Promise<void> {
  if (writtenUntil === -90) {
    const calendar: Post[] = [];
    for (let i = untilDay; i < 90; i++) {
      const at = `${day('2026-04-01', i)}T09:00:00.000Z`;
      calendar.push(makePost({ id: `p${day('2026-04-01', i)}`, channel: 'x-main', scheduledAt: at }));
    }
    await store.createPosts(calendar);
  }
  const posts: Post[] = [];
  const replaced: Post[] = [];
  for (; writtenUntil < untilDay; writtenUntil++) {
    const date = day('2026-04-01', writtenUntil);
    const at = `${date}T09:00:00.000Z`;
    const id = `p${date}`;
    const post = makePost({
      id,
      channel: 'x-main',
      scheduledAt: at,
      publishedAt: at,
      status: 'PUBLISHED',
      version: 4,
    });
    if (writtenUntil >= 10) replaced.push({ ...post, version: 2 });
    else posts.push(post);
    for (let k = 0; k < conversionsOn(writtenUntil); k++) {
      const occurredAt = `${date}T12:00:0${k}.000Z`;
      await store.recordConversion({
        eventId: `conv-${date}-${k}`,
        occurredAt,
        receivedAt: occurredAt,
        value: 10,
        currency: 'EUR',
        utm: { source: 'x', medium: 'social', content: id },
        postId: id,
        channel: 'x-main',
      });
    }
  }
  await store.createPosts(posts);
  for (const post of replaced) await store.replacePost(post, 1);
}

/** One hourly sweep at `iso` (what the schedule starts). */
async function sweepAt(iso: string) {
  await clock.advanceTo(Date.parse(iso));
  return (await runner.start({}).result) as { count: number; results: Record<string, unknown>[] };
}

function statusEvents(): EventDetail<'Goal Status Changed'>[] {
  return events.events
    .filter((e) => e.type === 'Goal Status Changed')
    .map((e) => e.detail as EventDetail<'Goal Status Changed'>);
}

describe('the synthesized Evaluator, run locally against dynalite', () => {
  it('walks a relative goal ON_TRACK → AT_RISK → OFF_TRACK → MISSED from stored history, announcing each change once', async () => {
    await history(10); // up to and including 2026-04-10
    const first = await sweepAt('2026-04-11T07:00:00.000Z');
    expect(first.count).toBe(1);
    expect(first.results).toEqual([
      {
        campaignId: 'q2',
        asOfDate: '2026-04-11',
        statuses: { 'more-conversions': 'ON_TRACK' },
        announced: 1,
        failed: 'no',
      },
    ]);
    expect(statusEvents()).toEqual([
      expect.objectContaining({
        eventId: 'goal-status:q2:more-conversions:2026-04-11:ON_TRACK',
        status: 'ON_TRACK',
        current: 20,
        target: 103.5,
        // 10 posts published (2 conversions each, the youngest 22 h old and so at 60 % of its
        // final count on the default curve) + 80 still scheduled at ≈ 2.2 each (evaluate.test.ts
        // walks the same numbers by hand, an hour earlier).
        forecast: { value: 196.7014, low: 141.8312, high: 251.5716 },
        reason: expect.stringContaining("even the low end of the forecast's 80 % band"),
      }),
    ]);

    // Later the same day: already evaluated, nothing due, nothing announced.
    expect((await sweepAt('2026-04-11T15:05:00.000Z')).count).toBe(0);

    await history(30);
    await sweepAt('2026-05-01T07:00:00.000Z');
    await history(60);
    await sweepAt('2026-05-31T07:00:00.000Z');
    await history(90);
    await sweepAt('2026-06-30T07:00:00.000Z');

    expect(statusEvents().map((d) => [d.previousStatus, d.status, d.asOfDate, d.current])).toEqual([
      [undefined, 'ON_TRACK', '2026-04-11', 20],
      ['ON_TRACK', 'AT_RISK', '2026-05-01', 40],
      ['AT_RISK', 'OFF_TRACK', '2026-05-31', 40],
      ['OFF_TRACK', 'MISSED', '2026-06-30', 40],
    ]);
    const stored = await store.latestEvaluation('q2');
    expect(stored).toMatchObject({ asOfDate: '2026-06-30' });
    const report = await campaignReport('q2', { store, now: () => clock.now() });
    expect(report).toMatchObject({
      source: 'live',
      evaluation: { goals: [{ goalId: 'more-conversions', status: 'MISSED', current: 40, target: 103.5 }] },
    });
    expect(runner.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  }, 120_000);

  it('evaluates each campaign once a day, after 06:00 in its own time zone, when swept hourly', async () => {
    const tokyo: Campaign = { ...campaign, id: 'tokyo', timezone: 'Asia/Tokyo' };
    await store.putCampaign(tokyo);
    const before = runner.executions.length;
    const evaluated: string[] = [];
    const start = Date.parse('2026-06-30T08:00:00.000Z');
    const stop = runner.scheduleEvery(3_600_000, {}, { startMs: start });
    await clock.advanceTo(start + 48 * 3_600_000);
    stop();
    for (const execution of runner.executions.slice(before)) {
      expect(execution.status, `${execution.error} ${execution.cause}`).toBe('SUCCEEDED');
      // Hours with nothing due end at NothingDue, without results.
      const output = execution.output as { results?: { campaignId: string; asOfDate: string }[] };
      for (const r of output.results ?? [])
        evaluated.push(`${r.campaignId} ${r.asOfDate} ${execution.startDate.toISOString()}`);
    }
    // Tokyo is UTC+9: 06:00 there is 21:00 UTC the day before. q2 (UTC) was evaluated on 06-30.
    expect(evaluated).toEqual([
      'tokyo 2026-06-30 2026-06-30T08:00:00.000Z',
      'tokyo 2026-07-01 2026-06-30T21:00:00.000Z',
      'q2 2026-07-01 2026-07-01T06:00:00.000Z',
      'tokyo 2026-07-02 2026-07-01T21:00:00.000Z',
      'q2 2026-07-02 2026-07-02T06:00:00.000Z',
    ]);
  }, 120_000);

  it('evaluates the other campaigns when one fails, then fails the execution so it can be alarmed on', async () => {
    const { handler: evaluate } = await import('../../functions/evaluating/evaluate.ts');
    const failing = await makeRunner({
      [evaluateFunctionId]: (event, context) => {
        if ((event as { campaignId: string }).campaignId === 'poison') throw new Error('table unavailable');
        return evaluate(event, context);
      },
    });
    await store.putCampaign({ ...campaign, id: 'poison' });
    await clock.advanceTo(Date.parse('2026-07-02T12:00:00.000Z'));
    const execution = failing.start({ force: true });
    await expect(execution.result).rejects.toThrow(/Pulsecast\.EvaluationFailed/);
    const tally = execution.events.find((e) => e.type === 'StateExited' && e.state?.name === 'Tally')?.state
      ?.output as { anyFailed: boolean; results: { campaignId: string; failed: string; error?: string }[] };
    expect(tally.anyFailed).toBe(true);
    expect(tally.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ campaignId: 'q2', failed: 'no', asOfDate: '2026-07-02' }),
        expect.objectContaining({ campaignId: 'poison', failed: 'yes', error: 'Error' }),
      ]),
    );
    // The others were stored; the failed one stays due for the next sweep.
    expect((await store.latestEvaluation('q2'))?.asOfDate).toBe('2026-07-02');
    expect(await store.latestEvaluation('poison')).toBeUndefined();
    failing.stopAll();
  }, 60_000);
});
