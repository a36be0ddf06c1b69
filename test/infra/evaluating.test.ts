import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { PulsecastData } from '../../infra/constructs/data.ts';
import { PulsecastEvaluating } from '../../infra/constructs/evaluating.ts';
import {
  BASE,
  busAccess,
  definitionOf,
  mapState,
  permissionsOf,
  synthPulsecast,
  tableUser,
} from './helpers.ts';

const synth = synthPulsecast();
const { stack, template } = synth;
const evaluating = stack.evaluating;

describe('PulsecastEvaluating', () => {
  it('times the Evaluator out below its hourly sweep interval', () => {
    expect(definitionOf(synth, evaluating.stateMachine)).toMatchObject({ TimeoutSeconds: 3000 });
  });

  it('is JSONPath only: List, then a Map of Evaluate → Announce, then a tally that fails the run if any campaign failed', () => {
    const definition = definitionOf(synth, evaluating.stateMachine);
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|"Assign"|QueryLanguage/);
    expect(definition.StartAt).toBe('ListDueCampaigns');
    expect(Object.keys(definition.States).sort()).toEqual([
      'AllEvaluated',
      'AnyCampaignDue',
      'AnyCampaignFailed',
      'EvaluateCampaigns',
      'ListDueCampaigns',
      'NothingDue',
      'SomeCampaignsFailed',
      'Tally',
    ]);
    const map = mapState(definition, 'EvaluateCampaigns');
    expect(map).toMatchObject({ ItemsPath: '$.campaigns', MaxConcurrency: 5, ResultPath: '$.results' });
    expect(map.ItemProcessor.StartAt).toBe('EvaluateCampaign');
    const { EvaluateCampaign: evaluate, AnnounceChanges: announce } = map.ItemProcessor.States;
    for (const step of [evaluate, announce]) {
      expect(step?.Retry).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, JitterStrategy: 'FULL' }),
        ]),
      );
      expect(step?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'CampaignFailed' },
      ]);
    }
    expect(evaluate?.Next).toBe('AnnounceChanges');
    expect(definition.States.Tally).toMatchObject({
      Parameters: { 'anyFailed.$': "States.ArrayContains($.results[*].failed, 'yes')" },
    });
    expect(definition.States.SomeCampaignsFailed).toMatchObject({
      Type: 'Fail',
      Error: 'Pulsecast.EvaluationFailed',
    });
  });

  it('grants each step only what it uses: List reads, Evaluate reads and writes the table, Announce only puts events', () => {
    expect(permissionsOf(synth, evaluating.functions.list)).toEqual(tableUser('read'));
    expect(permissionsOf(synth, evaluating.functions.evaluate)).toEqual(tableUser('readWrite'));
    expect(permissionsOf(synth, evaluating.functions.announce)).toEqual({ ...BASE, ...busAccess(synth) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [synth.logicalId(evaluating.functions.announce.role), 'Arn'] },
      Environment: {
        Variables: Match.objectLike({
          EVENT_BUS_NAME: { Ref: synth.logicalId(stack.events.bus) },
          TABLE_NAME: Match.absent(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [synth.logicalId(evaluating.functions.evaluate.role), 'Arn'] },
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 300,
    });
  });

  it('lets the state machine invoke its three functions and nothing else', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: synth.logicalId(evaluating.stateMachine.role) }] },
    });
    const invoked = Object.values(policies)
      .flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
      )
      .filter((statement) => statement.Action === 'lambda:InvokeFunction')
      .flatMap((statement) => statement.Resource as { 'Fn::GetAtt'?: string[] }[])
      .map((resource) => resource['Fn::GetAtt']?.[0])
      .filter(Boolean);
    expect([...new Set(invoked)].sort()).toEqual(
      Object.values(evaluating.functions)
        .map((fn) => synth.logicalId(fn.function))
        .sort(),
    );
  });

  it('refuses a Map concurrency outside 1–40 at synth time', () => {
    const scratch = new Stack();
    const data = new PulsecastData(scratch, 'Data', {});
    const bus = new events.EventBus(scratch, 'Bus');
    expect(() => new PulsecastEvaluating(scratch, 'Evaluating', { data, bus, maxConcurrency: 0 })).toThrow(
      /maxConcurrency must be an integer from 1 to 40, got 0/,
    );
  });
});
