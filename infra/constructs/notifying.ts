import { readFileSync } from 'node:fs';
import { type CfnResource, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as scheduleTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as z from 'zod';
import { EVENT_SOURCE, type EventType } from '../../shared/events.ts';
import { CHART_ASSETS } from '../../shared/notify/chart-assets.ts';
import {
  defaultNotifyConfigInput,
  NOTIFY_ENV,
  NotifyConfig,
  usesEmail,
  webhookNames,
  workspaceTimezone,
} from '../../shared/notify/config.ts';
import { STACK_KEYS } from '../../shared/stack-keys.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { PulsecastFunction, type TableBinding } from './pulsecast-function.ts';

/** Lambda's environment is 4 KB in all; the routing must leave room for the other variables. */
const MAX_CONFIG_BYTES = 3_000;

/** Props of {@link PulsecastNotifying}. */
export interface PulsecastNotifyingProps {
  readonly data: TableBinding;
  readonly bus: events.IEventBus;
  /**
   * The function behind `/v1/unsubscribe`: it gets the unsubscribe key to check links with.
   * @default - no signed unsubscribe links (List-Unsubscribe falls back to the routing's address or a mailto:)
   */
  readonly unsubscribeFunction?: PulsecastFunction;
  /**
   * The stack's Keys secret (infra/constructs/secrets.ts), whose `unsubscribe` field signs the
   * unsubscribe links.
   * @default - no signed unsubscribe links
   */
  readonly keys?: secretsmanager.ISecret;
  /**
   * The API's base URL, for the signed unsubscribe links and links to posts in alerts.
   * @default - none
   */
  readonly apiUrl?: string;
  /**
   * The routing: which events go at once to which Slack webhooks and email addresses, and the
   * digests (format in shared/notify/config.ts). Validated at synth.
   */
  readonly config: NotifyConfig;
  /**
   * The From header of every email (`Pulsecast <notify@example.com>` or a bare address).
   * Required when the routing names any email address.
   * @default - no email
   */
  readonly senderAddress?: string;
  /**
   * The verified SES identity the sender belongs to: the address itself or its domain.
   * @default - the sender's address
   */
  readonly senderIdentity?: string;
  /**
   * Name of the Secrets Manager secret holding the Slack webhook URLs, a JSON object keyed by
   * the webhook names the routing uses. Required when the routing names any Slack webhook.
   * @default - no Slack
   */
  readonly slackWebhookSecretName?: string;
  /**
   * Retries of a failed notifier invocation before the event goes to the dead-letter queue
   * (Lambda asynchronous invocation: 0 to 2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Notifications and digests (issue 7):
 *
 *   bus "pulsecast" ──rules (from the routing)──► Notifier ──► Slack webhooks · SES
 *   Scheduler (daily/weekly, team time zone) ──► Digest builder ──► store + "Digest Ready" ──► Notifier
 *
 * - Routing is configuration: the rules match the event types (and goal statuses) that some
 *   route sends at once; everything else is left for the digest. The notifier applies the same
 *   routing per workspace, so a rule never sends more than the configuration says.
 * - Nothing is lost silently: Slack 429/5xx and SES throttling are retried inside the notifier;
 *   a failed invocation is retried by Lambda (`retryAttempts`) and then sent, with its error, to
 *   the dead-letter queue. So is an event EventBridge could not deliver, and a digest run that
 *   failed or could not be started.
 * - Every event reaches the archive of the bus (PulsecastEvents) for replay: a message fixed
 *   after a bug can be resent by replaying, and dedup keeps replays from repeating sent ones.
 */
export class PulsecastNotifying extends Construct {
  public readonly notifier: PulsecastFunction;
  public readonly digest: PulsecastFunction;
  /** Notifications and digest runs that failed after every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  /** One rule per kind of immediate routing, plus `Digest Ready`. */
  public readonly rules: events.Rule[] = [];
  /** The digest schedules, by `<workspace>/<period>`. */
  public readonly schedules = new Map<string, scheduler.Schedule>();
  /** The role the digest schedules run as (it may only invoke the digest builder). */
  public readonly scheduleRole: iam.Role;
  /** The secret holding the Slack webhook URLs, when the routing uses Slack. */
  public readonly slackWebhookSecretName: string | undefined;
  /** Chart images of the digests, for Slack (private; presigned URLs; expire after a week). */
  public readonly chartBucket: s3.Bucket;
  /** The secret holding the unsubscribe links' HMAC key (the stack's Keys), when bound. */
  public readonly unsubscribeSecret: secretsmanager.ISecret | undefined;

  constructor(scope: Construct, id: string, props: PulsecastNotifyingProps) {
    super(scope, id);
    this.slackWebhookSecretName = props.slackWebhookSecretName;
    const parsed = NotifyConfig.safeParse(props.config);
    if (!parsed.success)
      throw new Error(`${this.node.path}: invalid notification routing: ${parsed.error.message}`);
    const config = parsed.data;
    const webhooks = webhookNames(config);
    if (webhooks.length > 0 && !props.slackWebhookSecretName) {
      throw new Error(
        `${this.node.path}: the routing sends to Slack webhooks ${webhooks.join(', ')} but no Slack webhook secret is configured (context slackWebhookSecret)`,
      );
    }
    if (usesEmail(config) && !props.senderAddress) {
      throw new Error(
        `${this.node.path}: the routing sends email but no sender is configured (context senderAddress)`,
      );
    }
    const configJson = JSON.stringify(config);
    if (Buffer.byteLength(configJson) > MAX_CONFIG_BYTES) {
      throw new Error(
        `${this.node.path}: the routing is ${Buffer.byteLength(configJson)} bytes as JSON; at most ${MAX_CONFIG_BYTES} fit in the function's environment`,
      );
    }
    const retryAttempts = props.retryAttempts ?? 2;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 2) {
      throw new Error(`${this.node.path}: retryAttempts must be 0, 1 or 2, got ${retryAttempts}`);
    }
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.deadLetterQueue = deadLetterQueue(
      this,
      'DeadLetters',
      'the notifier, the digest builder, their rules and schedules',
    );

    // Slack shows images only by URL: the digest's charts go here, shown through presigned URLs.
    // Private (all public access blocked, TLS only, S3-managed encryption); a chart is only needed
    // until Slack has fetched it, so objects expire after a week.
    this.chartBucket = new s3.Bucket(this, 'ChartBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ prefix: 'charts/', expiration: Duration.days(7) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.chartBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only generated chart images of digests for up to a week; the one writer is the notifier (its puts are in CloudTrail), readers come through presigned URLs it signed. Server access logs would need a second bucket for nothing worth auditing.',
    });

    this.notifier = new PulsecastFunction(this, 'NotifierFunction', {
      entry: 'functions/notifying/notify.ts',
      description: 'Sends routed events and digests to Slack and email, once each',
      // Room for Slack's Retry-After and SES backoff inside one invocation.
      timeout: Duration.seconds(90),
      // Charts: vega lays out and resvg (WebAssembly) rasterises; more memory is more CPU.
      memorySize: 1024,
      logRemovalPolicy,
      environment: {
        [NOTIFY_ENV.config]: configJson,
        ...(props.apiUrl ? { [NOTIFY_ENV.apiUrl]: props.apiUrl } : {}),
      },
      // The one function that draws: the WebAssembly and the fonts next to its bundle.
      assets: CHART_ASSETS,
    })
      .bindTable(props.data, 'readWrite')
      .bindChartBucket(this.chartBucket);

    if (props.unsubscribeFunction && props.apiUrl && props.keys) {
      // The key of the one-click unsubscribe links: the notifier signs with it, the endpoint checks.
      this.unsubscribeSecret = props.keys;
      this.notifier.bindStackKey(NOTIFY_ENV.unsubscribeSecret, props.keys, STACK_KEYS.unsubscribe);
      props.unsubscribeFunction.bindStackKey(
        NOTIFY_ENV.unsubscribeSecret,
        props.keys,
        STACK_KEYS.unsubscribe,
      );
    }
    if (props.slackWebhookSecretName) {
      const secret = secretsmanager.Secret.fromSecretNameV2(
        this,
        'SlackWebhookSecret',
        props.slackWebhookSecretName,
      );
      this.notifier.bindSecret(NOTIFY_ENV.slackSecret, secret);
    }
    if (props.senderAddress) {
      const address = /<([^>]+)>/.exec(props.senderAddress)?.[1]?.trim() ?? props.senderAddress.trim();
      this.notifier.bindSesSender(props.senderIdentity ?? address, props.senderAddress);
    }

    this.digest = new PulsecastFunction(this, 'DigestFunction', {
      entry: 'functions/notifying/digest.ts',
      description: 'Builds a workspace digest, stores it and announces Digest Ready',
      timeout: Duration.seconds(60),
      logRemovalPolicy,
      environment: { [NOTIFY_ENV.config]: configJson },
    })
      .bindTable(props.data, 'readWrite')
      .bindEventBus(props.bus);

    // Lambda retries a failed asynchronous invocation, then hands the event with its error to the
    // queue: the record says which event, which attempt and why.
    for (const fn of [this.notifier, this.digest]) {
      fn.function.configureAsyncInvoke({
        retryAttempts,
        maxEventAge: Duration.hours(6),
        onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      });
    }

    // --- rules: routing is configuration ---------------------------------------------------------
    const routes = config.workspaces.flatMap((w) => w.routes);
    const plainTypes = new Set<EventType>();
    let goalStatuses: Set<string> | 'all' | undefined;
    for (const route of routes) {
      for (const type of route.events) {
        if (type === 'Goal Status Changed') {
          if (!route.statuses || goalStatuses === 'all') goalStatuses = 'all';
          else goalStatuses = new Set([...(goalStatuses ?? []), ...route.statuses]);
        } else if (type !== 'Digest Ready') {
          plainTypes.add(type);
        }
      }
    }
    // Approval requests go to the approvers themselves whatever the routing says (shared/approvals).
    plainTypes.add('Approval Requested');
    const target = new eventTargets.LambdaFunction(this.notifier.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    });
    const rule = (ruleId: string, description: string, pattern: events.EventPattern) => {
      const created = new events.Rule(this, ruleId, {
        eventBus: props.bus,
        description,
        eventPattern: pattern,
      });
      created.addTarget(target);
      this.rules.push(created);
    };
    if (plainTypes.size > 0) {
      rule('ImmediateRule', 'Events the routing sends to Slack/email at once', {
        source: [EVENT_SOURCE],
        detailType: [...plainTypes].sort(),
      });
    }
    if (goalStatuses) {
      rule(
        'GoalStatusRule',
        'Goal status changes the routing sends at once (the notifier applies the cool-down)',
        {
          source: [EVENT_SOURCE],
          detailType: ['Goal Status Changed'],
          ...(goalStatuses === 'all' ? {} : { detail: { status: [...goalStatuses].sort() } }),
        },
      );
    }
    rule('DigestReadyRule', 'Digests to send', { source: [EVENT_SOURCE], detailType: ['Digest Ready'] });

    // --- digests: a daily and a weekly schedule per workspace, in its time zone ------------------
    // One explicit role for every digest schedule, so the acknowledgement sits on this construct.
    this.scheduleRole = new iam.Role(this, 'DigestScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler start the digest builder',
    });
    Validations.of(this.scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.digest.function.node.defaultChild as CfnResource)}.Arn>:*]`,
      reason: 'The digest schedules invoke this one function; ":*" only covers its own versions and aliases.',
    });
    for (const workspace of config.workspaces) {
      const timeZone = TimeZone.of(workspaceTimezone(config, workspace));
      const runs: { period: 'daily' | 'weekly'; at: string; weekDay?: string }[] = [];
      if (workspace.digest.daily) runs.push({ period: 'daily', at: workspace.digest.daily });
      if (workspace.digest.weekly) {
        runs.push({ period: 'weekly', at: workspace.digest.weekly.at, weekDay: workspace.digest.weekly.day });
      }
      for (const run of runs) {
        const [hour, minute] = run.at.split(':');
        const name = `${workspace.id}/${run.period}`;
        const schedule = new scheduler.Schedule(this, `Digest-${workspace.id}-${run.period}`, {
          description: `The ${run.period} digest of workspace ${workspace.id}`,
          schedule: scheduler.ScheduleExpression.cron({
            minute: String(Number(minute)),
            hour: String(Number(hour)),
            ...(run.weekDay ? { weekDay: run.weekDay } : {}),
            timeZone,
          }),
          target: new scheduleTargets.LambdaInvoke(this.digest.function, {
            role: this.scheduleRole,
            input: scheduler.ScheduleTargetInput.fromObject({
              workspaceId: workspace.id,
              period: run.period,
              // The scheduled (not the actual) time: a late or repeated run covers the same days.
              scheduledTime: scheduler.ContextAttribute.scheduledTime,
            }),
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: 3,
            maxEventAge: Duration.hours(2),
          }),
        });
        this.schedules.set(name, schedule);
      }
    }
  }
}

/** What {@link notifyingPropsFromContext} reads. */
export type NotifyingContextProps = Pick<
  PulsecastNotifyingProps,
  'config' | 'senderAddress' | 'senderIdentity' | 'slackWebhookSecretName'
>;

/**
 * The notification settings from CDK context (`-c key=value` or cdk.json):
 *
 * | key | meaning |
 * |---|---|
 * | `alertEmails` | addresses for alerts and digests, comma-separated (or a JSON array in cdk.json) |
 * | `senderAddress` | the From of every email, a verified SES address (`Pulsecast <notify@example.com>`) |
 * | `senderIdentity` | the SES identity it belongs to, the address or its domain (default: the address) |
 * | `slackWebhookSecret` | name of the Secrets Manager secret with the Slack webhook URLs (JSON by webhook name) |
 * | `slackWebhook` | the webhook name the default routing uses (default `default`) |
 * | `digestTimezone` | the team's IANA time zone for the digest schedules (default `UTC`) |
 * | `notifyRouting` | the full routing (shared/notify/config.ts) as JSON, or a path to a JSON file; replaces the default routing built from the keys above |
 */
export function notifyingPropsFromContext(scope: Construct): NotifyingContextProps {
  const text = (key: string): string | undefined => {
    const value: unknown = scope.node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string')
      throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return value.trim();
  };
  const emailsValue: unknown = scope.node.tryGetContext('alertEmails');
  const alertEmails =
    emailsValue === undefined || emailsValue === ''
      ? []
      : Array.isArray(emailsValue)
        ? emailsValue.map(String)
        : typeof emailsValue === 'string'
          ? emailsValue
              .split(',')
              .map((e) => e.trim())
              .filter(Boolean)
          : (() => {
              throw new Error('context alertEmails must be a comma-separated string or an array');
            })();
  const slackWebhookSecretName = text('slackWebhookSecret');
  const routingValue: unknown = scope.node.tryGetContext('notifyRouting');
  let config: NotifyConfig;
  if (routingValue !== undefined && routingValue !== '') {
    let raw: unknown = routingValue;
    if (typeof routingValue === 'string') {
      const source = routingValue.trim().startsWith('{') ? routingValue : readFileSync(routingValue, 'utf8');
      try {
        raw = JSON.parse(source);
      } catch {
        throw new Error('context notifyRouting is neither JSON nor a path to a JSON file');
      }
    }
    const parsed = NotifyConfig.safeParse(raw);
    if (!parsed.success) throw new Error(`context notifyRouting: ${z.prettifyError(parsed.error)}`);
    config = parsed.data;
  } else {
    const parsed = NotifyConfig.safeParse(
      defaultNotifyConfigInput({
        alertEmails,
        ...(slackWebhookSecretName ? { slackWebhook: text('slackWebhook') ?? 'default' } : {}),
        timezone: text('digestTimezone') ?? 'UTC',
      }),
    );
    if (!parsed.success) throw new Error(`notification context: ${z.prettifyError(parsed.error)}`);
    config = parsed.data;
  }
  const senderAddress = text('senderAddress');
  const senderIdentity = text('senderIdentity');
  return {
    config,
    ...(senderAddress ? { senderAddress } : {}),
    ...(senderIdentity ? { senderIdentity } : {}),
    ...(slackWebhookSecretName ? { slackWebhookSecretName } : {}),
  };
}
