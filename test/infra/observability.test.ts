import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  alertEmailsFromContext,
  observabilityLevelFromContext,
  PulsecastObservability,
} from '../../infra/constructs/observability.ts';
import { synthPulsecast } from './helpers.ts';

// Most of this file reads the `full` level (everything basic has, and more); the `basic` block
// below reads the default.
const synth = synthPulsecast({ context: { observability: 'full' } });
const { stack, template } = synth;
const observability = stack.observability;

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources: Record<string, Resource> = Object.fromEntries(
  Object.entries(template.toJSON().Resources as Record<string, Partial<Resource>>).map(([id, resource]) => [
    id,
    { Type: String(resource.Type), Properties: resource.Properties ?? {} },
  ]),
);
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

const topic = { Ref: synth.logicalId(observability.alarmTopic) };
const SERVICE = [{ Name: 'service', Value: stack.stackName }];

/** The alarm named `<stack>-<name>`, as synthesized. */
function alarm(name: string): Record<string, unknown> {
  const found = ofType('AWS::CloudWatch::Alarm').find(
    ([, resource]) => resource.Properties.AlarmName === `${stack.stackName}-${name}`,
  );
  if (!found) throw new Error(`no alarm ${stack.stackName}-${name}`);
  return found[1].Properties;
}

/** Logical ids referenced with `Fn::GetAtt [id, 'Arn']` anywhere below a dead-letter / on-failure / redrive setting. */
function deadLetterReferences(value: unknown, under = false, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) deadLetterReferences(item, under, found);
  } else if (value && typeof value === 'object') {
    const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
    if (under && Array.isArray(getAtt) && getAtt[1] === 'Arn') found.add(String(getAtt[0]));
    for (const [key, child] of Object.entries(value)) {
      deadLetterReferences(
        child,
        under || /DeadLetter|OnFailure|RedrivePolicy|deadLetterTargetArn/.test(key),
        found,
      );
    }
  }
  return found;
}

/** The dashboard's widgets, with every CloudFormation token in its body replaced by a placeholder. */
function dashboardWidgets(): { type: string; properties: Record<string, unknown> }[] {
  const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0] ?? [];
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: { type: string; properties: Record<string, unknown> }[] }).widgets;
}

