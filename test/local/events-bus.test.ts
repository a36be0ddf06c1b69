import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import {
  type DeadLetter,
  type EventEnvelope,
  LocalEventBus,
  type LocalRule,
  type LocalRuleTarget,
  UnsupportedRuleError,
} from '../../local/events/bus.ts';
import { type LocalHandler, SimulatedServiceError } from '../../local/lambda.ts';
import { EventPublishError } from '../../shared/eventbridge.ts';
import { EVENT_SOURCE, makeEvent, type PulsecastEvent } from '../../shared/events.ts';

const START = Date.parse('2026-03-02T09:00:00.250Z');

function postFailed(postId = 'p1', platform: 'x' | 'bluesky' = 'x'): PulsecastEvent {
  return makeEvent('Post Failed', {
    eventId: `failed-${postId}`,
    occurredAt: '2026-03-02T09:00:00.000Z',
    postId,
    channel: 'main',
    platform,
    scheduledAt: '2026-03-02T09:00:00.000Z',
    reason: 'rate limited',
    errorKind: 'RATE_LIMITED',
  });
}

function digestReady(): PulsecastEvent {
  return makeEvent('Digest Ready', {
    eventId: 'digest-1',
    occurredAt: '2026-03-02T09:00:00.000Z',
    period: 'daily',
    digestId: 'd1',
  });
}

/** A handler that records what it receives and fails as told. */
function recorder(failures: Array<Error | undefined> = []) {
  const calls: { event: unknown; at: string; functionName: string }[] = [];
  let clock: VirtualClock | undefined;
  const handler: LocalHandler = async (event, context) => {
    calls.push({ event, at: clock?.now().toISOString() ?? '', functionName: context.functionName });
    const failure = failures.shift();
    if (failure) throw failure;
    return { ok: true };
  };
  return { calls, handler, bind: (c: VirtualClock) => (clock = c) };
}

const onFailures: LocalRule = {
  name: 'OnPostFailed',
  eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Post Failed'] },
  targets: [{ id: 'Notify', functionLogicalId: 'Notifier' }],
};

