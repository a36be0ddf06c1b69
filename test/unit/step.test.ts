import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { EVENT_SOURCE, type PulsecastEvent } from '../../shared/events.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { FakeMetricsAdapter } from '../measuring/support/fake-metrics-adapter.ts';
import { CONFIG, eventOf, RecordingEmail, RecordingSlack } from '../notify/support.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import {
  emfLines,
  lambdaContext,
  metricNames,
  printed,
  startHandlerRuntime,
} from '../support/powertools-output.ts';

/**
 * step(): the one way a handler outside the HTTP API is built. Every step module is held to it,
 * and the metrics the Collector and the notifier emit are read from what Powertools prints (EMF
 * on stdout), with metrics and INFO logs switched on as on Lambda.
 */

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
type StepModule = typeof import('../../functions/commons/step.ts');
type Observability = typeof import('../../functions/commons/observability.ts');

/** The folders of the functions that are not behind the HTTP API. */
const STEP_FOLDERS = ['publishing', 'measuring', 'evaluating', 'notifying'];
const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const HOUR = 3_600_000;

let now = T0;
let dynamo: LocalDynamo;
let store: DynamoStore;
let steps: StepModule;
let observability: Observability;
const handlers = new Map<string, Handler>();
const slack = new RecordingSlack();
const email = new RecordingEmail();
const metricsAdapter = new FakeMetricsAdapter('x', () => new Date(now));

beforeAll(async () => {
  ({ dynamo, store, observability } = await startHandlerRuntime({
    now: () => new Date(now),
    adapterFor: () => metricsAdapter,
    notifyConfig: CONFIG,
    slack,
    email,
    senderAddress: 'Pulsecast <notify@example.com>',
  }));
  // Imported only now: the module reads the environment when it loads.
  steps = await import('../../functions/commons/step.ts');
  for (const folder of STEP_FOLDERS) {
    const dir = new URL(`../../functions/${folder}/`, import.meta.url);
    for (const file of readdirSync(dir)) {
      const module = (await import(new URL(file, dir).href)) as { handler?: Handler };
      if (module.handler) handlers.set(`${folder}/${file}`, module.handler);
    }
  }
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo?.stop();
});

const handler = (name: string): Handler => {
  const found = handlers.get(name);
  if (!found) throw new Error(`no handler ${name}`);
  return found;
};

describe('step()', () => {
  it('runs the work with the Lambda context and the correlation ids on every log line, and flushes its metrics', async () => {
    const work = steps.step(async (event: { executionId: string }) => {
      observability.logger.info('working', { step: 'probe' });
      observability.metrics.addMetric('ProbeRuns', observability.MetricUnit.Count, 1);
      return { done: event.executionId };
    });

    let result: unknown;
    const lines = await printed(async () => {
      result = await work({ executionId: 'exec-7' }, lambdaContext('probe'));
    });

    expect(result).toEqual({ done: 'exec-7' });
    expect(lines.filter((line) => !('_aws' in line))).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'working',
        function_name: 'probe',
        function_request_id: 'request-probe',
        executionId: 'exec-7',
        correlation_id: 'exec-7',
      }),
    ]);
    const [emf, ...more] = emfLines(lines);
    expect(more).toEqual([]);
    expect(emf).toMatchObject({ service: 'Pulsecast-test', ProbeRuns: 1 });
  });

  it('logs a failure once with its ids and throws it on, so the caller retries', async () => {
    const broken = new Error('the platform went away');
    const work = steps.step(async () => {
      throw broken;
    });

    let thrown: unknown;
    const lines = await printed(async () => {
      thrown = await work({ postId: 'p-9' }, lambdaContext('probe')).catch((error: unknown) => error);
    });

    expect(thrown).toBe(broken);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'invocation failed',
        function_name: 'probe',
        postId: 'p-9',
        correlation_id: 'p-9',
        error: expect.objectContaining({ message: 'the platform went away' }),
      }),
    ]);
  });

  it('tells its handlers from any other function', () => {
    expect(steps.isStep(steps.step(async () => undefined))).toBe(true);
    expect(steps.isStep(async () => undefined)).toBe(false);
    expect(steps.isStep(undefined)).toBe(false);
  });
});

