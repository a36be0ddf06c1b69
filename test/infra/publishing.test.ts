import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type Permissions, permissionsOf, synthPulsecast } from './helpers.ts';

const synth = synthPulsecast();
const { stack, template } = synth;
const publishing = stack.publishing;

const LOG_WRITE = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const TABLE_RW = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const BASE: Permissions = {
  'own log group': LOG_WRITE,
  '*': XRAY,
  table: TABLE_RW,
  'table/index/byType': ['dynamodb:Query'],
  'table/index/due': ['dynamodb:Query'],
};
const SECRETS_PREFIX = 'arn:AWS::Partition:secretsmanager:AWS::Region:AWS::AccountId:secret:pulsecast/*';
const SECRETS = {
  [SECRETS_PREFIX]: [
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
  ],
};

/** The Dispatcher definition as Step Functions will read it (the Fn::Join of the synthesized template). */
function dispatcherDefinition(): Record<string, unknown> {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines);
  const parts = (machine?.Properties.DefinitionString['Fn::Join'][1] ?? []) as unknown[];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'ARN')).join(''));
}

describe('PulsecastPublishing', () => {
  it('starts the Dispatcher every minute from EventBridge Scheduler, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      Target: {
        Arn: { Ref: synth.logicalId(publishing.stateMachine) },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [synth.logicalId(publishing.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('runs the Dispatcher as an Express state machine with full logging and X-Ray tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: Match.anyValue() },
    });
  });

  it('is JSONPath only, never retries Publish, and retries Record with backoff and jitter', () => {
    const definition = dispatcherDefinition();
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/JSONata|"Assign"/);
    const states = definition.States as Record<string, Record<string, unknown>>;
    expect(Object.keys(states).sort()).toEqual([
      'Claim',
      'MoreDue',
      'PublishBatches',
      'Recover',
      'StartAnotherDispatcher',
    ]);
    const map = states.PublishBatches as {
      ItemProcessor: { StartAt: string; States: Record<string, Record<string, unknown>> };
      MaxConcurrency: number;
    };
    expect(map.MaxConcurrency).toBe(40);
    expect(map.ItemProcessor.StartAt).toBe('WaitUntilDue');
    expect(map.ItemProcessor.States.WaitUntilDue).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.notBefore',
    });
    expect(map.ItemProcessor.States.Publish?.Retry).toBeUndefined();
    expect(map.ItemProcessor.States.Publish?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PublishStepFailed' },
    ]);
    expect(map.ItemProcessor.States.Record?.Retry).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ErrorEquals: ['States.ALL'],
          MaxAttempts: 4,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        }),
      ]),
    );
  });

  it('grants each function only what its step uses', () => {
    const busArn = `${synth.logicalId(stack.events.bus)}.Arn`;
    expect(permissionsOf(synth, publishing.functions.claim)).toEqual(BASE);
    expect(permissionsOf(synth, publishing.functions.publish)).toEqual({ ...BASE, ...SECRETS });
    expect(permissionsOf(synth, publishing.functions.record)).toEqual({
      ...BASE,
      [busArn]: ['events:PutEvents'],
    });
    expect(permissionsOf(synth, publishing.functions.recover)).toEqual({
      ...BASE,
      ...SECRETS,
      [busArn]: ['events:PutEvents'],
    });
  });

  it('lets the Dispatcher start only itself (the burst fan-out), by its stack-derived name', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'states:startExecution',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([':stateMachine:Pulsecast-dev-dispatcher'])],
            },
          }),
        ]),
      },
    });
  });

  it('checks channel credentials hourly with read-only table access', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: { Arn: { 'Fn::GetAtt': [synth.logicalId(publishing.channelHealth.function), 'Arn'] } },
    });
    const busArn = `${synth.logicalId(stack.events.bus)}.Arn`;
    expect(permissionsOf(synth, publishing.channelHealth)).toEqual({
      'own log group': LOG_WRITE,
      '*': XRAY,
      table: [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:Query',
      ],
      'table/index/byType': ['dynamodb:Query'],
      'table/index/due': ['dynamodb:Query'],
      ...SECRETS,
      [busArn]: ['events:PutEvents'],
      // Its failed runs go to the dead-letter queue (on-failure destination).
      [`${synth.logicalId(publishing.deadLetterQueue)}.Arn`]: [
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
    });
  });

  it('archives every Pulsecast event on the bus for replay', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: ['pulsecast'] },
      RetentionDays: 30,
    });
  });
});
