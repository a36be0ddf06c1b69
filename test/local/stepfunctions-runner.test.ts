import { fileURLToPath } from 'node:url';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { functionEntries } from '../../local/cloudformation/template.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { type LocalHandler, loadHandlers } from '../../local/lambda.ts';
import { UnsupportedDefinitionError } from '../../local/stepfunctions/asl.ts';
import { dynamoDbIntegrations } from '../../local/stepfunctions/dynamodb.ts';
import {
  LocalStateMachineRunner,
  MissingTaskHandlerError,
  StateMachineExecutionError,
} from '../../local/stepfunctions/runner.ts';
import { stepFunctionsIntegrations } from '../../local/stepfunctions/sfn.ts';
import { resolveStateMachine } from '../../local/stepfunctions/state-machines.ts';
import { callsOf, probe } from '../fixtures/stepfunctions/probe.ts';
import {
  buildRefusedStack,
  buildSampleStack,
  type SampleStack,
} from '../fixtures/stepfunctions/sample-stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const T0 = Date.parse('2025-03-03T09:00:00.000Z');
const at = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

interface Post {
  id: string;
  publishAt: string;
  busyTimes?: number;
  reject?: boolean;
  injectError?: string;
}

describe('LocalStateMachineRunner', () => {
  let sample: SampleStack;
  let handlers: Record<string, LocalHandler>;
  let clock: VirtualClock;
  const runners: LocalStateMachineRunner[] = [];

  beforeAll(async () => {
    sample = buildSampleStack();
    handlers = await loadHandlers(sample.template, ROOT);
  });

  afterEach(() => {
    for (const runner of runners.splice(0)) runner.stopAll();
  });

  function dispatcher(
    options: Partial<ConstructorParameters<typeof LocalStateMachineRunner>[0]> = {},
    from: SampleStack = sample,
  ): LocalStateMachineRunner {
    clock = new VirtualClock({ start: T0 });
    probe.reset(() => clock.nowMs());
    const runner = new LocalStateMachineRunner({
      machine: resolveStateMachine(from.template, from.ids.dispatcher),
      handlers,
      functions: functionEntries(from.template),
      clock,
      ...options,
    });
    runners.push(runner);
    return runner;
  }

  describe('the Dispatcher (Map of Wait → Publish → Record, as synthesized)', () => {
    it('runs each post’s tasks at the virtual instant of its timestamp, truncated to the second', async () => {
      const runner = dispatcher();
      const posts: Post[] = [
        { id: 'a', publishAt: at(30_000) },
        { id: 'b', publishAt: at(95_750) },
        { id: 'c', publishAt: at(170_000) },
      ];

      const execution = runner.start({ posts });
      await clock.advanceBy(4 * 60_000);

      await expect(execution.result).resolves.toEqual({ count: 3 });
      const expected = [30_000, 95_000, 170_000].map((offset) => T0 + offset);
      expect(callsOf('publish').map((call) => call.at)).toEqual(expected);
      expect(callsOf('record').map((call) => call.at)).toEqual(expected);
      expect(callsOf('record').map((call) => call.event)).toEqual([
        { id: 'a', outcome: 'PUBLISHED', platformPostId: 'p-a' },
        { id: 'b', outcome: 'PUBLISHED', platformPostId: 'p-b' },
        { id: 'c', outcome: 'PUBLISHED', platformPostId: 'p-c' },
      ]);
      expect(execution.record).toMatchObject({ status: 'SUCCEEDED', startDate: new Date(T0) });
      expect(execution.record.stopDate).toEqual(new Date(T0 + 170_000));
      // Nothing left behind on the clock (the execution timeout is gone with the execution).
      expect(clock.pending).toBe(0);
    });

    it('is built from the template alone, loading only the handlers its Tasks call', async () => {
      clock = new VirtualClock({ start: T0 });
      probe.reset(() => clock.nowMs());
      const runner = await LocalStateMachineRunner.fromTemplate(sample.template, sample.ids.dispatcher, {
        root: ROOT,
        clock,
      });
      runners.push(runner);

      const execution = runner.start(
        { posts: [{ id: 'a', publishAt: at(1_000) }] },
        { executionName: 'first' },
      );
      await clock.advanceBy(5_000);

      await expect(execution.result).resolves.toEqual({ count: 1 });
      expect(execution.executionArn).toBe(
        `arn:aws:states:local:000000000000:express:${sample.ids.dispatcher}:first`,
      );
    });

    it('keeps the Wait state’s name and type in the history', async () => {
      const runner = dispatcher();

      const execution = runner.start({ posts: [{ id: 'a', publishAt: at(10_000) }] });
      await clock.advanceBy(60_000);

      const entered = execution.events
        .filter((event) => event.type === 'StateEntered')
        .map((event) => event.state);
      expect(entered.map((state) => `${state?.name}:${state?.type}`)).toEqual([
        'Claim:Task',
        'PublishEach:Map',
        'WaitUntilDue:Wait',
        'Publish:Task',
        'Record:Task',
        'Summarize:Task',
      ]);
      const publishExit = execution.events.find(
        (event) => event.type === 'StateExited' && event.state?.name === 'Publish',
      );
      expect(publishExit?.timestamp).toBe(T0 + 10_000);
    });

    it('retries a specific error name with the synthesized Retry, taking no real or virtual time', async () => {
      const runner = dispatcher();
      const started = performance.now();

      const execution = runner.start({ posts: [{ id: 'busy', publishAt: at(5_000), busyTimes: 2 }] });
      await clock.advanceBy(60_000);

      await expect(execution.result).resolves.toEqual({ count: 1 });
      expect(callsOf('publish').map((call) => call.at)).toEqual([T0 + 5_000, T0 + 5_000, T0 + 5_000]);
      const retried = execution.events.filter((event) => event.type === 'StateRetried');
      expect(retried).toHaveLength(2);
      // The synthesized intervals are 30 s then 60 s (90 s in all): not slept.
      expect(performance.now() - started).toBeLessThan(20_000);
    });

    it('retries Lambda.ServiceException with the retrier CDK adds to every LambdaInvoke', async () => {
      const runner = dispatcher();

      const execution = runner.start({
        posts: [{ id: 'svc', publishAt: at(1_000), injectError: 'Lambda.ServiceException' }],
      });
      await clock.advanceBy(10_000);

      await expect(execution.result).resolves.toEqual({ count: 1 });
      expect(callsOf('publish')).toHaveLength(2);
      const failed = execution.events.find((event) => event.type === 'StateFailed');
      expect(failed).toMatchObject({ Error: 'Lambda.ServiceException', Cause: 'injected' });
    });

    it('catches PublishError into RecordFailure with the Lambda error and cause', async () => {
      const runner = dispatcher();

      const execution = runner.start({ posts: [{ id: 'bad', publishAt: at(2_000), reject: true }] });
      await clock.advanceBy(10_000);

      await expect(execution.result).resolves.toEqual({ count: 1 });
      const [failure] = callsOf('record');
      expect(failure?.at).toBe(T0 + 2_000);
      const event = failure?.event as {
        id: string;
        outcome: string;
        error: { Error: string; Cause: string };
      };
      expect(event).toMatchObject({ id: 'bad', outcome: 'FAILED', error: { Error: 'PublishError' } });
      expect(JSON.parse(event.error.Cause)).toMatchObject({
        errorType: 'PublishError',
        errorMessage: 'platform rejected bad',
      });
    });

    it('fails the execution with an error nothing catches, as Step Functions reports it', async () => {
      const runner = dispatcher();

      const execution = runner.start({
        posts: [{ id: 'bug', publishAt: at(1_000), injectError: 'TypeError' }],
      });
      await clock.advanceBy(10_000);

      const failure = await execution.result.catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StateMachineExecutionError);
      expect(failure).toMatchObject({ status: 'FAILED', error: 'TypeError' });
      expect(runner.describe(execution.executionArn)).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    });

    it('times the Express execution out after its TimeoutSeconds of virtual time', async () => {
      const runner = dispatcher();

      const execution = runner.start({ posts: [{ id: 'late', publishAt: at(10 * 60_000) }] });
      await clock.advanceBy(15 * 60_000);

      await expect(execution.result).rejects.toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
      expect(execution.record.stopDate).toEqual(new Date(T0 + 300_000));
      expect(callsOf('publish')).toEqual([]);
    });

    it('makes a named Wait instant on request', async () => {
      const runner = dispatcher({ waitTimeOverrides: { WaitUntilDue: 0 } });

      const execution = runner.start({ posts: [{ id: 'now', publishAt: at(3_600_000) }] });
      await clock.whenIdle();

      await expect(execution.result).resolves.toEqual({ count: 1 });
      expect(callsOf('publish').map((call) => call.at)).toEqual([T0]);
    });

    it('starts an execution at every rate(1 minute) occurrence', async () => {
      const runner = dispatcher();

      runner.scheduleEvery(60_000, { posts: [] });
      await clock.advanceBy(5 * 60_000);

      expect(runner.executions.map((record) => [record.startDate.getTime() - T0, record.status])).toEqual([
        [60_000, 'SUCCEEDED'],
        [120_000, 'SUCCEEDED'],
        [180_000, 'SUCCEEDED'],
        [240_000, 'SUCCEEDED'],
        [300_000, 'SUCCEEDED'],
      ]);
    });

    it('gives the Lambda Invoke response shape the synthesized ResultSelector reads', async () => {
      const runner = dispatcher();

      const execution = runner.start({ posts: [] });
      await clock.whenIdle();

      await expect(execution.result).resolves.toEqual({ count: 0 });
      const claimed = execution.events.find(
        (event) => event.type === 'StateExited' && event.state?.name === 'Claim',
      );
      expect(claimed?.state?.output).toEqual({ posts: [], claimedAt: new Date(T0).toISOString() });
    });
  });

  describe('the Housekeeping machine (Parallel, dynamodb:putItem against dynalite, Wait Seconds)', () => {
    let dynamo: LocalDynamo;
    beforeAll(async () => {
      dynamo = await startLocalDynamo();
    });
    afterAll(async () => {
      await dynamo.stop();
    });

    it('stores the virtual start time through the real DynamoDB integration and waits 90 virtual seconds', async () => {
      clock = new VirtualClock({ start: T0 });
      probe.reset(() => clock.nowMs());
      const runner = new LocalStateMachineRunner({
        machine: resolveStateMachine(sample.template, sample.ids.housekeeping, {
          names: { [sample.ids.table]: dynamo.tableName },
        }),
        handlers,
        sdkIntegrations: dynamoDbIntegrations(dynamo.client),
        clock,
      });
      runners.push(runner);

      const execution = runner.start({ id: 'h1' });
      await clock.advanceBy(2 * 60_000);

      const output = (await execution.result) as [unknown, { at: string; functionName: string }];
      expect(output[1]).toMatchObject({ at: at(90_000), functionName: sample.ids.echo });
      const item = await dynamo.client.send(
        new GetItemCommand({
          TableName: dynamo.tableName,
          Key: { pk: { S: 'marker#h1' }, sk: { S: 'marker' } },
        }),
      );
      expect(item.Item?.startedAt).toEqual({ S: new Date(T0).toISOString() });
    });

    it('refuses to construct without the DynamoDB integration, naming the state', () => {
      clock = new VirtualClock({ start: T0 });

      expect(
        () =>
          new LocalStateMachineRunner({
            machine: resolveStateMachine(sample.template, sample.ids.housekeeping),
            handlers,
            clock,
          }),
      ).toThrow(/States\.Both\.Branches\[0\]\.States\.SaveMarker \(arn:aws:states:::dynamodb:putItem\)/);
    });
  });

  describe('a STANDARD machine', () => {
    function housekeeping(): LocalStateMachineRunner {
      clock = new VirtualClock({ start: T0 });
      probe.reset(() => clock.nowMs());
      const runner = new LocalStateMachineRunner({
        machine: resolveStateMachine(sample.template, sample.ids.housekeeping),
        handlers,
        sdkIntegrations: { 'dynamodb:putItem': async () => ({}) },
        clock,
      });
      runners.push(runner);
      return runner;
    }

    it('stops an execution (ABORTED) and releases its Wait', async () => {
      const runner = housekeeping();
      const execution = runner.start({ id: 'h2' });
      await clock.advanceBy(10_000);

      runner.stop(execution.executionArn, { error: 'Operator', cause: 'stopped by hand' });

      await expect(execution.result).rejects.toMatchObject({ status: 'ABORTED', error: 'Operator' });
      await clock.advanceBy(5 * 60_000);
      expect(callsOf('echo')).toEqual([]);
      expect(clock.pending).toBe(0);
    });

    it('refuses a second execution with a name already used', () => {
      const runner = housekeeping();
      runner.start({ id: 'h3' }, { executionName: 'nightly' });

      expect(() => runner.start({ id: 'h3' }, { executionName: 'nightly' })).toThrow(
        'Execution already exists',
      );
    });
  });

  describe('a machine that starts another execution of itself (aws-sdk:sfn:startExecution)', () => {
    it('starts the new execution through the local runner, with $$.StateMachine.Id as the target', async () => {
      clock = new VirtualClock({ start: T0 });
      let self: LocalStateMachineRunner | undefined;
      const runner = new LocalStateMachineRunner({
        machine: {
          logicalId: 'Chain',
          name: 'Chain',
          stateMachineType: 'EXPRESS',
          definition: {
            StartAt: 'Decide',
            States: {
              Decide: {
                Type: 'Choice',
                Choices: [{ Variable: '$.depth', NumericLessThan: 2, Next: 'Again' }],
                Default: 'Done',
              },
              Again: {
                Type: 'Task',
                Resource: 'arn:aws:states:::aws-sdk:sfn:startExecution',
                Parameters: {
                  'StateMachineArn.$': '$$.StateMachine.Id',
                  'Input.$': 'States.JsonToString($.next)',
                },
                ResultSelector: { 'started.$': '$.ExecutionArn' },
                Next: 'Done',
              },
              Done: { Type: 'Succeed' },
            },
          },
        },
        handlers: {},
        sdkIntegrations: stepFunctionsIntegrations((arn) =>
          arn === self?.stateMachineArn ? self : undefined,
        ),
        clock,
      });
      self = runner;
      runners.push(runner);

      runner.start({ depth: 0, next: { depth: 1, next: { depth: 2 } } });
      await clock.whenIdle();

      expect(runner.executions.map((record) => [record.input, record.status])).toEqual([
        [{ depth: 0, next: { depth: 1, next: { depth: 2 } } }, 'SUCCEEDED'],
        [{ depth: 1, next: { depth: 2 } }, 'SUCCEEDED'],
        [{ depth: 2 }, 'SUCCEEDED'],
      ]);
      expect(runner.executions[0]?.output).toEqual({ started: runner.executions[1]?.executionArn });
    });
  });

  describe('refusals', () => {
    it('refuses to construct when a Task has no handler, listing every such state by path', async () => {
      const template = buildRefusedStack('missingEntry');
      const loaded = await loadHandlers(template, ROOT);
      const machine = resolveStateMachines1(template);

      const construct = () =>
        new LocalStateMachineRunner({ machine, handlers: loaded, clock: new VirtualClock() });

      expect(construct).toThrow(MissingTaskHandlerError);
      expect(construct).toThrow(
        /States\.ForEach\.ItemProcessor\.States\.CallOrphan \(arn:aws:states:::lambda:invoke\): no handler for function OrphanFn/,
      );
      expect(construct).not.toThrow(/CallKnown/);
    });

    it('refuses a definition with variables even when handed over directly', () => {
      const construct = () =>
        new LocalStateMachineRunner({
          machine: {
            logicalId: 'Handmade',
            name: 'Handmade',
            stateMachineType: 'STANDARD',
            definition: { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } } },
          },
          handlers: {},
          clock: new VirtualClock(),
        });

      expect(construct).toThrow(UnsupportedDefinitionError);
      expect(construct).toThrow(/States\.A\.Assign/);
    });
  });

  describe('at scale', () => {
    it('runs 200 Map items spread over 10 virtual minutes in a few real seconds', async () => {
      const bulk = buildSampleStack({ dispatcherTimeout: Duration.minutes(15) });
      const runner = dispatcher({}, bulk);
      const posts: Post[] = Array.from({ length: 200 }, (_, i) => ({
        id: `p${i}`,
        publishAt: at(60_000 + i * 3_000),
      }));
      const started = performance.now();

      const execution = runner.start({ posts });
      const summary = await clock.advanceBy(12 * 60_000);
      const elapsed = performance.now() - started;

      await expect(execution.result).resolves.toEqual({ count: 200 });
      expect(callsOf('publish').map((call) => call.at)).toEqual(
        posts.map((post) => Date.parse(post.publishAt)),
      );
      expect(summary.timersFired).toBeGreaterThanOrEqual(200);
      // 12 virtual minutes, not slept: far under that even on a loaded machine.
      expect(elapsed).toBeLessThan(25_000);
    });

    it('honours MaxConcurrency: an item waits for a free slot, as an inline Map does', async () => {
      const serial = buildSampleStack({ mapMaxConcurrency: 1 });
      const runner = dispatcher({}, serial);

      const execution = runner.start({
        posts: [
          { id: 'late', publishAt: at(60_000) },
          { id: 'early', publishAt: at(30_000) },
        ],
      });
      await clock.advanceBy(2 * 60_000);

      await expect(execution.result).resolves.toEqual({ count: 2 });
      // One at a time: the second item only starts (and finds its instant past) after the first.
      expect(
        callsOf('publish').map((call) => [(call.event as { post: Post }).post.id, call.at - T0]),
      ).toEqual([
        ['late', 60_000],
        ['early', 60_000],
      ]);
    });
  });
});

function resolveStateMachines1(template: unknown) {
  const resources = (template as { Resources: Record<string, { Type: string }> }).Resources;
  const id = Object.keys(resources).find(
    (key) => resources[key]?.Type === 'AWS::StepFunctions::StateMachine',
  )!;
  return resolveStateMachine(template, id);
}
