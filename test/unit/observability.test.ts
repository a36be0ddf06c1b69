import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PULSECAST_METRICS } from '../../infra/constructs/observability.ts';
import type { LocalDynamo } from '../../local/dynamo.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import {
  emfLines,
  lambdaContext,
  metricNames,
  printed,
  startHandlerRuntime,
} from '../support/powertools-output.ts';
import { type CallFault, RecordingAdapter } from '../support/recording-adapter.ts';

/**
 * The real handlers with the observed() middleware, as on Lambda but off it: metrics switched on
 * (they are off by default off Lambda), INFO logs, X-Ray off. Everything Powertools prints is
 * captured from stdout and stderr.
 */

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type Observability = typeof import('../../functions/commons/observability.ts');

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
let now = T0;
let dynamo: LocalDynamo;
let store: DynamoStore;
let observability: Observability;
let handlers: Record<'claim' | 'publish' | 'record' | 'recover' | 'calendars', Handler>;
const faults = new Map<string, CallFault>();
const adapter = new RecordingAdapter(
  (post) => faults.get(post.id) ?? 'ok',
  () => new Date(now),
);

const context = lambdaContext;

beforeAll(async () => {
  ({ dynamo, store, observability } = await startHandlerRuntime({
    now: () => new Date(now),
    adapterFor: () => adapter,
  }));
  const load = async (path: string) => (await import(path)).handler as Handler;
  handlers = {
    claim: await load('../../functions/publishing/claim.ts'),
    publish: await load('../../functions/publishing/publish.ts'),
    record: await load('../../functions/publishing/record.ts'),
    recover: await load('../../functions/publishing/recover.ts'),
    calendars: await load('../../functions/api/calendars.ts'),
  };
  await store.putChannel(makeChannel({ id: 'x-main' }));
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
  faults.clear();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo?.stop();
});

describe('observed() on the Dispatcher steps', () => {
  it('emits no metric from a minute in which nothing was due or stalled (zeros cost as much as counts)', async () => {
    now = T0 - 86_400_000; // a day before every post of this file: nothing due
    const lines = [
      ...(await printed(() => handlers.recover({}, context('recover')))),
      ...(await printed(() => handlers.claim({ executionId: 'exec-idle' }, context('claim')))),
    ];
    expect(emfLines(lines)).toEqual([]);
  });

  it('emits posts claimed, published, failed and unknown (not the zero rescheduled), and each post’s lateness, as EMF', async () => {
    // Prepare: three posts due in the same second; the platform takes one, refuses one, and
    // loses the answer for the third.
    const due = new Date(T0 + 30_000).toISOString();
    await store.createPosts([
      makePost({ id: 'ok', scheduledAt: due }),
      makePost({ id: 'refused', scheduledAt: due, text: 'second' }),
      makePost({ id: 'lost', scheduledAt: due, text: 'third' }),
    ]);
    faults.set('refused', 'reject');
    faults.set('lost', 'lost-then-timeout');
    now = T0;

    // Act: Claim, then (2.5 s after the posts were due) Publish and Record, as the Map runs them.
    let claimed: { batches: unknown[] } = { batches: [] };
    const claimLines = await printed(async () => {
      claimed = (await handlers.claim({ executionId: 'exec-1' }, context('claim'))) as typeof claimed;
    });
    now = T0 + 32_500;
    let published: unknown;
    await printed(async () => {
      published = await handlers.publish(claimed.batches[0], context('publish'));
    });
    const recordLines = await printed(() => handlers.record(published, context('record')));

    // Assert
    const [claimEmf] = emfLines(claimLines);
    expect(claimEmf).toMatchObject({ service: 'Pulsecast-test', PostsClaimed: 3 });
    const [recordEmf, ...more] = emfLines(recordLines);
    expect(more).toEqual([]);
    expect(recordEmf?._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({ Namespace: 'Pulsecast', Dimensions: [['service']] }),
    ]);
    expect(recordEmf && metricNames(recordEmf).sort()).toEqual([
      'PostsFailed',
      'PostsPublished',
      'PostsUnknown',
      'PublishLatenessSeconds',
    ]);
    expect(recordEmf).toMatchObject({
      service: 'Pulsecast-test',
      PostsPublished: 1,
      PostsFailed: 1,
      PostsUnknown: 1,
      PublishLatenessSeconds: 2.5,
    });
    expect(recordEmf?._aws.CloudWatchMetrics[0]?.Metrics).toContainEqual({
      Name: 'PublishLatenessSeconds',
      Unit: 'Seconds',
    });
    // Every log line of the execution carries its id.
    expect(recordLines.filter((line) => !('_aws' in line))).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'batch recorded',
        executionId: 'exec-1',
        correlation_id: 'exec-1',
        function_name: 'record',
        published: 1,
        outcomes: expect.arrayContaining([
          { postId: 'ok', kind: 'published' },
          { postId: 'refused', kind: 'failed' },
          { postId: 'lost', kind: 'unknown' },
        ]),
      }),
    ]);
    expect(claimLines).toContainEqual(
      expect.objectContaining({ message: 'posts claimed', claimed: 3, executionId: 'exec-1' }),
    );
  });

  it('emits what Recover released (and leaves out what it found none of)', async () => {
    // Prepare: a post claimed by a Dispatcher that then died, its lease long expired.
    now = T0 + 60 * 60_000;
    await store.createPosts([makePost({ id: 'orphan', scheduledAt: new Date(now + 20_000).toISOString() })]);
    await printed(() => handlers.claim({ executionId: 'exec-died' }, context('claim')));
    now += 30 * 60_000;

    const [emf, ...more] = emfLines(await printed(() => handlers.recover({}, context('recover'))));

    expect(more).toEqual([]);
    expect(emf && metricNames(emf)).toEqual(['PostsRecovered']);
    expect(emf).toMatchObject({ service: 'Pulsecast-test', PostsRecovered: 1 });
  });

  it('logs a failed invocation once, with its execution id, and forgets the ids afterwards', async () => {
    const failed = await printed(() =>
      handlers.record({ batch: { executionId: 'exec-broken' } }, context('record')),
    );
    const next = await printed(() => handlers.record({ outcomes: [] }, context('record')));

    const errors = failed.filter((line) => line.level === 'ERROR');
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'invocation failed',
        service: 'Pulsecast-test',
        function_name: 'record',
        function_request_id: 'request-record',
        executionId: 'exec-broken',
        correlation_id: 'exec-broken',
        error: expect.objectContaining({ name: 'ZodError' }),
      }),
    ]);
    // Metrics of the failed attempt: none (Step Functions' retry counts the batch).
    expect(emfLines(failed)).toEqual([]);
    // The next invocation carries no id of this one.
    expect(next).toEqual([expect.objectContaining({ message: 'invocation failed' })]);
    expect(next[0]).not.toHaveProperty('executionId');
    expect(next[0]).not.toHaveProperty('correlation_id');
  });
});