/** `onFailures` with its one target given more settings. */
function onFailuresWith(target: Partial<LocalRuleTarget>): LocalRule {
  return { ...onFailures, targets: [{ id: 'Notify', functionLogicalId: 'Notifier', ...target }] };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulsecast-bus-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

describe('LocalEventBus: publishing', () => {
  it('delivers the EventBridge envelope to the target, after publish has returned', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const notifier = recorder();
    notifier.bind(clock);
    const bus = new LocalEventBus({ clock, handlers: { Notifier: notifier.handler }, rules: [onFailures] });
    // act
    await bus.publish([postFailed()]);
    const callsRightAfterPublish = notifier.calls.length;
    await clock.whenIdle();
    // assert
    expect(callsRightAfterPublish).toBe(0);
    expect(notifier.calls).toHaveLength(1);
    const envelope = notifier.calls[0]!.event as EventEnvelope;
    expect(envelope).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Post Failed',
      source: 'pulsecast',
      account: '000000000000',
      time: '2026-03-02T09:00:00Z',
      region: 'local',
      resources: [],
      detail: expect.objectContaining({ version: 1, postId: 'p1', platform: 'x', reason: 'rate limited' }),
    });
    expect(notifier.calls[0]!.functionName).toBe('Notifier');
    expect(bus.deliveries).toEqual([
      expect.objectContaining({ rule: 'OnPostFailed', target: 'Notify', eventId: envelope.id, attempt: 1 }),
    ]);
  });

  it('delivers only to enabled rules whose pattern matches, once per target', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const a = recorder();
    const b = recorder();
    const rules: LocalRule[] = [
      {
        name: 'OnX',
        eventPattern: { 'detail-type': ['Post Failed'], detail: { platform: ['x'] } },
        targets: [
          { id: 'Whole', functionLogicalId: 'A' },
          { id: 'DetailOnly', functionLogicalId: 'B', input: { kind: 'path', path: '$.detail' } },
        ],
      },
      {
        name: 'Disabled',
        enabled: false,
        eventPattern: { source: ['pulsecast'] },
        targets: [{ id: 'Never', functionLogicalId: 'A' }],
      },
      {
        name: 'Digests',
        eventPattern: { 'detail-type': ['Digest Ready'] },
        targets: [
          { id: 'Constant', functionLogicalId: 'B', input: { kind: 'constant', value: { kind: 'digest' } } },
        ],
      },
    ];
    const bus = new LocalEventBus({ clock, handlers: { A: a.handler, B: b.handler }, rules });
    // act
    await bus.publish([postFailed('p1', 'x'), postFailed('p2', 'bluesky'), digestReady()]);
    await clock.whenIdle();
    // assert
    expect(a.calls.map((call) => (call.event as EventEnvelope).detail.postId)).toEqual(['p1']);
    expect(b.calls.map((call) => call.event)).toEqual([
      expect.objectContaining({ postId: 'p1', platform: 'x' }),
      { kind: 'digest' },
    ]);
    expect(bus.deliveries.map((d) => `${d.rule}/${d.target}`)).toEqual([
      'OnX/Whole',
      'OnX/DetailOnly',
      'Digests/Constant',
    ]);
  });

  it('gives each target its own copy of the event', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const seen: unknown[] = [];
    const mutating: LocalHandler = (event) => {
      (event as EventEnvelope).detail.postId = 'changed';
      return undefined;
    };
    const reading: LocalHandler = (event) => {
      seen.push((event as EventEnvelope).detail.postId);
      return undefined;
    };
    const bus = new LocalEventBus({
      clock,
      handlers: { M: mutating, R: reading },
      rules: [
        {
          name: 'Both',
          eventPattern: { source: ['pulsecast'] },
          targets: [
            { id: 'First', functionLogicalId: 'M' },
            { id: 'Second', functionLogicalId: 'R' },
          ],
        },
      ],
    });
    // act
    await bus.publish([postFailed()]);
    await clock.whenIdle();
    // assert
    expect(seen).toEqual(['p1']);
  });

  it('refuses an entry over 256 KB and still accepts the others', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const notifier = recorder();
    const bus = new LocalEventBus({ clock, handlers: { Notifier: notifier.handler }, rules: [onFailures] });
    const huge = postFailed('huge');
    (huge.detail as { reason: string }).reason = 'x'.repeat(300 * 1024);
    // act
    const published = bus.publish([huge, postFailed('small')]);
    // assert
    await expect(published).rejects.toThrow(EventPublishError);
    await clock.whenIdle();
    expect(notifier.calls.map((call) => (call.event as EventEnvelope).detail.postId)).toEqual(['small']);
  });

  it('refuses rules it cannot run, listing every problem', () => {
    const clock = new VirtualClock({ start: START });
    const construct = () =>
      new LocalEventBus({
        clock,
        handlers: {},
        rules: [
          {
            name: 'Bad',
            eventPattern: { detail: { state: [{ contains: 'x' }] } },
            targets: [{ id: 'T', functionLogicalId: 'Missing', input: { kind: 'path', path: 'detail' } }],
          },
        ],
      });
    expect(construct).toThrow(UnsupportedRuleError);
    expect(construct).toThrow(
      /unsupported operator "contains"[\s\S]*no handler for function Missing[\s\S]*InputPath detail/,
    );
  });
});

