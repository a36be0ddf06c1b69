import { describe, expect, it } from 'vitest';
import { MENTION_SPIKE_DETECTED } from '../../shared/holds/auto-hold.ts';
import { BASE, busAccess, permissionsOf, queueAccess, synthPulsecast, tableAccess } from './helpers.ts';

const synth = synthPulsecast();
const { stack, template } = synth;
const holds = stack.holds;

describe('PulsecastHolds', () => {
  it('sends brand spikes with autoHold on, and only those, to the autoHold function, with retries and a dead-letter queue', () => {
    expect(
      template.findResources('AWS::Events::Rule')[synth.logicalId(holds.rule)]?.Properties,
    ).toMatchObject({
      EventBusName: { Ref: synth.logicalId(stack.events.bus) },
      EventPattern: {
        source: ['pulsecast'],
        'detail-type': [MENTION_SPIKE_DETECTED],
        detail: { subject: ['brand'], autoHold: [true] },
      },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [synth.logicalId(holds.autoHold.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [synth.logicalId(holds.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: synth.logicalId(holds.autoHold.function) },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [synth.logicalId(holds.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('grants the autoHold function the table and the bus, and the holds API the bus for Hold Started', () => {
    expect(permissionsOf(synth, holds.autoHold)).toEqual({
      ...BASE,
      ...tableAccess('readWrite'),
      ...busAccess(synth),
      ...queueAccess(synth, holds.deadLetterQueue),
    });
    expect(permissionsOf(synth, stack.api.functionOf('Holds'))).toEqual({
      ...BASE,
      ...tableAccess('readWrite'),
      ...busAccess(synth),
    });
  });

  it('serves the holds routes from their own function, behind IAM', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties as { RouteKey: string; AuthorizationType: string },
    );
    for (const key of ['POST /v1/holds', 'GET /v1/holds', 'DELETE /v1/holds/{id}']) {
      expect(routes.find((route) => route.RouteKey === key)?.AuthorizationType, key).toBe('AWS_IAM');
    }
  });
});
