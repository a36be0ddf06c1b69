import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  busAccess,
  CHANNEL_SECRETS,
  definitionOf,
  mapState,
  permissionsOf,
  synthPulsecast,
  tableUser,
} from './helpers.ts';

const synth = synthPulsecast();
const { stack, template } = synth;
const measuring = stack.measuring;

const BASE_RW = tableUser('readWrite');

describe('PulsecastMeasuring', () => {
  it('is JSONPath only: collect due posts, then a bounded Map over channels, failing visibly when a channel failed', () => {
    const definition = definitionOf(synth, measuring.stateMachine);
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|"Assign"/);
    expect(definition.StartAt).toBe('CollectDue');
    expect(Object.keys(definition.States).sort()).toEqual([
      'AllChannelsCollected',
      'AnyDue',
      'CollectChannels',
      'CollectDue',
      'Collected',
      'FindFailures',
      'NothingDue',
      'SomeChannelsNotCollected',
    ]);
    expect(definition.States.AnyDue).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.channels[0]', IsPresent: true, Next: 'CollectChannels' }],
      Default: 'NothingDue',
    });
    const map = mapState(definition, 'CollectChannels');
    expect(map).toMatchObject({ ItemsPath: '$.channels', MaxConcurrency: 10, ResultPath: '$.results' });
    expect(map.ItemProcessor.StartAt).toBe('FetchAndStore');
    expect(definition.States.SomeChannelsNotCollected).toMatchObject({
      Type: 'Fail',
      Error: 'ChannelsNotCollected',
    });
  });

  it('retries both steps on transient errors only, and catches a channel that still fails so the others finish', () => {
    const definition = definitionOf(synth, measuring.stateMachine);
    const map = mapState(definition, 'CollectChannels');
    const fetch = map.ItemProcessor.States.FetchAndStore as {
      Retry: { ErrorEquals: string[] }[];
      Catch: unknown;
    };
    for (const task of [definition.States.CollectDue as typeof fetch, fetch]) {
      expect(task.Retry).toHaveLength(1);
      expect(task.Retry[0]).toMatchObject({ MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(task.Retry[0]?.ErrorEquals).toEqual(
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'StoreUnavailableError',
        ]),
      );
      expect(task.Retry[0]?.ErrorEquals).not.toContain('States.ALL');
    }
    expect(fetch.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ChannelNotCollected' },
    ]);
  });

  it('configures the cadence on both functions, from one validated list', () => {
    for (const fn of Object.values(measuring.functions)) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [synth.logicalId(fn.role), 'Arn'] },
        Environment: {
          Variables: Match.objectLike({ METRICS_CHECKPOINTS: '1h,2h,3h,4h,5h,6h,24h,72h,7d,30d' }),
        },
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [synth.logicalId(measuring.functions.collectChannel.role), 'Arn'] },
      Timeout: 180,
    });
  });

  it('grants each Collector function only what its step uses', () => {
    expect(permissionsOf(synth, measuring.functions.collectDue)).toEqual(BASE_RW);
    expect(permissionsOf(synth, measuring.functions.collectChannel)).toEqual({
      ...BASE_RW,
      ...CHANNEL_SECRETS,
      ...busAccess(synth),
    });
  });

  it('keeps the webhook key in the stack keys (kept when the stack goes): the Conversions function reads its field and no other secret', () => {
    const keysId = synth.logicalId(stack.keys);
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: '{}',
          GenerateStringKey: 'root',
          PasswordLength: 64,
          ExcludePunctuation: true,
        }),
      },
    });
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toEqual([keysId]);
    const conversions = stack.api.functionOf('Conversions');
    expect(permissionsOf(synth, conversions)).toEqual({
      ...BASE_RW,
      [keysId]: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [synth.logicalId(conversions.role), 'Arn'] },
      Environment: {
        Variables: Match.objectLike({
          CONVERSIONS_SECRET_ID: { 'Fn::Join': ['', [{ Ref: keysId }, '#conversionsWebhook']] },
        }),
      },
    });
  });

  it('grants the stack keys to the five functions that check or sign with one of them, each told its own field', () => {
    const keysId = synth.logicalId(stack.keys);
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy).includes(`"Ref":"${keysId}"`))
      .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref))
      .sort();
    const fields = {
      Conversions: { CONVERSIONS_SECRET_ID: 'conversionsWebhook' },
      ApprovalLinks: { APPROVAL_LINK_SECRET_ID: 'approvalLinks' },
      SlackInteractions: { SLACK_SIGNING_SECRET_ID: 'slackSigning' },
      Unsubscribe: { UNSUBSCRIBE_SECRET_ID: 'unsubscribe' },
    };
    const functions = [
      ...Object.keys(fields).map((group) => stack.api.functionOf(group)),
      stack.notifying.notifier,
    ];
    expect(readers).toEqual(functions.map((fn) => synth.logicalId(fn.role)).sort());
    const variablesOf = (fn: (typeof functions)[number]) =>
      template.findResources('AWS::Lambda::Function')[synth.logicalId(fn.function)]?.Properties.Environment
        .Variables as Record<string, unknown>;
    const reference = (field: string) => ({ 'Fn::Join': ['', [{ Ref: keysId }, `#${field}`]] });
    for (const [group, variables] of Object.entries(fields)) {
      const [variable, field] = Object.entries(variables)[0] ?? [];
      expect(variablesOf(stack.api.functionOf(group))[variable ?? '']).toEqual(reference(field ?? ''));
    }
    expect(variablesOf(stack.notifying.notifier)).toMatchObject({
      APPROVAL_LINK_SECRET_ID: reference('approvalLinks'),
      UNSUBSCRIBE_SECRET_ID: reference('unsubscribe'),
    });
  });

  it('reads a secret named by context instead, granted by name and still passing cdk-nag', () => {
    const named = synthPulsecast({ nag: true, context: { conversionsSecretName: 'shop/pulsecast-webhook' } });
    expect(() => named.app.synth()).not.toThrow();
    // The stack keys remain (approval links, unsubscribe, Slack); the webhook key is read from the named secret.
    const secrets = Object.keys(named.template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toEqual([named.logicalId(named.stack.keys)]);
    expect(permissionsOf(named, named.stack.api.functionOf('Conversions'))).toMatchObject({
      'arn:AWS::Partition:secretsmanager:AWS::Region:AWS::AccountId:secret:shop/pulsecast-webhook-??????': [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ],
    });
  });

  it('takes the cadence from context', () => {
    const custom = synthPulsecast({ context: { metricsCheckpoints: '30m, 6h,7d' } });
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [custom.logicalId(custom.stack.measuring.functions.collectDue.role), 'Arn'] },
      Environment: { Variables: Match.objectLike({ METRICS_CHECKPOINTS: '30m,6h,7d' }) },
    });
  });

  it.each([
    [{ conversionsSecretName: 42 }, /conversionsSecretName must be a secret name/],
    [{ metricsCheckpoints: '6h,1h' }, /metrics checkpoints must increase/],
    [{ metricsCheckpoints: 7 }, /context metricsCheckpoints must be a comma-separated list/],
  ])('refuses context %j', (context, message) => {
    expect(() => synthPulsecast({ context })).toThrow(message);
  });

  it.each([
    [['1h', '1h'], /must increase/],
    [['1h', 'soon'], /"soon" is not an age/],
    [[], /at least one/],
  ])('refuses checkpoints %j at synth time', async (checkpoints, message) => {
    const { PulsecastMeasuring } = await import('../../infra/constructs/measuring.ts');
    expect(() =>
      synthPulsecast({
        customize: (s) =>
          new PulsecastMeasuring(s, 'Again', {
            data: s.data,
            bus: s.events.bus,
            conversionsFunction: s.api.functionOf('Conversions'),
            conversionsSecretName: 'x',
            keys: s.keys,
            checkpoints,
          }),
      }),
    ).toThrow(message);
  });
});
