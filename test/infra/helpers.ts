import type { App, CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { expect } from 'vitest';
import type { PulsecastFunction } from '../../infra/constructs/pulsecast-function.ts';
import { createPulsecastApp } from '../../infra/pulsecast-app.ts';
import type { PulsecastStack } from '../../infra/stack.ts';

export interface Synthesized {
  app: App;
  stack: PulsecastStack;
  template: Template;
  /** The logical id of a construct's CloudFormation resource (its default child). */
  logicalId(construct: IConstruct): string;
}

export interface SynthOptions {
  /** Extra context (`stage`, `disposable`, …). */
  context?: Record<string, unknown>;
  /** Register the cdk-nag plugin (synthesis then fails on any unacknowledged finding). */
  nag?: boolean;
  /** Change the stack before it is synthesized (e.g. add a route group). */
  customize?: (stack: PulsecastStack) => void;
}

/**
 * Synthesizes the Pulsecast app as `cdk synth` would, except that bundling is skipped to keep the
 * tests fast (bundling.test.ts runs the real esbuild).
 */
export function synthPulsecast(options: SynthOptions = {}): Synthesized {
  const { app, stack } = createPulsecastApp({
    nag: options.nag ?? true,
    context: { 'aws:cdk:bundling-stacks': [], ...options.context },
  });
  options.customize?.(stack);
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct): string => {
    const child = construct.node.defaultChild ?? construct;
    return stack.getLogicalId(child as CfnElement);
  };
  return { app, stack, template, logicalId };
}

/** The app synthesized with one more route group on its API (`PulsecastApi.addRouteGroup`). */
export function synthWithRouteGroup(
  group: Parameters<PulsecastStack['api']['addRouteGroup']>[0],
): Synthesized {
  return synthPulsecast({ customize: (s) => s.api.addRouteGroup(group) });
}

/** What a function's role may do: resource label → sorted actions. */
export type Permissions = Record<string, string[]>;

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
  [other: string]: unknown;
}

/**
 * Collects everything a function's role is allowed to do, from every policy attached to it, as
 * `{ resource: actions }` with readable resource labels: `table`, `table/index/<name>`,
 * `own log group`, `*`; anything else keeps its rendered CloudFormation form, so it stands out in
 * a failing test. A Deny, a condition or NotAction/NotResource is reported as `unsupported: …`
 * for the same reason.
 */
export function permissionsOf(synth: Synthesized, fn: PulsecastFunction): Permissions {
  const roleId = synth.logicalId(fn.role);
  const labels = new Map([
    [`${synth.logicalId(synth.stack.data.table)}.Arn`, 'table'],
    [`${synth.logicalId(fn.logGroup)}.Arn`, 'own log group'],
  ]);
  const label = (resource: string): string => {
    for (const [raw, name] of labels) if (resource.startsWith(raw)) return name + resource.slice(raw.length);
    return resource;
  };

  const role = synth.template.findResources('AWS::IAM::Role')[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  const statements: Statement[] = [];
  const roleProps = role.Properties as Record<string, unknown>;
  for (const managed of asArray(roleProps.ManagedPolicyArns)) {
    statements.push({ Effect: 'Allow', Action: `managed policy ${render(managed)}`, Resource: '?' });
  }
  for (const inline of asArray(roleProps.Policies) as { PolicyDocument: { Statement: Statement[] } }[]) {
    statements.push(...inline.PolicyDocument.Statement);
  }
  const policies = synth.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  for (const policy of Object.values(policies)) {
    statements.push(...(policy.Properties.PolicyDocument.Statement as Statement[]));
  }

  const permissions: Permissions = {};
  for (const statement of statements) {
    const { Effect, Action, Resource, ...rest } = statement;
    const unsupported = Effect !== 'Allow' || Object.keys(rest).length > 0;
    for (const resource of asArray(Resource)) {
      const key = unsupported ? `unsupported: ${JSON.stringify(statement)}` : label(render(resource));
      const actions = new Set([...(permissions[key] ?? []), ...asArray(Action).map(String)]);
      permissions[key] = [...actions].sort();
    }
  }
  return permissions;
}

/** Every function: write its own log group, and X-Ray, which grants no resource but "*". */
export const BASE: Permissions = {
  'own log group': ['logs:CreateLogStream', 'logs:PutLogEvents'],
  '*': ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
};
export const TABLE_READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
];
export const TABLE_WRITE = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** A table binding: the table's actions, and Query on each index by name (no `index/*`). */
export function tableAccess(access: 'read' | 'readWrite'): Permissions {
  return {
    table: access === 'read' ? TABLE_READ : [...TABLE_READ, ...TABLE_WRITE].sort(),
    'table/index/byType': ['dynamodb:Query'],
    'table/index/due': ['dynamodb:Query'],
  };
}

