import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { METRIC, NOTIFICATION_CHANNEL_DIMENSION, NOTIFICATION_CHANNELS } from '../../shared/metrics.ts';

/** The CloudWatch namespace of Pulsecast's own metrics (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'Pulsecast';

/**
 * The custom metrics the handlers emit (shared/metrics.ts). Each carries one dimension,
 * `service`: the stack's name; `NotificationsSent` also `channel`.
 */
export const PULSECAST_METRICS = METRIC;

/**
 * The `service` of every log line and the dimension of every custom metric: the stack's name
 * (`Pulsecast-<stage>`), so that two stages in one account never add up each other's posts.
 */
export function serviceNameOf(scope: IConstruct): string {
  return Stack.of(scope).stackName;
}

/**
 * The Powertools environment of every Pulsecast function (set by PulsecastFunction): the service
 * name, the metrics namespace, and INFO logs (one line per step and per problem).
 */
export function powertoolsEnvironment(scope: IConstruct): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: serviceNameOf(scope),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

/** Addresses that look like `someone@example.com` (SNS checks them for real by asking each to confirm). */
const EMAIL = /^[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+$/;

/**
 * The `alertEmails` context: addresses separated by commas (`-c alertEmails=a@x.org,b@x.org`) or,
 * in cdk.json, a JSON array. Absent or empty: no addresses. Anything that is not an address fails
 * the synth, naming it.
 */
export function alertEmailsFromContext(scope: IConstruct): string[] {
  const value: unknown = scope.node.tryGetContext('alertEmails');
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list || list.some((entry) => typeof entry !== 'string')) {
    throw new Error(
      `context alertEmails must be email addresses separated by commas (or a JSON array of them), got ${JSON.stringify(value)}`,
    );
  }
  return (list as string[]).map((entry) => entry.trim()).filter(Boolean);
}

/**
 * How much the stack watches (`-c observability=basic|full`):
 * - `basic` (the default): the alarms that page a person about posts lost or failed — failed and
 *   unknown publishes, Dispatcher executions that failed or timed out, a Dispatcher that stopped
 *   starting, and the depth of every dead-letter queue — and no dashboard. About $1.5 a month of
 *   CloudWatch at zero posts.
 * - `full`: also Dispatcher lateness, API 5xx, failed executions of every other state machine,
 *   errors of every function, and the dashboard (about $3 a month more for the dashboard alone).
 */
export const OBSERVABILITY_LEVELS = ['basic', 'full'] as const;
export type ObservabilityLevel = (typeof OBSERVABILITY_LEVELS)[number];

