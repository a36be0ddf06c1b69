import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PulsecastApi } from './constructs/api.ts';
import { PulsecastApproving } from './constructs/approving.ts';
import { PulsecastAuditing } from './constructs/auditing.ts';
import { PulsecastData } from './constructs/data.ts';
import { PulsecastEvaluating } from './constructs/evaluating.ts';
import { PulsecastEvents } from './constructs/events.ts';
import { PulsecastHolds } from './constructs/holds.ts';
import { PulsecastListening } from './constructs/listening.ts';
import { PulsecastMeasuring } from './constructs/measuring.ts';
import {
  type NotifyingContextProps,
  notifyingPropsFromContext,
  PulsecastNotifying,
} from './constructs/notifying.ts';
import {
  alertEmailsFromContext,
  observabilityLevelFromContext,
  PulsecastObservability,
} from './constructs/observability.ts';
import { PulsecastPublishing } from './constructs/publishing.ts';
import { stackKeysSecret } from './constructs/secrets.ts';

/** Props of {@link PulsecastStack}. */
export interface PulsecastStackProps extends StackProps {
  /**
   * Who gets every CloudWatch alarm by email (SNS asks each address to confirm first).
   * @default - context `alertEmails` (comma-separated), else nobody: the alarm topic only
   */
  readonly alertEmails?: readonly string[];
  /**
   * The deployment's name (`dev`, `prod`, `pr-42`); it tags every resource.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * A disposable deployment: data and logs go away with the stack, and the table has no
   * deletion protection. For previews and developers' stacks only.
   * @default false
   */
  readonly disposable?: boolean;
  /**
   * Name prefix of the Secrets Manager secrets that hold channel credentials; a channel's
   * `secretRef` must start with it.
   * @default 'pulsecast/'
   */
  readonly secretPrefix?: string;
  /**
   * Notification routing, sender and Slack secret.
   * @default - from context: alertEmails, senderAddress, senderIdentity, slackWebhookSecret,
   * slackWebhook, digestTimezone, notifyRouting (see notifyingPropsFromContext)
   */
  readonly notify?: NotifyingContextProps;
  /**
   * Name of an existing Secrets Manager secret holding the conversion webhook's HMAC secret.
   * @default - context `conversionsSecretName`, else a secret the stack creates
   */
  readonly conversionsSecretName?: string;
  /**
   * Ages at which published posts' metrics are read (`1h`, `24h`, `7d`…).
   * @default - context `metricsCheckpoints` (comma-separated), else 1h…6h hourly, 24h, 72h, 7d, 30d
   */
  readonly metricsCheckpoints?: readonly string[];
}

/**
 * Pulsecast on one AWS account: one construct per concern (docs/architecture.md#infrastructure).
 * Publishing, measuring, evaluating, notifying and observability join here as they are built.
 */