describe('LocalEventBus: retries and dead letters', () => {
  it('retries a function error one minute and then two minutes later (Lambda asynchronous invocation)', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const notifier = recorder([new Error('Slack is down'), new Error('Slack is down')]);
    notifier.bind(clock);
    const bus = new LocalEventBus({ clock, handlers: { Notifier: notifier.handler }, rules: [onFailures] });
    // act
    await bus.publish([postFailed()]);
    await clock.advanceBy(10 * 60_000);
    // assert
    expect(notifier.calls.map((call) => call.at)).toEqual([
      '2026-03-02T09:00:00.250Z',
      '2026-03-02T09:01:00.250Z',
      '2026-03-02T09:03:00.250Z',
    ]);
    expect(bus.failedAttempts.map((f) => [f.attempt, f.kind, f.error.message])).toEqual([
      [1, 'function-error', 'Slack is down'],
      [2, 'function-error', 'Slack is down'],
    ]);
    expect(bus.deliveries).toEqual([expect.objectContaining({ attempt: 3, at: '2026-03-02T09:03:00.250Z' })]);
    expect(bus.deadLetters).toEqual([]);
    expect(bus.inFlight).toBe(0);
  });

  it('writes what still fails after the retries to the dead-letter file', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const failing: LocalHandler = () => {
      throw new TypeError('cannot read webhook');
    };
    const seen: DeadLetter[] = [];
    const deadLetterPath = join(dir, 'nested', 'dead-letters.jsonl');
    const bus = new LocalEventBus({
      clock,
      handlers: { Notifier: failing },
      rules: [onFailures],
      deadLetterPath,
      onDeadLetter: (letter) => seen.push(letter),
    });
    // act
    await bus.publish([postFailed()]);
    await clock.advanceBy(10 * 60_000);
    // assert
    const letters = await readLines<DeadLetter>(deadLetterPath);
    expect(letters).toEqual([
      expect.objectContaining({
        rule: 'OnPostFailed',
        target: 'Notify',
        functionLogicalId: 'Notifier',
        kind: 'function-error',
        attempts: 3,
        error: { name: 'TypeError', message: 'cannot read webhook' },
        failedAt: '2026-03-02T09:03:00.250Z',
        event: expect.objectContaining({ 'detail-type': 'Post Failed' }),
      }),
    ]);
    expect(letters[0]!.destination).toBeUndefined();
    expect(bus.deadLetters).toEqual(letters);
    expect(seen).toHaveLength(1);
  });

  it('honours a configured number of function-error retries', async () => {
    const clock = new VirtualClock({ start: START });
    const notifier = recorder([new Error('no'), new Error('no'), new Error('no')]);
    const bus = new LocalEventBus({
      clock,
      handlers: { Notifier: notifier.handler },
      rules: [onFailures],
      asyncInvokeConfigs: { Notifier: { maximumRetryAttempts: 0, onFailure: 'FailureQueue' } },
    });
    await bus.publish([postFailed()]);
    await clock.advanceBy(10 * 60_000);
    expect(notifier.calls).toHaveLength(1);
    expect(bus.deadLetters).toEqual([expect.objectContaining({ attempts: 1, destination: 'FailureQueue' })]);
  });

  it("retries a delivery failure under the target's RetryPolicy with exponential backoff", async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const throttled = recorder(
      Array.from({ length: 10 }, () => new SimulatedServiceError('Lambda.TooManyRequestsException')),
    );
    throttled.bind(clock);
    const bus = new LocalEventBus({
      clock,
      handlers: { Notifier: throttled.handler },
      rules: [
        onFailuresWith({ retryPolicy: { maximumRetryAttempts: 3 }, deadLetterQueue: 'RuleDeadLetters' }),
      ],
    });
    // act
    await bus.publish([postFailed()]);
    await clock.advanceBy(60_000);
    // assert
    expect(throttled.calls.map((call) => call.at.slice(17))).toEqual([
      '00.250Z',
      '01.250Z',
      '03.250Z',
      '07.250Z',
    ]);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({
        kind: 'delivery-failure',
        attempts: 4,
        destination: 'RuleDeadLetters',
        error: { name: 'Lambda.TooManyRequestsException', message: 'Lambda.TooManyRequestsException' },
      }),
    ]);
  });

  it('stops retrying a delivery failure once the event reaches its maximum age', async () => {
    const clock = new VirtualClock({ start: START });
    const throttled = recorder(
      Array.from({ length: 20 }, () => new SimulatedServiceError('Lambda.ServiceException')),
    );
    const bus = new LocalEventBus({
      clock,
      handlers: { Notifier: throttled.handler },
      rules: [onFailuresWith({ retryPolicy: { maximumEventAgeSeconds: 60 } })],
    });
    await bus.publish([postFailed()]);
    await clock.advanceBy(10 * 60_000);
    // Attempts at 0, 1, 3, 7, 15 and 31 s; the next would be at 63 s, past the 60 s.
    expect(throttled.calls).toHaveLength(6);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({ reason: 'the event reached its maximum age', attempts: 6 }),
    ]);
  });

  it('dead-letters an event whose InputPath selects nothing', async () => {
    const clock = new VirtualClock({ start: START });
    const notifier = recorder();
    const bus = new LocalEventBus({
      clock,
      handlers: { Notifier: notifier.handler },
      rules: [onFailuresWith({ id: 'T', input: { kind: 'path', path: '$.detail.nothing' } })],
    });
    await bus.publish([postFailed()]);
    await clock.whenIdle();
    expect(notifier.calls).toHaveLength(0);
    expect(bus.deadLetters).toEqual([expect.objectContaining({ kind: 'input', attempts: 0 })]);
  });
});