/** The `observability` context (`basic` when absent); anything else fails the synth, naming it. */
export function observabilityLevelFromContext(scope: IConstruct): ObservabilityLevel {
  const value: unknown = scope.node.tryGetContext('observability');
  if (value === undefined || value === null || value === '') return 'basic';
  if (!OBSERVABILITY_LEVELS.includes(value as ObservabilityLevel)) {
    throw new Error(
      `context observability must be one of ${OBSERVABILITY_LEVELS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as ObservabilityLevel;
}

/** Props of {@link PulsecastObservability}. */
export interface PulsecastObservabilityProps {
  /** The Dispatcher: its executions are alarmed on by name (failures, timeouts, a stall). */
  readonly dispatcher: sfn.StateMachine;
  /**
   * The HTTP API: requests, 4xx, 5xx and latency on the dashboard, and an alarm on any 5xx (a 5xx
   * is a bug or an outage, docs/architecture.md#http-api).
   * @default - no API widgets or alarm
   */
  readonly httpApi?: IHttpApi;
  /**
   * Who gets every alarm (and its return to OK) by email. SNS mails each address a confirmation
   * link first; nothing is delivered until it is clicked.
   * @default - none: the topic exists, subscribe to it later (email, Slack through AWS Chatbot, …)
   */
  readonly alertEmails?: readonly string[];
  /**
   * p99 publish lateness, in seconds, above which the Dispatcher counts as late.
   * @default 60
   */
  readonly latenessThresholdSeconds?: number;
  /**
   * Which alarms, and whether there is a dashboard ({@link ObservabilityLevel}).
   * @default 'basic'
   */
  readonly level?: ObservabilityLevel;
  /**
   * Where to look for dead-letter queues, state machines, schedules and functions.
   * @default - the whole stack
   */
  readonly scope?: IConstruct;
}

/**
 * What Pulsecast tells its operators (issue 9, "deployable and secure by default"), in one place:
 *
 * - an SNS topic that every alarm notifies (and email subscriptions from `alertEmails`);
 * - alarms: failed publishes, unknown outcomes, Dispatcher executions that failed or timed out
 *   and a Dispatcher that stopped starting, and the depth of every dead-letter queue; at the
 *   `full` level ({@link ObservabilityLevel}) also Dispatcher lateness (p99), API 5xx, failed
 *   executions of every other state machine, and errors of every Lambda function;
 * - at the `full` level, a dashboard with the publishing numbers, the Dispatcher, the dead-letter
 *   queues, the API and the functions.
 *
 * Dead-letter queues, state machines, schedules and functions are found, not listed: every
 * `sqs.Queue` that a schedule target, an event-rule target, a Lambda function's asynchronous
 * invocation (on-failure destination or DLQ) or another queue's redrive policy names is a
 * dead-letter queue and gets its depth alarm. So a construct added later is covered without
 * changing this one, provided it is built before this construct (the stack builds it last); a
 * dead-letter queue or state machine that appears afterwards fails the synth with a message
 * saying so, rather than going unwatched.
 */
export class PulsecastObservability extends Construct {
  /** Every alarm notifies this topic, on ALARM and on OK. */
  public readonly alarmTopic: sns.Topic;
  /** The customer-managed key the topic is encrypted with (see the constructor for why not aws/sns). */
  public readonly alarmTopicKey: kms.Key;
  /** The CloudWatch dashboard, named after the stack (the `full` level only). */
  public readonly dashboard: cloudwatch.Dashboard | undefined;
  /** What this stack watches. */
  public readonly level: ObservabilityLevel;
  /**
   * Every alarm by name: `PublishFailed`, `PublishUnknown`, `DispatcherLate`, `DispatcherFailed`,
   * `DispatcherStalled`, `ApiServerErrors`, `DeadLetters-<queue>`, `Executions-<state machine>`
   * and `Errors-<function>` (construct paths below the stack, `/` as `-`).
   */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The dead-letter queues found, each with its depth alarm. */
  public readonly deadLetterQueues: readonly sqs.Queue[];

  private readonly alarmPrefix: string;
  private readonly byName: Record<string, cloudwatch.Alarm> = {};
  private readonly action: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: PulsecastObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const searchScope = props.scope ?? stack;
    const latenessThreshold = props.latenessThresholdSeconds ?? 60;
    this.level = props.level ?? 'basic';
    const full = this.level === 'full';
    if (!(latenessThreshold > 0)) {
      throw new Error(
        `${this.node.path}: latenessThresholdSeconds must be positive, got ${latenessThreshold}`,
      );
    }
    const emails = props.alertEmails ?? [];
    for (const email of emails) {
      if (!EMAIL.test(email)) {
        throw new Error(`${this.node.path}: "${email}" in alertEmails is not an email address`);
      }
    }
    // Alarm names start with the stack's name: readable in a notification's subject, distinct per
    // stage, and what the topic and key policies below match alarms by.
    this.alarmPrefix = `${stack.stackName}-`;

    // --- the topic ------------------------------------------------------------------------------
    // Encrypted with a key of our own, not the AWS managed aws/sns: CloudWatch publishes to an
    // encrypted topic only if the key policy lets cloudwatch.amazonaws.com use the key, and the
    // policy of an AWS managed key cannot be changed — alarms would fire and nothing would be
    // delivered. The key holds nothing at rest (SNS keeps a message only until it is delivered),
    // so it goes with the stack; it costs about 1 USD a month.
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm notifications of ${stack.stackName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${stack.stackName} alarms`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // CloudWatch may publish, and use the key, for this account's Pulsecast alarms only (the
    // source conditions keep another account's alarms from using this topic: confused deputy).
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${this.alarmPrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsEncrypt',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: fromOurAlarms,
      }),
    );
    for (const email of emails) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    this.action = new cloudwatchActions.SnsAction(this.alarmTopic);

    // --- what to watch ----------------------------------------------------------------------------
    const found = discover(searchScope);
    this.deadLetterQueues = found.deadLetterQueues;
    const service = serviceNameOf(this);
    const custom = (metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period,
      });
    const fiveMinutes = Duration.minutes(5);
    const count = (metricName: string) => custom(metricName, cloudwatch.Stats.SUM, fiveMinutes);

    // --- publishing alarms ------------------------------------------------------------------------
    this.alarm('PublishFailed', {
      metric: count(PULSECAST_METRICS.postsFailed),
      threshold: 0,
      description:
        'Posts ended FAILED in the last 5 minutes. Each has a "Post Failed" event with the reason (rejected by the platform, credentials, validation); fix it and reschedule the post.',
    });
    this.alarm('PublishUnknown', {
      metric: count(PULSECAST_METRICS.postsUnknown),
      threshold: 0,
      description:
        'Posts ended UNKNOWN in the last 5 minutes: the platform may or may not have published them. Pulsecast looks them up where the platform allows; otherwise check each post on its channel and decide. Never republish blindly.',
    });
    if (full) {
      this.alarm('DispatcherLate', {
        metric: custom(PULSECAST_METRICS.publishLatenessSeconds, 'p99', Duration.minutes(15)),
        threshold: latenessThreshold,
        description: `The slowest 1% of posts published in the last 15 minutes went out more than ${latenessThreshold} s after their scheduled time. Look at the Dispatcher's duration and throttles, the platforms' latency and the Publish function's errors.`,
      });
    }
    const dispatcher = props.dispatcher;
    this.alarm('DispatcherFailed', {
      metric: failedOrTimedOut(dispatcher, fiveMinutes),
      threshold: 0,
      description:
        'Dispatcher executions failed or timed out in the last 5 minutes: the posts they claimed are released or made UNKNOWN by the next run. See the execution history and the Dispatcher log group.',
    });
    this.alarm('DispatcherStalled', {
      metric: dispatcher.metricStarted({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 2,
      // No data is the symptom here: nothing started the Dispatcher for 10 minutes.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description:
        'The Dispatcher has not started for 10 minutes, so nothing is published. Check its schedule (enabled? sent to its dead-letter queue?) and the Step Functions quotas.',
    });
    if (full && props.httpApi) {
      this.alarm('ApiServerErrors', {
        metric: props.httpApi.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        description:
          'The API answered 5xx in the last 5 minutes. The access log gives the route and requestId; an unexpected failure has a "request failed" ERROR line with its cause and that requestId in the function’s log group.',
      });
    }

    // --- everything found ----------------------------------------------------------------------
    for (const queue of found.deadLetterQueues) {
      this.alarm(`DeadLetters-${labelOf(queue, stack)}`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        description: `Messages are waiting in the dead-letter queue ${pathOf(queue)}: work that failed after every retry (each message says what and why). Fix the cause, then redrive or delete them.`,
      });
    }
    for (const machine of full ? found.stateMachines : []) {
      if (machine === dispatcher) continue;
      this.alarm(`Executions-${labelOf(machine, stack)}`, {
        metric: failedOrTimedOut(machine, fiveMinutes),
        threshold: 0,
        description: `Executions of ${pathOf(machine)} failed or timed out in the last 5 minutes. See the execution history and its log group.`,
      });
    }
    for (const fn of full ? found.functions : []) {
      this.alarm(`Errors-${labelOf(fn, stack)}`, {
        metric: fn.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        description: `The function ${pathOf(fn)} failed (an error it did not handle, a timeout, or running out of memory) in the last 5 minutes. Its log group has the error; a handler wrapped in observed() logs it as "invocation failed" with its correlation ids.`,
      });
    }
    this.alarms = this.byName;

    this.dashboard = full
      ? this.buildDashboard({ found, dispatcher, httpApi: props.httpApi, count, custom, latenessThreshold })
      : undefined;

    // A dead-letter queue or state machine that appeared after this construct was built would go
    // unwatched: say so at synth instead. (A function added later — the tests add route groups — only
    // lacks its error alarm and its line on the dashboard; that does not fail the synth.)
    this.node.addValidation({
      validate: () => {
        const late = discover(searchScope);
        const watched = new Set<IConstruct>([...found.deadLetterQueues, ...found.stateMachines]);
        return [...late.deadLetterQueues, ...late.stateMachines]
          .filter((construct) => !watched.has(construct))
          .map(
            (construct) =>
              `${construct.node.path} was added after ${this.node.path}, so it has no alarm: build PulsecastObservability last in the stack`,
          );
      },
    });
  }

  /** The dashboard of the `full` level: publishing, the Dispatcher, queues, workflows, API, functions. */
  private buildDashboard(inputs: {
    found: Found;
    dispatcher: sfn.StateMachine;
    httpApi: IHttpApi | undefined;
    count: (metricName: string) => cloudwatch.Metric;
    custom: (metricName: string, statistic: string, period: Duration) => cloudwatch.Metric;
    latenessThreshold: number;
  }): cloudwatch.Dashboard {
    const { found, dispatcher, httpApi, count, custom, latenessThreshold } = inputs;
    const stack = Stack.of(this);
    const service = serviceNameOf(this);
    const fiveMinutes = Duration.minutes(5);
    // EventBridge Scheduler reports per schedule group, not per schedule (the default group is
    // shared with anything else in the account that uses it).
    const scheduleGroups = new Map<string, scheduler.IScheduleGroup>();
    for (const schedule of found.schedules) {
      const group = schedule.scheduleGroup;
      const name = group ? stack.resolve(group.scheduleGroupName) : 'default';
      if (!scheduleGroups.has(name)) {
        scheduleGroups.set(
          name,
          group ?? scheduler.ScheduleGroup.fromDefaultScheduleGroup(this, 'DefaultScheduleGroup'),
        );
      }
    }
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: stack.stackName,
      defaultInterval: Duration.hours(24),
    });
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });
    const labelled = (metricName: string, label: string) => count(metricName).with({ label });

    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.byName),
        width: 24,
        height: Math.min(12, 2 + Math.ceil(Object.keys(this.byName).length / 4)),
      }),
    );
    dashboard.addWidgets(
      graph('Posts published, failed, unknown, rescheduled', [
        labelled(PULSECAST_METRICS.postsPublished, 'published'),
        labelled(PULSECAST_METRICS.postsFailed, 'failed'),
        labelled(PULSECAST_METRICS.postsUnknown, 'unknown'),
        labelled(PULSECAST_METRICS.postsRescheduled, 'rescheduled'),
        labelled(PULSECAST_METRICS.postsReconciled, 'reconciled'),
      ]),
      graph(
        'Publish lateness (seconds after scheduledAt)',
        [
          custom(PULSECAST_METRICS.publishLatenessSeconds, 'p50', fiveMinutes).with({ label: 'p50' }),
          custom(PULSECAST_METRICS.publishLatenessSeconds, 'p99', fiveMinutes).with({ label: 'p99' }),
        ],
        { leftAnnotations: [{ value: latenessThreshold, label: 'alarm (p99, 15 min)' }] },
      ),
    );
    dashboard.addWidgets(
      graph('Dispatcher executions', [
        dispatcher.metricStarted({ period: fiveMinutes, label: 'started' }),
        dispatcher.metricSucceeded({ period: fiveMinutes, label: 'succeeded' }),
        dispatcher.metricFailed({ period: fiveMinutes, label: 'failed' }),
        dispatcher.metricTimedOut({ period: fiveMinutes, label: 'timed out' }),
        dispatcher.metricThrottled({ period: fiveMinutes, label: 'throttled' }),
      ]),
      graph('Dispatcher claims and recovery', [
        labelled(PULSECAST_METRICS.postsClaimed, 'claimed'),
        labelled(PULSECAST_METRICS.postsRecovered, 'claims released by Recover'),
        labelled(PULSECAST_METRICS.postsReconciled, 'UNKNOWN found on the platform'),
      ]),
    );
    dashboard.addWidgets(
      graph(
        'Dead-letter queues (messages waiting)',
        found.deadLetterQueues.map((queue) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: fiveMinutes,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: labelOf(queue, stack),
          }),
        ),
      ),
      graph(
        'Workflow executions failed or timed out',
        found.stateMachines.map((machine, index) =>
          failedOrTimedOut(machine, fiveMinutes, String(index)).with({ label: labelOf(machine, stack) }),
        ),
      ),
    );
    if (httpApi) {
      const api = httpApi;
      dashboard.addWidgets(
        graph('API requests, 4xx and 5xx', [
          api.metricCount({ period: fiveMinutes, label: 'requests' }),
          api.metricClientError({ period: fiveMinutes, label: '4xx' }),
          api.metricServerError({ period: fiveMinutes, label: '5xx' }),
        ]),
        graph('API latency (ms)', [
          api.metricLatency({ period: fiveMinutes, statistic: 'p50', label: 'p50' }),
          api.metricLatency({ period: fiveMinutes, statistic: 'p99', label: 'p99' }),
          api.metricIntegrationLatency({ period: fiveMinutes, statistic: 'p99', label: 'integration p99' }),
        ]),
      );
    }
    dashboard.addWidgets(
      graph(
        'Lambda errors',
        found.functions.map((fn) =>
          fn.metricErrors({
            period: fiveMinutes,
            statistic: cloudwatch.Stats.SUM,
            label: labelOf(fn, stack),
          }),
        ),
      ),
      graph(
        'Lambda throttles',
        found.functions.map((fn) =>
          fn.metricThrottles({
            period: fiveMinutes,
            statistic: cloudwatch.Stats.SUM,
            label: labelOf(fn, stack),
          }),
        ),
      ),
    );
    dashboard.addWidgets(
      graph('Metrics collected and notifications sent', [
        labelled(PULSECAST_METRICS.metricsCollected, 'metric snapshots collected'),
        ...NOTIFICATION_CHANNELS.map((channel) =>
          count(PULSECAST_METRICS.notificationsSent).with({
            dimensionsMap: { service, [NOTIFICATION_CHANNEL_DIMENSION]: channel },
            label: `notifications sent (${channel})`,
          }),
        ),
      ]),
      graph(
        'Schedules (per schedule group)',
        [...scheduleGroups.values()].flatMap((group) => [
          group.metricTargetErrors({
            period: fiveMinutes,
            label: `${group.scheduleGroupName}: target errors`,
          }),
          group.metricSentToDLQ({ period: fiveMinutes, label: `${group.scheduleGroupName}: sent to DLQ` }),
          group.metricFailedToBeSentToDLQ(undefined, {
            period: fiveMinutes,
            label: `${group.scheduleGroupName}: lost (DLQ failed)`,
          }),
        ]),
      ),
    );
    return dashboard;
  }

  private alarm(
    id: string,
    props: Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'evaluationPeriods'> & {
      description: string;
      evaluationPeriods?: number;
    },
  ): cloudwatch.Alarm {
    const { description, ...rest } = props;
    const alarm = new cloudwatch.Alarm(this, id, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data means nothing happened: no failed post, no message in a queue, no error.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...rest,
      alarmName: `${this.alarmPrefix}${id}`,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.byName[id] = alarm;
    return alarm;
  }
}