describe('PulsecastObservability: asynchronous paths', () => {
  it('gives every EventBridge Scheduler target a dead-letter queue and a retry policy', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules.length).toBeGreaterThan(0);
    for (const [id, schedule] of schedules) {
      const target = schedule.Properties.Target as Record<string, unknown>;
      expect(target, id).toMatchObject({
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number) },
      });
      const [queueId] = (target.DeadLetterConfig as { Arn: { 'Fn::GetAtt': string[] } }).Arn['Fn::GetAtt'];
      expect(resources[String(queueId)]?.Type, id).toBe('AWS::SQS::Queue');
    }
  });

  it('gives every event-rule target a dead-letter queue and a retry policy', () => {
    const rules = ofType('AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [id, rule] of rules) {
      const targets = (rule.Properties.Targets ?? []) as Record<string, unknown>[];
      for (const target of targets) {
        expect(target, id).toMatchObject({
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
          RetryPolicy: expect.anything(),
        });
      }
    }
  });

  it('hands every failed asynchronous invocation of a function (from a schedule or a rule) to a queue', () => {
    // Scheduler and EventBridge invoke Lambda asynchronously: their dead-letter queues only catch
    // failures to invoke. A failure inside the function needs the function's own on-failure
    // destination (or DLQ), or it is dropped after Lambda's retries.
    const invokedAsync = new Set<string>();
    const functionArn = (arn: unknown) => {
      const getAtt = (arn as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt'];
      if (getAtt && resources[String(getAtt[0])]?.Type === 'AWS::Lambda::Function') {
        invokedAsync.add(String(getAtt[0]));
      }
    };
    for (const [, schedule] of ofType('AWS::Scheduler::Schedule')) {
      functionArn((schedule.Properties.Target as { Arn?: unknown }).Arn);
    }
    for (const [, rule] of ofType('AWS::Events::Rule')) {
      for (const target of (rule.Properties.Targets ?? []) as { Arn?: unknown }[]) functionArn(target.Arn);
    }
    const covered = new Set<string>();
    for (const [, config] of ofType('AWS::Lambda::EventInvokeConfig')) {
      const onFailure = (config.Properties.DestinationConfig as { OnFailure?: unknown } | undefined)
        ?.OnFailure;
      if (onFailure) covered.add(String((config.Properties.FunctionName as { Ref: string }).Ref));
    }
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      if (fn.Properties.DeadLetterConfig) covered.add(id);
    }

    const uncovered = [...invokedAsync].filter((id) => !covered.has(id)).sort();
    expect(invokedAsync.size).toBeGreaterThan(1);
    expect(uncovered).toEqual([]);
  });

  it('finds every dead-letter queue of the stack and alarms on its depth', () => {
    const referenced = new Set<string>();
    for (const [, resource] of Object.entries(resources))
      deadLetterReferences(resource.Properties, false, referenced);
    const deadLetterQueues = [...referenced].filter((id) => resources[id]?.Type === 'AWS::SQS::Queue').sort();

    expect(deadLetterQueues).toContain(synth.logicalId(stack.publishing.deadLetterQueue));
    expect(deadLetterQueues).toContain(synth.logicalId(stack.notifying.deadLetterQueue));
    expect(observability.deadLetterQueues.map((queue) => synth.logicalId(queue)).sort()).toEqual(
      deadLetterQueues,
    );
    for (const queueId of deadLetterQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
    }
  });

  it('logs and traces every state machine, and alarms on its failed or timed-out executions', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines.length).toBeGreaterThan(1);
    for (const [id, machine] of machines) {
      expect(machine.Properties, id).toMatchObject({
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', Destinations: [expect.anything()] },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/States',
                MetricName: 'ExecutionsFailed',
                Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }],
              },
            }),
          }),
          Match.objectLike({
            MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }),
          }),
        ]),
        Threshold: 0,
        AlarmActions: [topic],
      });
    }
  });

  it('gives every log group a retention period, and every function a log group of its own', () => {
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(0);
    for (const [id, group] of logGroups) {
      expect(group.Properties.RetentionInDays, id).toEqual(expect.any(Number));
    }
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const { Ref } =
        (fn.Properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup ?? {};
      expect(resources[String(Ref)]?.Type, id).toBe('AWS::Logs::LogGroup');
    }
  });
});

describe('PulsecastObservability: alarms', () => {
  // Each on a Pulsecast metric of this service; a period without data is no breach.
  it.each([
    {
      what: 'any failed publish in 5 minutes',
      id: 'PublishFailed',
      expected: {
        MetricName: 'PostsFailed',
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
      },
    },
    {
      what: 'any unknown outcome in 5 minutes',
      id: 'PublishUnknown',
      expected: { MetricName: 'PostsUnknown', Statistic: 'Sum', Period: 300, Threshold: 0 },
    },
    {
      what: 'the p99 publish lateness over 15 minutes exceeding 60 seconds',
      id: 'DispatcherLate',
      expected: {
        MetricName: 'PublishLatenessSeconds',
        ExtendedStatistic: 'p99',
        Period: 900,
        Threshold: 60,
      },
    },
  ])('alarms on $what', ({ id, expected }) => {
    expect(alarm(id)).toMatchObject({
      Namespace: 'Pulsecast',
      Dimensions: SERVICE,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...expected,
    });
  });

  it('alarms on failed or timed-out Dispatcher executions, and on a Dispatcher that stopped starting', () => {
    const dispatcher = { Ref: synth.logicalId(stack.publishing.stateMachine) };
    const failed = alarm('DispatcherFailed');
    expect(failed).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(failed.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)', ReturnData: true }),
        expect.objectContaining({
          Id: 'failed',
          MetricStat: expect.objectContaining({
            Metric: {
              Namespace: 'AWS/States',
              MetricName: 'ExecutionsFailed',
              Dimensions: [{ Name: 'StateMachineArn', Value: dispatcher }],
            },
            Stat: 'Sum',
            Period: 300,
          }),
        }),
        expect.objectContaining({
          Id: 'timedOut',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'ExecutionsTimedOut' }),
          }),
        }),
      ]),
    );
    expect(alarm('DispatcherStalled')).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsStarted',
      Dimensions: [{ Name: 'StateMachineArn', Value: dispatcher }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on API 5xx and on errors of every function', () => {
    expect(alarm('ApiServerErrors')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: synth.logicalId(stack.api.httpApi) } }],
      Threshold: 0,
    });
    for (const [id] of ofType('AWS::Lambda::Function')) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
        Threshold: 0,
        AlarmActions: [topic],
      });
    }
  });

  it('notifies the alarm topic of every alarm and its return to OK, under names the topic policy admits', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(Object.keys(observability.alarms).length);
    for (const [id, resource] of alarms) {
      expect(resource.Properties, id).toMatchObject({
        AlarmName: expect.stringMatching(new RegExp(`^${stack.stackName}-`)),
        AlarmDescription: expect.stringMatching(/.{40,}/),
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  });
});