describe('observed() on the HTTP API', () => {
  it('logs an upload with its upload id, the API request id as correlation id, and the Lambda context', async () => {
    now = T0;
    const body = JSON.stringify({
      posts: [{ channel: 'x-main', scheduledAt: '2026-12-24T09:00:00Z', text: 'Season’s greetings' }],
    });
    const event = {
      version: '2.0',
      routeKey: 'POST /v1/calendars',
      rawPath: '/v1/calendars',
      rawQueryString: 'dryRun=true',
      queryStringParameters: { dryRun: 'true' },
      headers: { 'content-type': 'application/json' },
      body,
      isBase64Encoded: false,
      requestContext: { requestId: 'api-request-1', routeKey: 'POST /v1/calendars' },
    } as unknown as APIGatewayProxyEventV2;

    let response: { statusCode?: number; body?: string } = {};
    const lines = await printed(async () => {
      response = (await handlers.calendars(event, context('calendars'))) as typeof response;
    });

    expect(response.statusCode).toBe(200);
    const { uploadId } = JSON.parse(response.body ?? '{}') as { uploadId: string };
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'calendar uploaded',
        correlation_id: 'api-request-1',
        uploadId,
        function_name: 'calendars',
        dryRun: true,
      }),
    ]);
  });
});

describe('correlationIdsOf', () => {
  it.each([
    [
      'a Claim step',
      { executionId: 'arn:exec:1' },
      { executionId: 'arn:exec:1', correlation_id: 'arn:exec:1' },
    ],
    [
      'a Record step',
      { batch: { executionId: 'arn:exec:2', postIds: ['a'] }, outcomes: [] },
      { executionId: 'arn:exec:2', correlation_id: 'arn:exec:2' },
    ],
    [
      'a Pulsecast event',
      { 'detail-type': 'Post Published', detail: { postId: 'p-1' } },
      { postId: 'p-1', correlation_id: 'p-1' },
    ],
    [
      'GET /v1/posts/{id}',
      { routeKey: 'GET /v1/posts/{id}', pathParameters: { id: 'p-2' }, requestContext: { requestId: 'r-1' } },
      { postId: 'p-2', correlation_id: 'r-1' },
    ],
    [
      'GET /v1/campaigns/{id}/report',
      {
        routeKey: 'GET /v1/campaigns/{id}/report',
        pathParameters: { id: 'spring' },
        requestContext: { requestId: 'r-2' },
      },
      { campaignId: 'spring', correlation_id: 'r-2' },
    ],
    ['an event without ids', { anything: 1 }, {}],
    ['no event at all', undefined, {}],
  ])('finds the ids of %s', (_name, event, expected) => {
    expect(observability.correlationIdsOf(event)).toEqual(expected);
  });
});

describe('the observability module', () => {
  it('names the same metrics as the alarms and the dashboard', () => {
    expect(observability.METRIC).toEqual(PULSECAST_METRICS);
  });

  it('never loads X-Ray off Lambda (its SDK installs async hooks at import)', () => {
    expect(observability.tracer).toBeUndefined();
  });
});