/**
 * Executions that failed or timed out; missing data (no execution) counts as none. `key` keeps
 * the ids of the expression's metrics apart when several expressions share one graph.
 */
function failedOrTimedOut(machine: sfn.StateMachine, period: Duration, key = ''): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `FILL(failed${key}, 0) + FILL(timedOut${key}, 0)`,
    usingMetrics: {
      [`failed${key}`]: machine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
      [`timedOut${key}`]: machine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
    },
    period,
    label: 'failed or timed out',
  });
}

/** A construct's path below the stack, readable as an id: `Notifying/DeadLetters` → `Notifying-DeadLetters`. */
/**
 * A construct's path as people read it: without `Default` ids (ScheduledWorkflow's), which CDK
 * leaves out of logical ids too.
 */
function pathOf(construct: IConstruct): string {
  return construct.node.path
    .split('/')
    .filter((id) => id !== 'Default')
    .join('/');
}

function labelOf(construct: IConstruct, stack: Stack): string {
  const path = pathOf(construct).slice(stack.node.path.length + 1);
  // PulsecastFunction wraps its Lambda function as `<Name>/Function`.
  return path.replace(/\/Function$/, '').replaceAll('/', '-');
}

interface Found {
  deadLetterQueues: sqs.Queue[];
  stateMachines: sfn.StateMachine[];
  functions: lambda.Function[];
  schedules: scheduler.Schedule[];
}