describe('LocalEventBus: archive and replay', () => {
  it('archives the events its archive pattern keeps, as JSON lines', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const archivePath = join(dir, 'events.jsonl');
    const bus = new LocalEventBus({
      clock,
      handlers: {},
      rules: [],
      archivePath,
      archivePattern: { 'detail-type': ['Post Failed'] },
    });
    // act
    await bus.publish([postFailed('p1'), digestReady()]);
    await clock.advanceBy(3_600_000);
    await bus.publish([postFailed('p2')]);
    // assert
    const archived = await readLines<EventEnvelope>(archivePath);
    expect(archived.map((e) => [e.time, e.detail.postId])).toEqual([
      ['2026-03-02T09:00:00Z', 'p1'],
      ['2026-03-02T10:00:00Z', 'p2'],
    ]);
    expect(bus.archived).toEqual(archived);
  });

  it('replays a time range of the archive to the rules, with replay-name set', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const archivePath = join(dir, 'events.jsonl');
    const notifier = recorder();
    const other = recorder();
    const rules: LocalRule[] = [
      onFailures,
      {
        name: 'Other',
        eventPattern: { source: ['pulsecast'] },
        targets: [{ id: 'O', functionLogicalId: 'Other' }],
      },
    ];
    const handlers = { Notifier: notifier.handler, Other: other.handler };
    const first = new LocalEventBus({ clock, handlers, rules, archivePath });
    await first.publish([postFailed('p1')]);
    await clock.advanceBy(3_600_000);
    await first.publish([postFailed('p2')]);
    await clock.whenIdle();
    // A later bus (local mode restarted) reads the same archive file.
    const second = new LocalEventBus({ clock, handlers, rules, archivePath });
    notifier.calls.length = 0;
    other.calls.length = 0;
    // act
    const replayed = await second.replay(
      Date.parse('2026-03-02T09:30:00Z'),
      Date.parse('2026-03-02T11:00:00Z'),
      {
        name: 'fix-notifier',
        rules: ['OnPostFailed'],
      },
    );
    await clock.whenIdle();
    // assert
    expect(replayed).toBe(1);
    expect(other.calls).toHaveLength(0);
    expect(notifier.calls.map((call) => call.event)).toEqual([
      expect.objectContaining({
        'replay-name': 'fix-notifier',
        detail: expect.objectContaining({ postId: 'p2' }),
      }),
    ]);
    expect(second.deliveries).toEqual([expect.objectContaining({ replayName: 'fix-notifier' })]);
    expect(await readLines(archivePath)).toHaveLength(2);
  });

  it('replays what a crash in the middle of an append left whole', async () => {
    // prepare: p2's line cut short by a crash, p3 appended after it by the next run, p4 cut short
    const clock = new VirtualClock({ start: START });
    const archivePath = join(dir, 'events.jsonl');
    const notifier = recorder();
    const handlers = { Notifier: notifier.handler };
    const first = new LocalEventBus({ clock, handlers, rules: [onFailures], archivePath });
    await first.publish([postFailed('p1'), postFailed('p2')]);
    await clock.whenIdle();
    const [p1, p2] = (await readFile(archivePath, 'utf8')).split('\n') as [string, string];
    await writeFile(archivePath, `${p1}\n${p2.slice(0, 40)}`);
    const second = new LocalEventBus({ clock, handlers, rules: [onFailures], archivePath });
    await second.publish([postFailed('p3')]);
    await clock.whenIdle();
    await appendFile(archivePath, (await readFile(archivePath, 'utf8')).split('\n')[0]?.slice(0, 25) ?? '');
    notifier.calls.length = 0;
    // act
    const replayed = await second.replay(START - 60_000, START + 60_000, { name: 'after-crash' });
    await clock.whenIdle();
    // assert
    expect(replayed).toBe(2);
    expect(notifier.calls.map((call) => (call.event as EventEnvelope).detail.postId)).toEqual(['p1', 'p3']);
  });
});