describe('every handler outside the HTTP API', () => {
  it('is built by step(): all twelve of publishing, measuring, evaluating and notifying', () => {
    expect([...handlers.keys()].sort()).toEqual([
      'evaluating/announce.ts',
      'evaluating/evaluate.ts',
      'evaluating/list.ts',
      'measuring/collect-channel.ts',
      'measuring/collect-due.ts',
      'notifying/digest.ts',
      'notifying/notify.ts',
      'publishing/channel-health.ts',
      'publishing/claim.ts',
      'publishing/publish.ts',
      'publishing/record.ts',
      'publishing/recover.ts',
    ]);
    for (const [name, fn] of handlers) expect({ name, step: steps.isStep(fn) }).toEqual({ name, step: true });
  });

  it.each([
    ['evaluating/announce.ts', { campaignId: 'spring' }],
    ['evaluating/evaluate.ts', { campaignId: 'spring', asOf: 'yesterday' }],
    ['evaluating/list.ts', { force: 'yes' }],
    ['measuring/collect-channel.ts', { channel: 'x-main' }],
    ['notifying/digest.ts', { workspaceId: 'marketing', period: 'hourly' }],
    ['publishing/claim.ts', {}],
    ['publishing/publish.ts', { executionId: 'exec-3', notBefore: 'now', postIds: [] }],
  ])(
    '%s logs an event it cannot read as a failed invocation, with the Lambda context',
    async (name, event) => {
      const lines = await printed(() => handler(name)(event, lambdaContext(name)));

      expect(lines).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          message: 'invocation failed',
          function_name: name,
          error: expect.objectContaining({ name: 'ZodError' }),
        }),
      ]);
    },
  );

  it('notifying/notify.ts logs an event type it does not handle through the logger', async () => {
    const lines = await printed(() =>
      handler('notifying/notify.ts')(
        { source: EVENT_SOURCE, 'detail-type': 'Post Queued', detail: {} },
        lambdaContext('notify'),
      ),
    );

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'event type not handled',
        detailType: 'Post Queued',
        function_name: 'notify',
      }),
    ]);
  });
});

describe('the metrics the README promises', () => {
  it('the Collector emits MetricsCollected: the posts whose reading FetchAndStore recorded', async () => {
    await store.putChannel(makeChannel({ id: 'x-main', platform: 'x', secretRef: 'pulsecast/x-main' }));
    for (const id of ['m1', 'm2']) {
      await store.createPosts([
        makePost({
          id,
          channel: 'x-main',
          scheduledAt: new Date(T0).toISOString(),
          status: 'PUBLISHED',
          platformPostId: `pp-${id}`,
          platformUrl: `https://platform.example/${id}`,
          publishedAt: new Date(T0).toISOString(),
          version: 4,
        }),
      ]);
    }
    const collectDue = handler('measuring/collect-due.ts');
    const collectChannel = handler('measuring/collect-channel.ts');
    // The first sweep plans each post's first checkpoint; the one after it reads them.
    now = T0;
    await collectDue({}, lambdaContext('collect-due'));
    now = T0 + HOUR + 60_000;
    const plan = (await collectDue({}, lambdaContext('collect-due'))) as { channels: unknown[] };

    const lines = await printed(() => collectChannel(plan.channels[0], lambdaContext('collect-channel')));

    expect(plan.channels).toHaveLength(1);
    const [emf, ...more] = emfLines(lines);
    expect(more).toEqual([]);
    expect(emf && metricNames(emf)).toEqual(['MetricsCollected']);
    expect(emf).toMatchObject({ service: 'Pulsecast-test', MetricsCollected: 2 });
    expect(emf?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Pulsecast',
      Dimensions: [['service']],
    });
  });

  it('the notifier emits NotificationsSent per channel, and counts nothing a retry finds already sent', async () => {
    const event = eventOf('Post Failed', { eventId: 'evt-metrics-1' });
    const envelope = (e: PulsecastEvent) => ({
      version: '0',
      id: `eb-${e.detail.eventId}`,
      'detail-type': e.type,
      source: EVENT_SOURCE,
      detail: e.detail,
    });
    const notify = handler('notifying/notify.ts');

    const first = emfLines(await printed(() => notify(envelope(event), lambdaContext('notify'))));
    const again = emfLines(await printed(() => notify(envelope(event), lambdaContext('notify'))));

    expect(slack.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);
    const sent = (lines: typeof first) =>
      lines.map((emf) => ({
        names: metricNames(emf),
        dimensions: emf._aws.CloudWatchMetrics[0]?.Dimensions,
        service: emf.service,
        channel: emf.channel,
        count: emf.NotificationsSent,
      }));
    expect(sent(first)).toEqual([
      {
        names: ['NotificationsSent'],
        dimensions: [['service', 'channel']],
        service: 'Pulsecast-test',
        channel: 'slack',
        count: 1,
      },
      {
        names: ['NotificationsSent'],
        dimensions: [['service', 'channel']],
        service: 'Pulsecast-test',
        channel: 'email',
        count: 1,
      },
    ]);
    expect(sent(again).map(({ channel, count }) => ({ channel, count }))).toEqual([
      { channel: 'slack', count: 0 },
      { channel: 'email', count: 0 },
    ]);
  });
});