/**
 * Finds what needs watching below `scope`. A queue is a
 * dead-letter queue when a resource names its ARN in a dead-letter or on-failure setting: a
 * schedule target's or event-rule target's `DeadLetterConfig`, a function's `DeadLetterConfig`,
 * an asynchronous invocation's `OnFailure` destination, another queue's `RedrivePolicy`.
 */
function discover(scope: IConstruct): Found {
  const stack = Stack.of(scope);
  const constructs = scope.node.findAll();

  const queues = new Map<string, sqs.Queue>();
  for (const construct of constructs) {
    if (construct instanceof sqs.Queue) {
      queues.set(stack.resolve((construct.node.defaultChild as sqs.CfnQueue).logicalId), construct);
    }
  }
  const settings: unknown[] = [];
  const stateMachines: sfn.StateMachine[] = [];
  const functions: lambda.Function[] = [];
  const schedules: scheduler.Schedule[] = [];
  for (const construct of constructs) {
    if (construct instanceof scheduler.CfnSchedule) settings.push(construct.target);
    else if (construct instanceof events.CfnRule) settings.push(construct.targets);
    else if (construct instanceof lambda.CfnEventInvokeConfig) settings.push(construct.destinationConfig);
    else if (construct instanceof lambda.CfnFunction) settings.push(construct.deadLetterConfig);
    else if (construct instanceof sqs.CfnQueue) settings.push(construct.redrivePolicy);
    else if (construct instanceof sfn.StateMachine) stateMachines.push(construct);
    else if (construct instanceof lambda.Function) functions.push(construct);
    else if (construct instanceof scheduler.Schedule) schedules.push(construct);
  }

  const referenced = new Set<sqs.Queue>();
  const visit = (value: unknown, underDeadLetter: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, underDeadLetter);
    } else if (value && typeof value === 'object') {
      const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
      if (underDeadLetter && Array.isArray(getAtt) && getAtt[1] === 'Arn') {
        const queue = queues.get(String(getAtt[0]));
        if (queue) referenced.add(queue);
      }
      for (const [key, child] of Object.entries(value)) {
        visit(child, underDeadLetter || /dead.?letter|on.?failure|redrive/i.test(key));
      }
    }
  };
  for (const setting of settings) visit(stack.resolve(setting), false);

  return {
    deadLetterQueues: [...queues.values()].filter((queue) => referenced.has(queue)),
    stateMachines,
    functions,
    schedules,
  };
}
