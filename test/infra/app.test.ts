import { describe, expect, it } from 'vitest';
import { synthPulsecast } from './helpers.ts';

describe('the Pulsecast CDK app', () => {
  it('names the stack after the stage, dev by default, and tags resources with it', () => {
    const { stack, template } = synthPulsecast();

    expect(stack.stackName).toBe('Pulsecast-dev');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: [{ Key: 'pulsecast:stage', Value: 'dev' }],
    });
  });

  it('deploys another stage beside it from -c stage=…', () => {
    const { stack } = synthPulsecast({ context: { stage: 'pr-42' } });

    expect(stack.stackName).toBe('Pulsecast-pr-42');
  });

  it.each(['Prod', '42', 'a_b', ''])('refuses the stage name %j', (stage) => {
    expect(() => synthPulsecast({ context: { stage } })).toThrow(/context stage must match/);
  });

  it('outputs ApiUrl, TableName, the stack keys secret and the conversion webhook secret', () => {
    const { template } = synthPulsecast();

    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([
      'ApiUrl',
      'ConversionsWebhookSecretName',
      'KeysSecretName',
      'TableName',
    ]);
  });

  it("tells the channels API the channel secret prefix and Pulsecast's own secrets", () => {
    const { template } = synthPulsecast({
      context: { slackWebhookSecret: 'ops/slack', conversionsSecretName: 'pulsecast/shop-webhook' },
    });
    const channels = Object.values(template.findResources('AWS::Lambda::Function')).find((fn) =>
      JSON.stringify(fn).includes('PULSECAST_RESERVED_SECRET_REFS'),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } } | undefined;

    const variables = channels?.Properties.Environment.Variables ?? {};
    expect(variables.PULSECAST_SECRET_PREFIX).toBe('pulsecast/');
    const reserved = JSON.stringify(variables.PULSECAST_RESERVED_SECRET_REFS);
    expect(reserved).toContain('pulsecast/shop-webhook');
    expect(reserved).toContain('ops/slack');
  });
});
