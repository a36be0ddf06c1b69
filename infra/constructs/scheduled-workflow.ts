import { type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.ts';
import type { PulsecastFunction, TableBinding } from './pulsecast-function.ts';

/** Props that every construct of workflow steps takes. */
export interface WorkflowConstructProps {
  readonly data: TableBinding;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Props of a construct whose steps use the channels' credentials. */
export interface ChannelSecretsProps {
  /**
   * Name prefix of the channel secrets (`secretRef`s) its steps read (and refresh tokens in).
   * @default 'pulsecast/'
   */
  readonly secretPrefix?: string;
}

/**
 * Errors after which a step is simply run again: Lambda's own hiccups and throttled or
 * unavailable DynamoDB and EventBridge. The steps retried on them are idempotent (conditional
 * writes, stable event ids), so a retry repeats nothing; platform failures never get here (the
 * steps handle them themselves).
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'StoreUnavailableError',
  'EventPublishError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
];

/**
 * Retries a step that is safe to run again on `errors`: by default 3 attempts, 2 s apart and
 * doubling, with full jitter so that a Map's iterations do not all retry at the same moment.
 */
export function retryIdempotent(
  task: sfn.TaskStateBase,
  errors: string[] = TRANSIENT_ERRORS,
  { interval = Duration.seconds(2), maxAttempts = 3 } = {},
): void {
  task.addRetry({ errors, interval, backoffRate: 2, maxAttempts, jitterStrategy: sfn.JitterType.FULL });
}

/**
 * A step that invokes `fn` and is safe to run again (its writes are conditional or idempotent):
 * retried on {@link TRANSIENT_ERRORS} only, by {@link retryIdempotent}, not by CDK's default
 * policy for Lambda's own errors.
 */
export function idempotentStep(
  scope: Construct,
  id: string,
  fn: PulsecastFunction,
  props: Omit<tasks.LambdaInvokeProps, 'lambdaFunction' | 'retryOnServiceExceptions'> = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    ...props,
    retryOnServiceExceptions: false,
  });
  retryIdempotent(task);
  return task;
}

/**
 * Catches a Map iteration that still fails as its result `{ <key>, failed: true, error }`, so the
 * other iterations go on and {@link failWhenAnyItemFailed} sees it.
 */
export function catchFailedItem(scope: Construct, task: sfn.TaskStateBase, id: string, key: string): void {
  const failed = new sfn.Pass(scope, id, {
    parameters: { [`${key}.$`]: `$.${key}`, failed: true, 'error.$': '$.error.Error' },
  });
  task.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
}

/** A Map state over the array at `itemsPath`, `maxConcurrency` at once, its results in `$.results`. */
export function mapOver(
  scope: Construct,
  id: string,
  itemsPath: string,
  maxConcurrency: number,
  processor: sfn.IChainable,
): sfn.Map {
  const map = new sfn.Map(scope, id, { itemsPath, maxConcurrency, resultPath: '$.results' });
  map.itemProcessor(processor);
  return map;
}

/** When and how the schedule of a {@link ScheduledWorkflow} starts it. */
export interface WorkflowSchedule {
  /** The schedule's construct id (`EveryMinute`, `Sweep`…). */
  readonly id: string;
  readonly expression: scheduler.ScheduleExpression;
  readonly description: string;
  /** Attempts to start an execution before the event goes to the dead-letter queue. */
  readonly retryAttempts: number;
  /** How long a start may be retried: past it, the next run covers the missed one. */
  readonly maxEventAge: Duration;
}

/** Props of {@link ScheduledWorkflow}. */
export interface ScheduledWorkflowProps {
  /**
   * The workflow's name, capitalised (`Dispatcher`): the construct id of its state machine, of its
   * log group (`DispatcherLogs`) and, lower-cased after the stack's name, the state machine's
   * name (`Pulsecast-dev-dispatcher`, see {@link workflowStateMachineName}).
   */
  readonly name: string;
  readonly definition: sfn.IChainable;
  readonly stateMachineType: sfn.StateMachineType;
  readonly timeout: Duration;
  /** The functions its tasks invoke. */
  readonly functions: readonly PulsecastFunction[];
  readonly schedule: WorkflowSchedule;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The name of a workflow's state machine: `<stack name>-<name, lower case>`. */
export function workflowStateMachineName(scope: IConstruct, name: string): string {
  return `${Stack.of(scope).stackName}-${name.toLowerCase()}`;
}

/**
 * The last state of a sweep over items: when the boolean at `failedPath` is true (an item failed,
 * the others having finished), the execution fails, so it can be alarmed on; otherwise it succeeds.
 */
export function failWhenAnyFailed(
  scope: Construct,
  failedPath: string,
  ids: { choice: string; fail: string; succeed: string },
  failure: sfn.FailProps,
): sfn.Choice {
  return new sfn.Choice(scope, ids.choice)
    .when(sfn.Condition.booleanEquals(failedPath, true), new sfn.Fail(scope, ids.fail, failure))
    .otherwise(new sfn.Succeed(scope, ids.succeed));
}

/**
 * The end of a {@link mapOver} whose iterations each say `failed: true` or `false`: the execution
 * fails when any did (after the others finished). `FindFailures` puts the verdict at `resultPath`
 * (by default it replaces the state).
 */
export function failWhenAnyItemFailed(
  scope: Construct,
  ids: { choice: string; fail: string; succeed: string },
  failure: sfn.FailProps,
  resultPath?: string,
): sfn.Chain {
  const findFailures = new sfn.Pass(scope, 'FindFailures', {
    parameters: { 'failed.$': 'States.ArrayContains($.results[*].failed, true)' },
    ...(resultPath ? { resultPath } : {}),
  });
  return findFailures.next(failWhenAnyFailed(scope, `${resultPath ?? '$'}.failed`, ids, failure));
}

/**
 * A Map state's `maxConcurrency` prop: `fallback` when unset; anything but an integer from 1 to
 * `max` fails the synth, naming the construct.
 */
export function mapConcurrency(
  scope: IConstruct,
  value: number | undefined,
  fallback: number,
  max: number,
): number {
  const concurrency = value ?? fallback;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > max) {
    throw new Error(
      `${scope.node.path}: maxConcurrency must be an integer from 1 to ${max}, got ${concurrency}`,
    );
  }
  return concurrency;
}

