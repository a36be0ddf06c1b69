import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PulsecastFunction } from './pulsecast-function.ts';
import {
  type ChannelWorkflowProps,
  ScheduledWorkflow,
  ScheduledWorkflowConstruct,
} from './scheduled-workflow.ts';
import { failWhenAnyItemFailed, idempotentStep, mapConcurrency, mapOver } from './workflow-steps.ts';

/** Props of {@link PulsecastListening}. */
export interface PulsecastListeningProps extends ChannelWorkflowProps {
  readonly bus: events.IEventBus;
  /**
   * Platforms read at once by one run.
   * @default 4
   */
  readonly maxConcurrency?: number;
}

/**
 * Listening (docs/architecture.md#listener): every 5 minutes a schedule starts the Listener, an
 * Express state machine:
 *
 *   Plan → any platform? → Map over platforms: Listen → DetectSpikes → any platform failed? fail : done
 *
 * One Map iteration per platform: a platform's rate limit is spent by one reader, and a platform
 * that fails (caught) leaves the others and the spike check running; its positions stay, so the
 * next run reads what this one missed. Spikes are checked after every read, on what is stored.
 */
export class PulsecastListening extends ScheduledWorkflowConstruct {
  readonly workflow: ScheduledWorkflow;
  public readonly functions: Record<'plan' | 'listen' | 'spikes', PulsecastFunction>;

  constructor(scope: Construct, id: string, props: PulsecastListeningProps) {
    super(scope, id);
    const maxConcurrency = mapConcurrency(this, props.maxConcurrency, 4, 7);
    const { logRemovalPolicy } = props;
    const fn = (name: string, entry: string, description: string, timeout: Duration) =>
      new PulsecastFunction(this, name, { entry, description, timeout, logRemovalPolicy });
    this.functions = {
      plan: fn(
        'ListenPlanFunction',
        'functions/listening/plan.ts',
        'Listener: the platforms to read this run',
        Duration.seconds(30),
      ).bindTable(props.data, 'read'),
      listen: fn(
        'ListenFunction',
        'functions/listening/listen.ts',
        'Listener: read one platform’s new mentions, replies and our replies; store each once',
        Duration.minutes(3),
      )
        .bindTable(props.data, 'readWrite')
        .bindChannelSecrets(props.secretPrefix ?? 'pulsecast/', 'readWrite'),
      spikes: fn(
        'DetectSpikesFunction',
        'functions/listening/spikes.ts',
        'Listener: start or end mention spike episodes',
        Duration.seconds(60),
      )
        .bindTable(props.data, 'readWrite')
        .bindEventBus(props.bus),
    };

    // Every step is idempotent (conditional puts, stable event ids): retried as a whole.
    const plan = idempotentStep(this, 'Plan', this.functions.plan, {
      payload: sfn.TaskInput.fromObject({}),
      payloadResponseOnly: true,
    });
    const listen = idempotentStep(this, 'Listen', this.functions.listen, {
      resultSelector: { 'summary.$': '$.Payload', failed: false },
    });
    const detect = idempotentStep(this, 'DetectSpikes', this.functions.spikes, {
      payload: sfn.TaskInput.fromObject({}),
      resultPath: '$.spikes',
      resultSelector: { 'report.$': '$.Payload' },
    });
    const map = mapOver(this, 'ListenPerPlatform', '$.platforms', maxConcurrency, listen, {
      id: 'PlatformNotRead',
      key: 'platform',
    });
    const verdict = failWhenAnyItemFailed(
      this,
      { choice: 'AllPlatformsRead', fail: 'SomePlatformsNotRead', succeed: 'Listened' },
      {
        error: 'PlatformsNotRead',
        cause: 'one or more platforms could not be read; the next run reads from where they stopped',
      },
      '$.verdict',
    );

    this.workflow = new ScheduledWorkflow(this, 'Default', {
      name: 'Listener',
      definition: plan.next(
        new sfn.Choice(this, 'AnyPlatform')
          .when(sfn.Condition.isPresent('$.platforms[0]'), map.next(detect).next(verdict))
          .otherwise(new sfn.Succeed(this, 'NothingToListenFor')),
      ),
      stateMachineType: sfn.StateMachineType.EXPRESS,
      timeout: Duration.minutes(5),
      functions: Object.values(this.functions),
      schedule: {
        id: 'EveryFiveMinutes',
        description: 'Starts the Listener every 5 minutes',
        expression: scheduler.ScheduleExpression.rate(Duration.minutes(5)),
        // A missed run is covered by the next: positions only move once posts are stored.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      },
      logRemovalPolicy,
    });
  }
}
