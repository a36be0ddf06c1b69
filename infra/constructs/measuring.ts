import { Duration, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { cadenceFrom, DEFAULT_CHECKPOINTS } from '../../shared/measuring/cadence.ts';
import { STACK_KEYS } from '../../shared/stack-keys.ts';
import { PulsecastFunction } from './pulsecast-function.ts';
import {
  type ChannelWorkflowProps,
  ScheduledWorkflow,
  ScheduledWorkflowConstruct,
} from './scheduled-workflow.ts';
import { failWhenAnyItemFailed, idempotentStep, mapConcurrency, mapOver } from './workflow-steps.ts';

/** Props of {@link PulsecastMeasuring}. */
export interface PulsecastMeasuringProps extends ChannelWorkflowProps {
  readonly bus: events.IEventBus;
  /** The function behind `POST /v1/conversions`: it gets read access to the webhook secret. */
  readonly conversionsFunction: PulsecastFunction;
  /**
   * Name of an existing Secrets Manager secret whose string is the conversion webhook's HMAC
   * secret (one the shop already has).
   * @default - the `conversionsWebhook` field of `keys`, filled by hand with the shop's key
   */
  readonly conversionsSecretName?: string;
  /** The stack's Keys secret (infra/constructs/secrets.ts). */
  readonly keys: secretsmanager.ISecret;
  /**
   * Ages at which a published post's metrics are read: `30m`, `6h`, `7d`…, strictly increasing.
   * @default ['1h','2h','3h','4h','5h','6h','24h','72h','7d','30d']
   */
  readonly checkpoints?: readonly string[];
  /**
   * How often the Collector sweeps the due index (whole minutes, 1 to 60).
   * @default Duration.minutes(5)
   */
  readonly rate?: Duration;
  /**
   * Channels read at once by one sweep (each channel's posts are read one request after the other).
   * @default 10
   */
  readonly maxConcurrency?: number;
}

/**
 * Measuring (docs/architecture.md#collector): every 5 minutes an EventBridge Scheduler schedule
 * starts the Collector, an Express state machine in JSONPath:
 *
 *   CollectDue → anything due? → Map over channels (bounded): FetchAndStore → any channel failed? fail : done
 *
 * Why this shape:
 * - The due index is the schedule (one METRICS entry per published post, at its next
 *   checkpoint): no per-post workflow or timer to keep in sync, and a sweep is one Query.
 * - One Map iteration per channel, not per post or per batch: a channel's rate limit is spent by
 *   one reader, one request after the other, and a 429 stops exactly that channel while the
 *   others go on. The batching itself (the adapter's batch size, e.g. 100 posts per X request)
 *   happens inside FetchAndStore, so the state carries post ids, never metrics.
 * - FetchAndStore is one Lambda (ledger check, fetch, snapshots, events, next checkpoints)
 *   because each of those writes is conditional or idempotent: retried as a whole on transient
 *   errors, it writes nothing twice. A channel that still fails is caught so the other channels
 *   finish, its posts stay due for the next sweep, and the execution then fails, so the failure
 *   shows in the Collector's metrics and logs instead of being swallowed.
 * - No fan-out to further executions: a sweep takes up to 2,000 due posts and what is left waits
 *   5 minutes, well inside any checkpoint's tolerance (two executions reading the same posts
 *   would only spend rate limit twice).
 */
export class PulsecastMeasuring extends ScheduledWorkflowConstruct {
  readonly workflow: ScheduledWorkflow;
  /** The secret holding the conversion webhook's HMAC key: the one named, else the stack's Keys. */
  public readonly conversionsSecret: secretsmanager.ISecret;
  public readonly functions: Record<'collectDue' | 'collectChannel', PulsecastFunction>;

  constructor(scope: Construct, id: string, props: PulsecastMeasuringProps) {
    super(scope, id);
    const secretPrefix = props.secretPrefix ?? 'pulsecast/';
    const maxConcurrency = mapConcurrency(this, props.maxConcurrency, 10, 40);
    const rate = props.rate ?? Duration.minutes(5);
    const rateMinutes = rate.toMinutes({ integral: false });
    if (!Number.isInteger(rateMinutes) || rateMinutes < 1 || rateMinutes > 60) {
      throw new Error(
        `${this.node.path}: rate must be whole minutes from 1 to 60, got ${rate.toHumanString()}`,
      );
    }
    let checkpoints: string;
    try {
      checkpoints = cadenceFrom(props.checkpoints ?? DEFAULT_CHECKPOINTS)
        .checkpoints.map((c) => c.name)
        .join(',');
    } catch (error) {
      throw new Error(`${this.node.path}: ${(error as Error).message}`);
    }
    const { logRemovalPolicy } = props;

    const fn = (name: string, entry: string, description: string, timeout: Duration) =>
      new PulsecastFunction(this, name, {
        entry,
        description,
        timeout,
        logRemovalPolicy,
        environment: { METRICS_CHECKPOINTS: checkpoints },
      });
    this.functions = {
      collectDue: fn(
        'CollectDueFunction',
        'functions/measuring/collect-due.ts',
        'Collector: posts whose metrics checkpoint is due, per channel',
        Duration.seconds(60),
      ).bindTable(props.data, 'readWrite'),
      collectChannel: fn(
        'CollectChannelFunction',
        'functions/measuring/collect-channel.ts',
        'Collector: read one channel’s due posts in batches, snapshot them',
        // Inside the Express execution's 5 minutes; the handler stops starting requests 30 s before.
        Duration.minutes(3),
      )
        .bindTable(props.data, 'readWrite')
        .bindEventBus(props.bus)
        .bindChannelSecrets(secretPrefix, 'readWrite'),
    };

    const collectDue = idempotentStep(this, 'CollectDue', this.functions.collectDue, {
      payload: sfn.TaskInput.fromObject({}),
      payloadResponseOnly: true,
    });
    const fetchAndStore = idempotentStep(this, 'FetchAndStore', this.functions.collectChannel, {
      // Every iteration says whether it failed, so the verdict below needs no JSONPath filter.
      resultSelector: { 'summary.$': '$.Payload', failed: false },
    });

    const map = mapOver(this, 'CollectChannels', '$.channels', maxConcurrency, fetchAndStore, {
      id: 'ChannelNotCollected',
      key: 'channel',
    });
    const verdict = failWhenAnyItemFailed(
      this,
      { choice: 'AllChannelsCollected', fail: 'SomeChannelsNotCollected', succeed: 'Collected' },
      {
        error: 'ChannelsNotCollected',
        cause: 'one or more channels could not be read; their posts stay due for the next sweep',
      },
    );

    this.workflow = new ScheduledWorkflow(this, 'Default', {
      name: 'Collector',
      definition: collectDue.next(
        new sfn.Choice(this, 'AnyDue')
          // Most sweeps find nothing due: they end here, without a Map.
          .when(sfn.Condition.isPresent('$.channels[0]'), map.next(verdict))
          .otherwise(new sfn.Succeed(this, 'NothingDue')),
      ),
      stateMachineType: sfn.StateMachineType.EXPRESS,
      timeout: Duration.minutes(5),
      functions: Object.values(this.functions),
      schedule: {
        id: 'Sweep',
        description: `Starts the Collector every ${rate.toHumanString()}`,
        expression: scheduler.ScheduleExpression.rate(rate),
        // A missed sweep is covered by the next: posts stay due until they are read.
        retryAttempts: 2,
        maxEventAge: rate,
      },
      logRemovalPolicy,
    });

    if (props.conversionsSecretName) {
      this.conversionsSecret = secretsmanager.Secret.fromSecretNameV2(
        this,
        'ConversionsWebhookSecret',
        props.conversionsSecretName,
      );
      props.conversionsFunction.bindSecret('CONVERSIONS_SECRET_ID', this.conversionsSecret, 'name');
      // Imported by name, the ARN ends in Secrets Manager's random suffix, which IAM can only match
      // with `-??????`: still this one secret, nothing wider.
      Validations.of(props.conversionsFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.conversionsSecretName}-??????]`,
        reason:
          'The conversion webhook reads the one secret named by context; IAM matches a secret imported by name only with the six-character suffix Secrets Manager appends.',
      });
    } else {
      // The shop's key goes in by hand: the stack cannot generate a value someone else must hold.
      this.conversionsSecret = props.keys;
      props.conversionsFunction.bindStackKey(
        'CONVERSIONS_SECRET_ID',
        props.keys,
        STACK_KEYS.conversionsWebhook,
      );
    }
  }
}
