import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { PulsecastFunction } from './pulsecast-function.ts';
import {
  ScheduledWorkflow,
  ScheduledWorkflowConstruct,
  type WorkflowConstructProps,
} from './scheduled-workflow.ts';
import { failWhenAnyFailed, mapConcurrency, mapOver, retryIdempotent } from './workflow-steps.ts';

/** Props of {@link PulsecastEvaluating}. */
export interface PulsecastEvaluatingProps extends WorkflowConstructProps {
  readonly bus: events.IEventBus;
  /**
   * When the sweep runs. Each run evaluates the campaigns whose daily evaluation is due — once a
   * day each, from 06:00 in the campaign's own time zone — so it must run at least hourly.
   * @default every hour at minute 5
   */
  readonly sweep?: scheduler.ScheduleExpression;
  /**
   * Campaigns evaluated at once.
   * @default 5
   */
  readonly maxConcurrency?: number;
}

/**
 * Evaluating (docs/architecture.md#evaluator): an EventBridge Scheduler schedule starts the
 * Evaluator, a Standard state machine in JSONPath:
 *
 *   ListDueCampaigns → none due? done
 *     → Map over campaigns: EvaluateCampaign → AnnounceChanges
 *     → Tally → any campaign failed? fail the execution (after the others finished)
 *
 * Why this shape:
 * - Daily per campaign time zone, with one schedule: campaign time zones are data (any IANA
 *   zone, changed at any time), while a Scheduler schedule's zone is fixed at deploy time. So the
 *   schedule sweeps hourly and the List step picks the campaigns whose local time is past 06:00
 *   and whose latest evaluation is from an earlier local date — each campaign is evaluated once a
 *   day in its own morning, across DST changes, and a missed hour is caught up by the next.
 * - The handlers only move data: Evaluate loads through the store port, runs the pure evaluation
 *   in shared/goals and stores it (one per campaign and local date); Announce puts the status
 *   changes and new recommendations on the bus. Both are retried: an evaluation compares with
 *   the previous *date*, so a retry finds the same changes under the same event ids.
 * - One campaign's failure does not stop the others (Catch per iteration), but the execution
 *   still ends FAILED so it can be alarmed on; its campaign stays due and the next hour retries.
 * - Standard, not Express: a few transitions a campaign a day cost next to nothing, runs are
 *   not capped at 5 minutes, and each run's history is kept for inspection.
 */
export class PulsecastEvaluating extends ScheduledWorkflowConstruct {
  readonly workflow: ScheduledWorkflow;
  public readonly functions: Record<'list' | 'evaluate' | 'announce', PulsecastFunction>;

  constructor(scope: Construct, id: string, props: PulsecastEvaluatingProps) {
    super(scope, id);
    const maxConcurrency = mapConcurrency(this, props.maxConcurrency, 5, 40);
    const { logRemovalPolicy } = props;

    const fn = (name: string, entry: string, description: string, timeout: Duration, memorySize = 512) =>
      new PulsecastFunction(this, name, { entry, description, timeout, memorySize, logRemovalPolicy });
    this.functions = {
      list: fn(
        'ListFunction',
        'functions/evaluating/list.ts',
        'Evaluator: campaigns whose daily evaluation is due',
        Duration.seconds(60),
      ).bindTable(props.data, 'read'),
      evaluate: fn(
        'EvaluateFunction',
        'functions/evaluating/evaluate.ts',
        'Evaluator: evaluate one campaign’s goals and recommendations, store the evaluation',
        Duration.minutes(5),
        1024,
      ).bindTable(props.data, 'readWrite'),
      announce: fn(
        'AnnounceFunction',
        'functions/evaluating/announce.ts',
        'Evaluator: announce goal status changes and new recommendations',
        Duration.seconds(30),
      ).bindEventBus(props.bus),
    };

    const list = new tasks.LambdaInvoke(this, 'ListDueCampaigns', {
      lambdaFunction: this.functions.list.function,
      // The execution's input as the payload: `{}` from the schedule, `{ "force": true }` by hand.
      payloadResponseOnly: true,
    });
    retryIdempotent(list, ['States.ALL']);

    const evaluate = new tasks.LambdaInvoke(this, 'EvaluateCampaign', {
      lambdaFunction: this.functions.evaluate.function,
      payload: sfn.TaskInput.fromObject({
        campaignId: sfn.JsonPath.stringAt('$.campaignId'),
        asOf: sfn.JsonPath.stringAt('$.asOf'),
      }),
      payloadResponseOnly: true,
    });
    const announce = new tasks.LambdaInvoke(this, 'AnnounceChanges', {
      lambdaFunction: this.functions.announce.function,
      payload: sfn.TaskInput.fromObject({
        campaignId: sfn.JsonPath.stringAt('$.campaignId'),
        events: sfn.JsonPath.listAt('$.events'),
      }),
      payloadResponseOnly: true,
      resultSelector: { 'announced.$': '$.announced' },
      resultPath: '$.announcement',
    });
    for (const step of [evaluate, announce]) retryIdempotent(step, ['States.ALL']);
    const done = new sfn.Pass(this, 'CampaignDone', {
      parameters: {
        'campaignId.$': '$.campaignId',
        'asOfDate.$': '$.asOfDate',
        'statuses.$': '$.statuses',
        'announced.$': '$.announcement.announced',
        failed: 'no',
      },
    });
    const failed = new sfn.Pass(this, 'CampaignFailed', {
      parameters: {
        'campaignId.$': '$.campaignId',
        'error.$': '$.error.Error',
        'cause.$': '$.error.Cause',
        failed: 'yes',
      },
    });
    evaluate.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
    // Announce's input is Evaluate's output, which carries the campaignId too.
    announce.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });

    const map = mapOver(
      this,
      'EvaluateCampaigns',
      '$.campaigns',
      maxConcurrency,
      evaluate.next(announce).next(done),
    );

    const tally = new sfn.Pass(this, 'Tally', {
      parameters: {
        'asOf.$': '$.asOf',
        'count.$': '$.count',
        'more.$': '$.more',
        'results.$': '$.results',
        'anyFailed.$': "States.ArrayContains($.results[*].failed, 'yes')",
      },
    });
    const outcome = failWhenAnyFailed(
      this,
      '$.anyFailed',
      { choice: 'AnyCampaignFailed', fail: 'SomeCampaignsFailed', succeed: 'AllEvaluated' },
      {
        error: 'Pulsecast.EvaluationFailed',
        cause: 'At least one campaign could not be evaluated; it stays due and the next sweep retries it.',
      },
    );

    this.workflow = new ScheduledWorkflow(this, 'Default', {
      name: 'Evaluator',
      definition: list.next(
        new sfn.Choice(this, 'AnyCampaignDue')
          // Nothing due (most hours): done. It also keeps Tally from reading an empty list.
          .when(sfn.Condition.numberEquals('$.count', 0), new sfn.Succeed(this, 'NothingDue'))
          .otherwise(map.next(tally).next(outcome)),
      ),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.minutes(50),
      functions: Object.values(this.functions),
      schedule: {
        id: 'HourlySweep',
        description:
          'Starts the Evaluator; it evaluates each campaign once a day after 06:00 in its time zone',
        expression: props.sweep ?? scheduler.ScheduleExpression.cron({ minute: '5' }),
        // A missed sweep is covered by the next one an hour later.
        retryAttempts: 3,
        maxEventAge: Duration.minutes(30),
      },
      logRemovalPolicy,
    });
  }
}