/**
 * cdk-nag's findings on a state machine's role that IAM offers nothing narrower for: the task
 * policies CDK writes name each Lambda ARN and `<arn>:*` (its versions and aliases, that function
 * only); X-Ray and CloudWatch Logs delivery actions have no resource scoping.
 */
export function acknowledgeWorkflowRole(role: iam.IRole, functions: readonly PulsecastFunction[]): void {
  for (const fn of functions) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(role).getLogicalId(fn.function.node.defaultChild as CfnResource)}.Arn>:*]`,
      reason: 'Step Functions invokes this one function; ":*" only covers its own versions and aliases.',
    });
  }
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and Step Functions log delivery (logs:*LogDelivery*, DescribeLogGroups, PutResourcePolicy) support no resource-level permissions.',
  });
}

/** Props of {@link loggedStateMachine}. */
export type LoggedStateMachineProps = Omit<ScheduledWorkflowProps, 'schedule'>;

/**
 * A workflow's state machine: named after the stack, X-Ray traced, logged at level ALL without
 * execution data to a log group of its own kept for a month (`<name>Logs`), and the findings on
 * its role that IAM offers nothing narrower for acknowledged.
 */
export function loggedStateMachine(
  scope: Construct,
  props: LoggedStateMachineProps,
): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const { name } = props;
  const logGroup = new logs.LogGroup(scope, `${name}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  const stateMachine = new sfn.StateMachine(scope, name, {
    stateMachineName: workflowStateMachineName(scope, name),
    stateMachineType: props.stateMachineType,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  acknowledgeWorkflowRole(stateMachine.role, props.functions);
  return { stateMachine, logGroup };
}

/**
 * A state machine that an EventBridge Scheduler schedule starts: the Dispatcher, the Collector
 * and the Evaluator. Each one is built the same way:
 *
 * - named after the stack (two stages in one account never clash, and an execution's ARN tells
 *   which workflow it is);
 * - X-Ray traced and logged at level ALL, without execution data (posts' texts stay out of the
 *   logs), to a log group of its own kept for a month;
 * - started by its schedule with `{}`, retried briefly, and then put in a dead-letter queue
 *   (SQS-managed encryption, TLS only, 14 days), which the observability construct finds and
 *   alarms on;
 * - cdk-nag's findings on the state machine's role acknowledged where IAM offers nothing
 *   narrower: `<function ARN>:*` of each function it invokes, and `*` for X-Ray and log delivery.
 *
 * Build it with the id `Default`: CDK leaves that id out of the paths that logical ids (and the
 * alarm names) are made from, so the resources keep the ids they had when each construct built
 * them itself, and a deployed stack updates them in place.
 */
export class ScheduledWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: scheduler.Schedule;
  /** The schedule's dead-letter queue; other failed work of the same concern may go there too. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ScheduledWorkflowProps) {
    super(scope, id);
    const { name } = props;
    const machine = loggedStateMachine(this, props);
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;

    this.deadLetterQueue = deadLetterQueue(this, 'ScheduleDeadLetters', `the ${name} schedule`);
    this.schedule = new scheduler.Schedule(this, props.schedule.id, {
      description: props.schedule.description,
      schedule: props.schedule.expression,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.schedule.retryAttempts,
        maxEventAge: props.schedule.maxEventAge,
      }),
    });
  }
}

/**
 * A construct of workflow steps whose state machine a {@link ScheduledWorkflow} runs (the
 * Dispatcher, the Collector, the Evaluator, the Listener): it shows the workflow's state machine,
 * schedule and dead-letter queue as its own.
 */
export abstract class ScheduledWorkflowConstruct extends Construct {
  abstract readonly workflow: ScheduledWorkflow;

  get stateMachine(): sfn.StateMachine {
    return this.workflow.stateMachine;
  }
  get schedule(): scheduler.Schedule {
    return this.workflow.schedule;
  }
  get deadLetterQueue(): sqs.Queue {
    return this.workflow.deadLetterQueue;
  }
}