describe('PulsecastObservability: the alarm topic', () => {
  it('is encrypted with a rotated key of its own that CloudWatch may use for this stack’s alarms', () => {
    const keyId = synth.logicalId(observability.alarmTopicKey);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const sourceArn = Match.objectLike({
      'Fn::Join': ['', Match.arrayWith([`:alarm:${stack.stackName}-*`])],
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': sourceArn },
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': sourceArn } }),
          }),
        ]),
      },
    });
  });

  it('has no subscription without alertEmails, and one email subscription per address given', () => {
    expect(ofType('AWS::SNS::Subscription')).toEqual([]);

    // The same context key routes notifications by email too, which then needs a sender.
    const withEmails = synthPulsecast({
      context: { alertEmails: 'ops@example.com, oncall@example.org', senderAddress: 'notify@example.com' },
    });
    const subscriptions = withEmails.template.findResources('AWS::SNS::Subscription');
    expect(Object.values(subscriptions).map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([
      ['email', 'ops@example.com'],
      ['email', 'oncall@example.org'],
    ]);
  });

  it('refuses at synth an alert address that is not one', () => {
    const scope = new Stack(new App(), 'Careless');
    const dispatcher = new sfn.StateMachine(scope, 'Dispatcher', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(scope, 'Nothing')),
    });

    expect(
      () =>
        new PulsecastObservability(scope, 'Observability', {
          dispatcher,
          alertEmails: ['ops@example.com', 'not-an-address'],
        }),
    ).toThrow(/"not-an-address" in alertEmails is not an email address/);
  });

  it('reads alertEmails from context as a comma-separated list or an array', () => {
    const app = new App({ context: { alertEmails: ' ops@example.com,,oncall@example.org ' } });
    expect(alertEmailsFromContext(app)).toEqual(['ops@example.com', 'oncall@example.org']);
    expect(alertEmailsFromContext(new App({ context: { alertEmails: ['a@example.com'] } }))).toEqual([
      'a@example.com',
    ]);
    expect(alertEmailsFromContext(new App())).toEqual([]);
    expect(() => alertEmailsFromContext(new App({ context: { alertEmails: 42 } }))).toThrow(
      /alertEmails must be/,
    );
  });
});