export class PulsecastStack extends Stack {
  public readonly data: PulsecastData;
  public readonly api: PulsecastApi;
  public readonly events: PulsecastEvents;
  public readonly publishing: PulsecastPublishing;
  public readonly evaluating: PulsecastEvaluating;
  public readonly notifying: PulsecastNotifying;
  public readonly measuring: PulsecastMeasuring;
  public readonly holds: PulsecastHolds;
  public readonly observability: PulsecastObservability;
  public readonly listening: PulsecastListening;
  public readonly approving: PulsecastApproving;
  public readonly auditing: PulsecastAuditing;
  /** The stack's own HMAC keys, one JSON field each (constructs/secrets.ts). */
  public readonly keys: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PulsecastStackProps = {}) {
    super(scope, id, {
      description: 'Pulsecast: social-media-marketing automation (calendar, publishing, measuring, goals)',
      ...props,
    });
    const stage = props.stage ?? 'dev';
    const disposable = props.disposable ?? false;
    Tags.of(this).add('pulsecast:stage', stage);

    this.data = new PulsecastData(this, 'Data', { disposable });
    this.api = new PulsecastApi(this, 'Api', {
      data: this.data,
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.events = new PulsecastEvents(this, 'Events');
    this.publishing = new PulsecastPublishing(this, 'Publishing', {
      data: this.data,
      bus: this.events.bus,
      ...(props.secretPrefix ? { secretPrefix: props.secretPrefix } : {}),
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    // The stack's own HMAC keys, one JSON field each, in one secret (constructs/secrets.ts).
    this.keys = stackKeysSecret(this, 'Keys', {
      removalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    new CfnOutput(this, 'KeysSecretName', {
      value: this.keys.secretName,
      description:
        'Secrets Manager secret with the stack keys: put the Slack signing secret in its slackSigning field and the conversion webhook key in conversionsWebhook',
    });

    this.notifying = new PulsecastNotifying(this, 'Notifying', {
      data: this.data,
      bus: this.events.bus,
      unsubscribeFunction: this.api.functionOf('Unsubscribe'),
      keys: this.keys,
      apiUrl: this.api.url,
      ...(props.notify ?? notifyingPropsFromContext(this)),
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    const conversionsSecretName = secretNameOf(this, 'conversionsSecretName', props.conversionsSecretName);
    this.measuring = new PulsecastMeasuring(this, 'Measuring', {
      data: this.data,
      bus: this.events.bus,
      conversionsFunction: this.api.functionOf('Conversions'),
      ...(props.secretPrefix ? { secretPrefix: props.secretPrefix } : {}),
      ...(conversionsSecretName ? { conversionsSecretName } : {}),
      ...metricsCheckpointsOf(this, props.metricsCheckpoints),
      keys: this.keys,
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    new CfnOutput(this, 'ConversionsWebhookSecretName', {
      value: this.measuring.conversionsSecret.secretName,
      description:
        'Secrets Manager secret with the HMAC key the shop signs POST /v1/conversions with (its conversionsWebhook field when it is the stack keys)',
    });

    // The channels API refuses a secretRef outside the channel prefix or naming one of ours. A
    // webhook secret the stack creates has a generated name outside the prefix already; the ones
    // named by context may sit under it.
    this.api.functionOf('Channels').describeChannelSecrets(
      props.secretPrefix ?? 'pulsecast/',
      [conversionsSecretName, this.notifying.slackWebhookSecretName].filter(
        (name): name is string => typeof name === 'string',
      ),
    );

    const slackSigningSecretName = secretNameOf(this, 'slackSigningSecretName');
    this.approving = new PulsecastApproving(this, 'Approving', {
      linkFunction: this.api.functionOf('ApprovalLinks'),
      slackFunction: this.api.functionOf('SlackInteractions'),
      notifier: this.notifying.notifier,
      apiUrl: this.api.url,
      ...(slackSigningSecretName ? { slackSigningSecretName } : {}),
      keys: this.keys,
    });

    this.evaluating = new PulsecastEvaluating(this, 'Evaluating', {
      data: this.data,
      bus: this.events.bus,
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.holds = new PulsecastHolds(this, 'Holds', {
      data: this.data,
      bus: this.events.bus,
      api: this.api,
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.listening = new PulsecastListening(this, 'Listening', {
      data: this.data,
      bus: this.events.bus,
      ...(props.secretPrefix ? { secretPrefix: props.secretPrefix } : {}),
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.auditing = new PulsecastAuditing(this, 'Auditing', {
      data: this.data,
      auditApiFunction: this.api.functionOf('Audits'),
      ...(props.secretPrefix ? { secretPrefix: props.secretPrefix } : {}),
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the HTTP API (SigV4-signed requests, service execute-api)',
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'The DynamoDB table' });

    // Last: it finds every dead-letter queue, state machine and function built above and alarms on
    // each (one added after it fails the synth).
    this.observability = new PulsecastObservability(this, 'Observability', {
      dispatcher: this.publishing.stateMachine,
      httpApi: this.api.httpApi,
      alertEmails: props.alertEmails ?? alertEmailsFromContext(this),
      level: observabilityLevelFromContext(this),
    });
  }
}

/** A secret's name from props, else from context (`-c <key>=<name>`); anything but a name fails the synth. */
function secretNameOf(stack: Stack, key: string, fromProps?: string): string | undefined {
  const value: unknown = fromProps ?? stack.node.tryGetContext(key);
  if (value !== undefined && (typeof value !== 'string' || !value)) {
    throw new Error(`context ${key} must be a secret name, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The Collector's cadence from props or `-c metricsCheckpoints=1h,6h,24h,7d` (validated by the construct). */
function metricsCheckpointsOf(
  stack: Stack,
  fromProps: readonly string[] | undefined,
): { checkpoints?: readonly string[] } {
  if (fromProps) return { checkpoints: fromProps };
  const value: unknown = stack.node.tryGetContext('metricsCheckpoints');
  if (value === undefined) return {};
  if (typeof value === 'string') return { checkpoints: value.split(',').map((part) => part.trim()) };
  if (Array.isArray(value) && value.every((part) => typeof part === 'string')) return { checkpoints: value };
  throw new Error(
    `context metricsCheckpoints must be a comma-separated list like 1h,24h,7d, got ${JSON.stringify(value)}`,
  );
}
