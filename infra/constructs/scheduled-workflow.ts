import { type CfnResource, type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
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
export interface ChannelWorkflowProps extends WorkflowConstructProps {
  /**
   * Name prefix of the channel secrets (`secretRef`s) its steps read (and refresh tokens in).
   * @default 'pulsecast/'
   */
  readonly secretPrefix?: string;
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
