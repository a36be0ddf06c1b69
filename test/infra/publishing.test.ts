import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  busAccess,
  CHANNEL_SECRETS,
  definitionOf,
  mapState,
  permissionsOf,
  queueAccess,
  synthPulsecast,
  tableUser,
} from './helpers.ts';

const synth = synthPulsecast();
const { stack, template } = synth;
const publishing = stack.publishing;

const BASE_RW = tableUser('readWrite');

describe('PulsecastPublishing', () => {
  it('is JSONPath only, never retries Publish, and retries Record with backoff and jitter', () => {
    const definition = definitionOf(synth, publishing.stateMachine);
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
    const map = mapState(definition, 'PublishBatches');
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
    // The bus: `Posts Held`, for due posts a crisis hold stopped.
    expect(permissionsOf(synth, publishing.functions.claim)).toEqual({ ...BASE_RW, ...busAccess(synth) });
    expect(permissionsOf(synth, publishing.functions.publish)).toEqual({ ...BASE_RW, ...CHANNEL_SECRETS });
    expect(permissionsOf(synth, publishing.functions.record)).toEqual({ ...BASE_RW, ...busAccess(synth) });
    expect(permissionsOf(synth, publishing.functions.recover)).toEqual({
      ...BASE_RW,
      ...CHANNEL_SECRETS,
      ...busAccess(synth),
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
    expect(permissionsOf(synth, publishing.channelHealth)).toEqual({
      ...tableUser('read'),
      ...CHANNEL_SECRETS,
      ...busAccess(synth),
      // Its failed runs go to the dead-letter queue (on-failure destination).
      ...queueAccess(synth, publishing.deadLetterQueue),
    });
  });

  it('archives every Pulsecast event on the bus for replay', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: ['pulsecast'] },
      RetentionDays: 30,
    });
  });
});