describe('PulsecastObservability: dashboard', () => {
  it('is named after the stack and shows publishing, the Dispatcher, the queues, the API and the functions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: stack.stackName });
    const widgets = dashboardWidgets();
    expect(widgets.map((widget) => widget.properties.title)).toEqual([
      'Alarms',
      'Posts published, failed, unknown, rescheduled',
      'Publish lateness (seconds after scheduledAt)',
      'Dispatcher executions',
      'Dispatcher claims and recovery',
      'Dead-letter queues (messages waiting)',
      'Workflow executions failed or timed out',
      'API requests, 4xx and 5xx',
      'API latency (ms)',
      'Lambda errors',
      'Lambda throttles',
      'Metrics collected and notifications sent',
      'Schedules (per schedule group)',
    ]);
    const metricsOf = (title: string) =>
      JSON.stringify(widgets.find((widget) => widget.properties.title === title)?.properties.metrics);
    for (const name of ['PostsPublished', 'PostsFailed', 'PostsUnknown', 'PostsRescheduled']) {
      expect(metricsOf('Posts published, failed, unknown, rescheduled')).toContain(`"${name}"`);
    }
    expect(metricsOf('Publish lateness (seconds after scheduledAt)')).toMatch(/"stat":"p50".*"stat":"p99"/);
    expect(metricsOf('API requests, 4xx and 5xx')).toMatch(/"4xx".*"5xx"/);
    expect(metricsOf('Lambda throttles')).toContain('"Throttles"');
    // The Collector's snapshots, and the notifier's messages per channel (the handlers' dimensions).
    const collectedAndSent = metricsOf('Metrics collected and notifications sent');
    expect(collectedAndSent).toContain('"MetricsCollected","service"');
    for (const channel of ['slack', 'email']) {
      expect(collectedAndSent).toContain(`"NotificationsSent","channel","${channel}","service"`);
    }
  });
});

describe('PulsecastObservability: the handlers’ side', () => {
  it('sets the Powertools service name (the stack), metrics namespace and log level on every function', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      expect(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
        id,
      ).toMatchObject({
        POWERTOOLS_SERVICE_NAME: stack.stackName,
        POWERTOOLS_METRICS_NAMESPACE: 'Pulsecast',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    }
  });
});

describe('PulsecastObservability: built last', () => {
  it('fails the synth for a dead-letter queue added after it, instead of leaving it without an alarm', () => {
    expect(() =>
      synthPulsecast({
        nag: false,
        customize: (late) => {
          const deadLetters = new sqs.Queue(late, 'LateDeadLetters', { retentionPeriod: Duration.days(14) });
          new sqs.Queue(late, 'LateWork', { deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 } });
        },
      }),
    ).toThrow(/LateDeadLetters was added after .*Observability, so it has no alarm/);
  });
});

describe('PulsecastObservability: levels', () => {
  const basic = synthPulsecast({ nag: false });
  const basicAlarms = Object.values(
    basic.template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >,
  ).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
  const names = basicAlarms.map((resource) => String(resource.Properties.AlarmName)).sort();

  it('is basic by default: the alarms about lost or failed posts, every dead-letter queue, no dashboard', () => {
    const prefix = `${basic.stack.stackName}-`;
    const queues = basic.stack.observability.deadLetterQueues;
    expect(basic.stack.observability.level).toBe('basic');
    expect(basic.stack.observability.dashboard).toBeUndefined();
    basic.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(queues.length).toBe(observability.deadLetterQueues.length);
    const deadLetterAlarms = names.filter((name) => name.startsWith(`${prefix}DeadLetters-`));
    expect(deadLetterAlarms).toHaveLength(queues.length);
    expect(names.filter((name) => !deadLetterAlarms.includes(name))).toEqual(
      ['DispatcherFailed', 'DispatcherStalled', 'PublishFailed', 'PublishUnknown'].map(
        (name) => prefix + name,
      ),
    );
    for (const resource of basicAlarms) {
      expect(resource.Properties).toMatchObject({
        AlarmActions: [expect.anything()],
        OKActions: [expect.anything()],
      });
    }
  });

  it('keeps the basic stack at a few dollars a month of alarms (at most 15), full adds the rest and a dashboard', () => {
    expect(basicAlarms.length).toBeLessThanOrEqual(15);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(observability.alarms)).toEqual(
      expect.arrayContaining(['DispatcherLate', 'ApiServerErrors']),
    );
    expect(ofType('AWS::CloudWatch::Alarm').length).toBeGreaterThan(basicAlarms.length + 10);
  });

  it('reads the level from context and refuses an unknown one', () => {
    const level = (value: unknown) => {
      const app = new App({ context: value === undefined ? {} : { observability: value } });
      return observabilityLevelFromContext(new Stack(app, 'Probe'));
    };
    expect(level(undefined)).toBe('basic');
    expect(level('full')).toBe('full');
    expect(level('basic')).toBe('basic');
    expect(() => level('verbose')).toThrow('context observability must be one of basic, full, got "verbose"');
  });
});