/** What a function bound to the table may do: what every function may, plus `access` to the table. */
export function tableUser(access: 'read' | 'readWrite'): Permissions {
  return { ...BASE, ...tableAccess(access) };
}

/** The channel secrets under the default `pulsecast/` prefix, readable and refreshable. */
export const CHANNEL_SECRETS: Permissions = {
  'arn:AWS::Partition:secretsmanager:AWS::Region:AWS::AccountId:secret:pulsecast/*': [
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
  ],
};

/** Putting events on the Pulsecast bus. */
export function busAccess(synth: Synthesized): Permissions {
  return { [`${synth.logicalId(synth.stack.events.bus)}.Arn`]: ['events:PutEvents'] };
}

/** Sending to a queue (a dead-letter queue that is an on-failure destination). */
export function queueAccess(synth: Synthesized, queue: Queue): Permissions {
  return {
    [`${synth.logicalId(queue)}.Arn`]: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
  };
}

export type State = Record<string, unknown>;
export interface Definition {
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  [other: string]: unknown;
}

/** A Map state of a definition: how it iterates, and the states it runs per item. */
export interface MapState extends State {
  ItemsPath: string;
  MaxConcurrency: number;
  ResultPath: string;
  ItemProcessor: { StartAt: string; States: Record<string, State> };
}

/** The Map state `name` of a definition. */
export function mapState(definition: Definition, name: string): MapState {
  return definition.States[name] as MapState;
}

/** A state machine's definition as Step Functions will read it (the tokens of its Fn::Join as "ARN"). */
export function definitionOf(synth: Synthesized, machine: StateMachine): Definition {
  const resource = synth.template.findResources('AWS::StepFunctions::StateMachine')[synth.logicalId(machine)];
  const parts = (resource?.Properties.DefinitionString['Fn::Join'][1] ?? []) as unknown[];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'ARN')).join(''));
}

/** A state machine that a schedule starts (the Dispatcher, the Collector, the Evaluator). */
export interface Workflow {
  stateMachine: StateMachine;
  deadLetterQueue: Queue;
}

/**
 * What every scheduled workflow has: a schedule that starts it with `{}`, retries and then
 * dead-letters; a state machine named after the stack, traced, and logged at level ALL without
 * execution data to a log group of its own.
 */
export function expectScheduledWorkflow(
  synth: Synthesized,
  workflow: Workflow,
  expected: {
    name: string;
    type: 'EXPRESS' | 'STANDARD';
    schedule: string;
    retryAttempts: number;
    maxEventAgeSeconds: number;
  },
): void {
  synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: expected.schedule,
    Target: {
      Arn: { Ref: synth.logicalId(workflow.stateMachine) },
      Input: '{}',
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [synth.logicalId(workflow.deadLetterQueue), 'Arn'] } },
      RetryPolicy: {
        MaximumRetryAttempts: expected.retryAttempts,
        MaximumEventAgeInSeconds: expected.maxEventAgeSeconds,
      },
    },
  });
  synth.template.hasResourceProperties('AWS::SQS::Queue', {
    SqsManagedSseEnabled: true,
    MessageRetentionPeriod: 14 * 86_400,
  });
  const machine = synth.template.findResources('AWS::StepFunctions::StateMachine')[
    synth.logicalId(workflow.stateMachine)
  ];
  expect(machine?.Properties).toMatchObject({
    StateMachineName: expected.name,
    StateMachineType: expected.type,
    TracingConfiguration: { Enabled: true },
    LoggingConfiguration: {
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
      ],
    },
  });
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Renders a CloudFormation value as text: `Logical.Arn` for GetAtt, `Logical` for Ref, joins joined. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return getAtt.join('.');
    if (typeof object.Ref === 'string') return object.Ref;
    const join = object['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}
