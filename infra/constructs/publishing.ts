import { ArnFormat, type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { PulsecastFunction } from './pulsecast-function.ts';
import {
  type ChannelWorkflowProps,
  ScheduledWorkflow,
  ScheduledWorkflowConstruct,
  workflowStateMachineName,
} from './scheduled-workflow.ts';
import { mapConcurrency, retryIdempotent } from './workflow-steps.ts';

/** Props of {@link PulsecastPublishing}. */
export interface PulsecastPublishingProps extends ChannelWorkflowProps {
  readonly bus: events.IEventBus;
  /**
   * Map iterations (batches of up to 25 posts due in the same second) published at once.
   * @default 40
   */
  readonly maxConcurrency?: number;
}

/**
 * Publishing (docs/architecture.md#dispatcher): every minute an EventBridge Scheduler schedule
 * starts the Dispatcher, an Express state machine in JSONPath:
 *
 *   Recover → Claim → (more due? start another Dispatcher) → Map over batches:
 *     Wait until the batch's second → Publish (one platform call per post) → Record
 *
 * Why this shape:
 * - The table is the single source of truth: claims are conditional writes SCHEDULED → QUEUED,
 *   so overlapping Dispatchers never claim one post twice, and an edit or cancellation made
 *   before the claim wins.
 * - Publish is its own step with no Retry: once a platform may have accepted a post, nothing
 *   calls it again. Record is separate and retried freely (it is idempotent).
 * - Bursts: a Map iteration is a batch of up to 25 posts due in the same second, published in
 *   parallel by one invocation, and up to `maxConcurrency` (40) iterations run at once — about
 *   1,000 platform calls in flight per execution. One execution claims at most 1,500 posts (its
 *   state must stay under 256 KB); when more are due it starts another Dispatcher straight away
 *   (`$$.StateMachine.Id`), so 10,000 posts due in one minute fan out over ~7 parallel
 *   executions within seconds. Distributed Map was not used: it needs a Standard parent, whose
 *   per-transition price is what this design avoids.
 * - A Dispatcher that dies leaves claims with a lease; the next run's Recover releases them or,
 *   if a call may have happened, marks the post UNKNOWN and reconciles it on the platform.
 */
export class PulsecastPublishing extends ScheduledWorkflowConstruct {
  readonly workflow: ScheduledWorkflow;
  public readonly functions: Record<'recover' | 'claim' | 'publish' | 'record', PulsecastFunction>;
  /** Hourly credential check of every channel (Channel Needs Attention before posts fail). */
  public readonly channelHealth: PulsecastFunction;
  public readonly channelHealthSchedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: PulsecastPublishingProps) {
    super(scope, id);
    const secretPrefix = props.secretPrefix ?? 'pulsecast/';
    const maxConcurrency = mapConcurrency(this, props.maxConcurrency, 40, 1000);
    const { logRemovalPolicy } = props;

    const fn = (name: string, entry: string, description: string, timeout = Duration.seconds(30)) =>
      new PulsecastFunction(this, name, { entry, description, timeout, logRemovalPolicy });
    this.functions = {
      recover: fn(
        'RecoverFunction',
        'functions/publishing/recover.ts',
        'Dispatcher: recover dead claims, reconcile UNKNOWN posts',
        Duration.seconds(60),
      )
        .bindTable(props.data, 'readWrite')
        .bindEventBus(props.bus)
        .bindChannelSecrets(secretPrefix, 'readWrite'),
      claim: fn(
        'ClaimFunction',
        'functions/publishing/claim.ts',
        'Dispatcher: claim posts due in the next window',
        Duration.seconds(60),
      )
        .bindTable(props.data, 'readWrite')
        // `Posts Held`: due posts a crisis hold stopped.
        .bindEventBus(props.bus),
      publish: fn(
        'PublishFunction',
        'functions/publishing/publish.ts',
        'Dispatcher: publish one batch to the platforms',
      )
        .bindTable(props.data, 'readWrite')
        .bindChannelSecrets(secretPrefix, 'readWrite'),
      record: fn(
        'RecordFunction',
        'functions/publishing/record.ts',
        'Dispatcher: record outcomes and announce them',
      )
        .bindTable(props.data, 'readWrite')
        .bindEventBus(props.bus),
    };

    const recover = new tasks.LambdaInvoke(this, 'Recover', {
      lambdaFunction: this.functions.recover.function,
      // The execution id only correlates the step's logs with its execution.
      payload: sfn.TaskInput.fromObject({ executionId: sfn.JsonPath.stringAt('$$.Execution.Id') }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const claim = new tasks.LambdaInvoke(this, 'Claim', {
      lambdaFunction: this.functions.claim.function,
      payload: sfn.TaskInput.fromObject({ executionId: sfn.JsonPath.stringAt('$$.Execution.Id') }),
      payloadResponseOnly: true,
    });
    // Self fan-out: the state machine's own ARN from the context object (referencing the
    // construct here would be a circular dependency).
    const fanOut = new tasks.CallAwsService(this, 'StartAnotherDispatcher', {
      service: 'sfn',
      action: 'startExecution',
      parameters: { StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'), Input: '{}' },
      iamResources: [
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: workflowStateMachineName(this, 'Dispatcher'),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });

    const wait = new sfn.Wait(this, 'WaitUntilDue', { time: sfn.WaitTime.timestampPath('$.notBefore') });
    const publish = new tasks.LambdaInvoke(this, 'Publish', {
      lambdaFunction: this.functions.publish.function,
      payloadResponseOnly: true,
      // No retries at all: a second invocation could not publish twice (the post is no longer
      // QUEUED), but the step that talks to platforms is never blindly repeated.
      retryOnServiceExceptions: false,
    });
    const publishFailed = new sfn.Pass(this, 'PublishStepFailed', {
      parameters: {
        batch: {
          'executionId.$': '$.executionId',
          'notBefore.$': '$.notBefore',
          'postIds.$': '$.postIds',
        },
      },
    });
    const record = new tasks.LambdaInvoke(this, 'Record', {
      lambdaFunction: this.functions.record.function,
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    retryIdempotent(record, ['States.ALL'], { interval: Duration.seconds(1), maxAttempts: 4 });
    publish.addCatch(publishFailed, { errors: ['States.ALL'], resultPath: '$.error' });
    publishFailed.next(record);

    const map = new sfn.Map(this, 'PublishBatches', {
      itemsPath: '$.batches',
      maxConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(wait.next(publish.next(record)));

    const more = new sfn.Choice(this, 'MoreDue')
      .when(sfn.Condition.booleanEquals('$.more', true), fanOut.next(map))
      .otherwise(map);

    this.workflow = new ScheduledWorkflow(this, 'Default', {
      name: 'Dispatcher',
      definition: recover.next(claim).next(more),
      stateMachineType: sfn.StateMachineType.EXPRESS,
      timeout: Duration.minutes(5),
      functions: Object.values(this.functions),
      schedule: {
        id: 'EveryMinute',
        description: 'Starts the Dispatcher every minute',
        expression: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
        // A missed minute is covered by the next one: retry briefly, then dead-letter.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(2),
      },
      logRemovalPolicy,
    });

    this.channelHealth = fn(
      'ChannelHealthFunction',
      'functions/publishing/channel-health.ts',
      'Hourly check of every channel’s credentials',
      Duration.minutes(2),
    )
      .bindTable(props.data, 'read')
      .bindEventBus(props.bus)
      .bindChannelSecrets(secretPrefix, 'readWrite');
    // An explicit role, so the acknowledgement below sits on a role of this construct.
    const healthScheduleRole = new iam.Role(this, 'HourlyScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the channel health check',
    });
    this.channelHealthSchedule = new scheduler.Schedule(this, 'Hourly', {
      description: 'Checks channel credentials every hour',
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      target: new targets.LambdaInvoke(this.channelHealth.function, {
        role: healthScheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(30),
      }),
    });
    // Scheduler invokes the function asynchronously: its DLQ catches failed invocations, and this
    // catches a run that throws after Lambda's own retries.
    this.channelHealth.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
    });
    Validations.of(healthScheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.channelHealth.function.node.defaultChild as CfnResource)}.Arn>:*]`,
      reason: 'The schedule invokes this one function; ":*" only covers its own versions and aliases.',
    });
  }
}
