import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { PulsecastFunction } from '../../infra/constructs/pulsecast-function.ts';
import { findNagFindings } from '../../infra/nag.ts';
import { synthPulsecast } from './helpers.ts';

/** Every acknowledgement recorded in the tree: where, which rule, why. */
function acknowledgements(root: IConstruct): { path: string; rule: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => ({
          path: construct.node.path,
          rule: rule.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the Pulsecast stack, and CDK reports no warning or error', () => {
    const { app, stack } = synthPulsecast({ nag: false });

    expect(findNagFindings(app)).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('runs as a validation plugin, so synthesis with it registered succeeds (what cdk synth does)', () => {
    expect(() => synthPulsecast({ nag: true }).app.synth()).not.toThrow();
  });

  it('acknowledges only the wildcards AWS requires, the channel-secret prefix, the DLQs, the shared webhook secret, the unauthenticated GET /health, the HMAC-signed conversion webhook, approval pages and Slack endpoint, and the hand-rotated approval keys', () => {
    const { app, stack } = synthPulsecast({ nag: false });
    // The same pack with acknowledgements ignored: what would be reported without them. (Reaches
    // into cdk-nag's private isAcknowledged; if that ever changes, this test fails, not passes.)
    const raw = new AwsSolutionsChecks();
    Object.defineProperty(raw, 'isAcknowledged', { value: () => false });
    const findings = raw
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
      .sort();

    const functions = [
      ...stack.api.functions.values(),
      ...Object.values(stack.publishing.functions),
      stack.publishing.channelHealth,
      stack.notifying.notifier,
      stack.notifying.digest,
      ...Object.values(stack.measuring.functions),
      ...Object.values(stack.evaluating.functions),
      stack.holds.autoHold,
      ...Object.values(stack.listening.functions),
      ...Object.values(stack.auditing.functions),
    ];
    const xray = functions.map(
      (fn) => `AwsSolutions-IAM5[Resource::*] ${fn.role.node.path}/DefaultPolicy/Resource`,
    );
    const secrets = [
      stack.publishing.functions.recover,
      stack.publishing.functions.publish,
      stack.publishing.channelHealth,
      stack.measuring.functions.collectChannel,
      stack.listening.functions.listen,
      ...Object.values(stack.auditing.functions),
    ].map(
      (fn) =>
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:pulsecast/*] ${fn.role.node.path}/DefaultPolicy/Resource`,
    );
    // A state machine's role may invoke any version of each of its functions.
    const invokesItsFunctions = (workflow: {
      stateMachine: StateMachine;
      functions: Record<string, PulsecastFunction>;
    }) => {
      const policy = `${workflow.stateMachine.role.node.path}/DefaultPolicy/Resource`;
      return [
        `AwsSolutions-IAM5[Resource::*] ${policy}`,
        ...Object.values(workflow.functions).map(
          (fn) =>
            `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.function.node.defaultChild as CfnElement)}.Arn>:*] ${policy}`,
        ),
      ];
    };
    const dispatcher = invokesItsFunctions(stack.publishing);
    const collector = [
      ...invokesItsFunctions(stack.measuring),
      `AwsSolutions-SQS3 ${stack.measuring.deadLetterQueue.node.path}/Resource`,
      `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/POST--v1--conversions/Resource`,
    ];
    const evaluator = [
      ...invokesItsFunctions(stack.evaluating),
      `AwsSolutions-SQS3 ${stack.evaluating.deadLetterQueue.node.path}/Resource`,
    ];
    const listenerPolicy = `${stack.listening.stateMachine.role.node.path}/DefaultPolicy/Resource`;
    const listener = [
      `AwsSolutions-IAM5[Resource::*] ${listenerPolicy}`,
      ...Object.values(stack.listening.functions).map(
        (fn) =>
          `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.function.node.defaultChild as CfnElement)}.Arn>:*] ${listenerPolicy}`,
      ),
      `AwsSolutions-SQS3 ${stack.listening.deadLetterQueue.node.path}/Resource`,
    ];
    // Approvals: the pages and the Slack endpoint verify their own signatures.
    const approvals = [
      `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/GET--v1--approvals--{id}--link/Resource`,
      `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/POST--v1--approvals--{id}--link/Resource`,
      `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/POST--v1--slack--interactions/Resource`,
    ];
    const auditorPolicy = `${stack.auditing.auditor.role.node.path}/DefaultPolicy/Resource`;
    const audiencePolicy = `${stack.auditing.audience.role.node.path}/DefaultPolicy/Resource`;
    const arnStar = (fn: { function: { node: { defaultChild?: unknown } } }, policy: string) =>
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.function.node.defaultChild as CfnElement)}.Arn>:*] ${policy}`;
    const auditing = [
      `AwsSolutions-IAM5[Resource::*] ${auditorPolicy}`,
      arnStar(stack.auditing.functions.importPage, auditorPolicy),
      arnStar(stack.auditing.functions.finish, auditorPolicy),
      `AwsSolutions-IAM5[Resource::*] ${audiencePolicy}`,
      arnStar(stack.auditing.functions.audience, audiencePolicy),
      `AwsSolutions-SQS3 ${stack.auditing.deadLetterQueue.node.path}/Resource`,
    ];
    expect(findings).toEqual(
      [
        ...auditing,
        ...xray,
        ...listener,
        ...secrets,
        ...dispatcher,
        ...collector,
        ...evaluator,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.publishing.channelHealth.function.node.defaultChild as CfnElement)}.Arn>:*] ${stack.publishing.node.path}/HourlyScheduleRole/DefaultPolicy/Resource`,
        `AwsSolutions-SQS3 ${stack.publishing.deadLetterQueue.node.path}/Resource`,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.notifying.digest.function.node.defaultChild as CfnElement)}.Arn>:*] ${stack.notifying.scheduleRole.node.path}/DefaultPolicy/Resource`,
        `AwsSolutions-SQS3 ${stack.notifying.deadLetterQueue.node.path}/Resource`,
        `AwsSolutions-SQS3 ${stack.holds.deadLetterQueue.node.path}/Resource`,
        `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/GET--health/Resource`,
        ...approvals,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.notifying.chartBucket.node.defaultChild as CfnElement)}.Arn>/charts/*] ${stack.notifying.notifier.role.node.path}/DefaultPolicy/Resource`,
        `AwsSolutions-S1 ${stack.notifying.chartBucket.node.path}/Resource`,
        `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/GET--v1--unsubscribe/Resource`,
        `AwsSolutions-APIG4 ${stack.api.httpApi.node.path}/POST--v1--unsubscribe/Resource`,
        // The stack's one secret of its own keys: rotated by hand (constructs/secrets.ts says why).
        `AwsSolutions-SMG4 ${stack.keys.node.path}/Resource`,
      ].sort(),
    );
  });

  it('gives every acknowledgement a specific rule and a real reason', () => {
    const { app } = synthPulsecast({ nag: false });
    const all = acknowledgements(app);

    expect(all.length).toBeGreaterThan(0);
    for (const { path, rule, reason } of all) {
      expect({ path, rule }).toEqual({
        path,
        rule: expect.stringMatching(
          /^AwsSolutions-(IAM5\[Resource::(\*|<\w+\.Arn>:\*|<\w+\.Arn>\/charts\/\*|arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:pulsecast\/\*)\]|APIG4|SQS3|SMG4|S1)$/,
        ),
      });
      expect(reason.length, `${rule} on ${path}`).toBeGreaterThan(60);
    }
  });

  it('reports an unacknowledged finding (the check is not vacuous)', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless');
    new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    app.synth();

    expect(findNagFindings(app)).toEqual([
      expect.objectContaining({ rule: 'AwsSolutions-DDB3', severity: 'warning' }),
    ]);
  });
});