/** A small stack with the shapes CDK synthesizes for buses, archives, rules and Lambda targets. */
function synthBus() {
  const app = new App();
  const stack = new Stack(app, 'Bus');
  const bus = new events.EventBus(stack, 'Bus');
  bus.archive('Archive', { eventPattern: { source: [EVENT_SOURCE] }, retention: Duration.days(30) });
  const inline = lambda.Code.fromInline('exports.handler = async () => {};');
  const notifier = new lambda.Function(stack, 'Notifier', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: inline,
    retryAttempts: 1,
  });
  const digest = new lambda.Function(stack, 'Digest', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: inline,
  });
  const dlq = new sqs.Queue(stack, 'RuleDeadLetters');
  new events.Rule(stack, 'OnPostFailed', {
    eventBus: bus,
    eventPattern: { source: [EVENT_SOURCE], detailType: ['Post Failed'] },
    targets: [
      new eventTargets.LambdaFunction(notifier, {
        deadLetterQueue: dlq,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
      new eventTargets.LambdaFunction(digest, { event: events.RuleTargetInput.fromEventPath('$.detail') }),
    ],
  });
  new events.Rule(stack, 'Paused', {
    eventBus: bus,
    enabled: false,
    eventPattern: { source: [EVENT_SOURCE] },
    targets: [new eventTargets.LambdaFunction(digest)],
  });
  new events.Rule(stack, 'OnDefaultBus', {
    eventPattern: { source: ['aws.health'] },
    targets: [new eventTargets.LambdaFunction(digest)],
  });
  const id = (construct: { node: { defaultChild?: unknown } }): string =>
    stack.getLogicalId(construct.node.defaultChild as never);
  return {
    template: Template.fromStack(stack).toJSON(),
    ids: { bus: id(bus), notifier: id(notifier), digest: id(digest), dlq: id(dlq) },
  };
}

describe('LocalEventBus.fromTemplate', () => {
  const { template, ids } = synthBus();

  it('runs the rules of the bus with their patterns, states, targets and retry settings', async () => {
    // prepare
    const clock = new VirtualClock({ start: START });
    const notifier = recorder([new Error('down'), new Error('down')]);
    notifier.bind(clock);
    const digest = recorder();
    const archivePath = join(dir, 'archive.jsonl');
    const bus = LocalEventBus.fromTemplate(template, {
      clock,
      handlers: { [ids.notifier]: notifier.handler, [ids.digest]: digest.handler },
      names: { [ids.bus]: 'pulsecast-local' },
      archivePath,
    });
    // act
    await bus.publish([postFailed(), digestReady()]);
    await clock.advanceBy(10 * 60_000);
    // assert
    expect(bus.busName).toBe('pulsecast-local');
    expect(bus.ruleNames).toEqual([expect.stringMatching(/^OnPostFailed/), expect.stringMatching(/^Paused/)]);
    expect(bus.ignoredRules).toEqual([
      { logicalId: expect.stringMatching(/^OnDefaultBus/), reason: expect.stringContaining('another bus') },
    ]);
    // The function's EventInvokeConfig allows one retry: two attempts, then the dead letter.
    expect(notifier.calls.map((call) => call.at)).toEqual([
      '2026-03-02T09:00:00.250Z',
      '2026-03-02T09:01:00.250Z',
    ]);
    expect(bus.deadLetters).toEqual([expect.objectContaining({ kind: 'function-error', attempts: 2 })]);
    // InputPath $.detail; the Paused rule delivers nothing.
    expect(digest.calls.map((call) => call.event)).toEqual([
      expect.objectContaining({ postId: 'p1', version: 1 }),
    ]);
    expect((await readLines(archivePath)).length).toBe(2);
  });

  it("sends delivery failures to the target's dead-letter queue after its RetryPolicy", async () => {
    const clock = new VirtualClock({ start: START });
    const throttled = recorder(
      Array.from({ length: 10 }, () => new SimulatedServiceError('Lambda.ServiceException')),
    );
    const bus = LocalEventBus.fromTemplate(template, {
      clock,
      handlers: { [ids.notifier]: throttled.handler, [ids.digest]: recorder().handler },
    });
    await bus.publish([postFailed()]);
    await clock.advanceBy(10 * 60_000);
    expect(throttled.calls).toHaveLength(4);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({ kind: 'delivery-failure', destination: ids.dlq, attempts: 4 }),
    ]);
  });

  it('refuses what it cannot run as synthesized, listing every problem', () => {
    // prepare
    const broken = structuredClone(template) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const [ruleId, rule] = Object.entries(broken.Resources).find(([id]) => id.startsWith('OnPostFailed'))!;
    rule.Properties.EventPattern = { detail: { kind: [{ contains: 'x' }] } };
    (rule.Properties.Targets as Record<string, unknown>[]).push(
      { Id: 'Queue', Arn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
      {
        Id: 'Shaped',
        Arn: { 'Fn::GetAtt': [ids.digest, 'Arn'] },
        InputTransformer: { InputTemplate: '"<id>"', InputPathsMap: { id: '$.id' } },
      },
    );
    const clock = new VirtualClock({ start: START });
    // act
    const build = () =>
      LocalEventBus.fromTemplate(broken, { clock, handlers: { [ids.digest]: recorder().handler } });
    // assert
    expect(build).toThrow(UnsupportedRuleError);
    let message = '';
    try {
      build();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      `Resources.${ruleId}.Properties.Targets[2] (Queue): only Lambda function targets`,
    );
    expect(message).toContain('(Shaped): InputTransformer is not supported locally');
    expect(message).toContain(
      `Resources.${ruleId}.Properties.EventPattern: detail.kind[0]: unsupported operator "contains"`,
    );
    expect(message).toContain(`no handler for function ${ids.notifier}`);
  });

  it('asks which bus when the template has several', () => {
    const two = structuredClone(template) as { Resources: Record<string, unknown> };
    two.Resources.SecondBus = { Type: 'AWS::Events::EventBus', Properties: { Name: 'second' } };
    const clock = new VirtualClock({ start: START });
    expect(() => LocalEventBus.fromTemplate(two, { clock, handlers: {} })).toThrow(/pass options\.bus/);
    expect(LocalEventBus.fromTemplate(two, { clock, handlers: {}, bus: 'SecondBus' }).ruleNames).toEqual([]);
  });
});
