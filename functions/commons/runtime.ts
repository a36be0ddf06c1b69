import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type ChannelPolicy, channelPolicyFrom } from '../../shared/channels.ts';
import type { Platform } from '../../shared/domain/index.ts';
import { EventBridgePublisher } from '../../shared/eventbridge.ts';
import type { EventPublisher } from '../../shared/events.ts';
import type { Cadence } from '../../shared/measuring/cadence.ts';
import {
  fileWebhookSecret,
  SecretsManagerWebhookSecret,
  StaticWebhookSecret,
  type WebhookSecret,
} from '../../shared/measuring/webhook-secret.ts';
import { NOTIFY_ENV, type NotifyConfig } from '../../shared/notify/config.ts';
import type { ChartHost, EmailSender, SlackSender } from '../../shared/notify/port.ts';
import type { GoalsReader } from '../../shared/notify/source.ts';
import type { UnsubscribeKey } from '../../shared/notify/unsubscribe.ts';
import type { AccountReader } from '../../shared/platforms/account.ts';
import { FileCredentialStore, SecretsManagerCredentialStore } from '../../shared/platforms/credentials.ts';
import type { ListeningAdapter } from '../../shared/platforms/listening.ts';
import type { CredentialStore, PlatformAdapter } from '../../shared/platforms/port.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { DynamoListeningStore, type ListeningStore } from '../../shared/store/listening.ts';
import { DynamoTable } from '../../shared/store/table.ts';
import { type Config, ConfigError, config, installConfig, required } from './config.ts';

/**
 * The composition root of the functions (docs/architecture.md#configuration-and-the-composition-root):
 * everything a handler depends on beyond its event, built here, once per container, from the
 * configuration (config.ts) — or installed, in one call to {@link installDeps}, by local mode
 * and the tests before any handler runs.
 *
 * Each dependency has its own accessor rather than one `deps()` object, and the builders of the
 * heavy ones live in two sibling modules — platform-runtime.ts (every platform adapter) and
 * notify-runtime.ts (SES, Slack) — so that a function's bundle carries only what it uses: esbuild
 * keeps every package a bundled module imports, used or not.
 */
export interface Deps {
  now: () => Date;
  store: DynamoStore;
  /** Channel credentials: Secrets Manager on AWS, a JSON file off it. */
  credentials: CredentialStore;
  /** The conversion webhook's HMAC secret; an error (answered as 503) when none is configured. */
  webhookSecret: WebhookSecret | ConfigError;
  channelPolicy: ChannelPolicy;
  cadence: Cadence;
  events: EventPublisher;
  adapterFor: (platform: Platform) => PlatformAdapter;
  notifyConfig: NotifyConfig;
  /** Absent: no Slack (no webhook secret configured). */
  slack: SlackSender | undefined;
  /** Absent: no email (no sender address configured). */
  email: EmailSender | undefined;
  senderAddress: string | undefined;
  goals: GoalsReader;
  /** Listening's settings, mentions and spike state (same table). */
  listening: ListeningStore;
  /** The listening adapter of a platform (undefined where listening is not built). */
  listeningFor: (platform: Platform) => ListeningAdapter | undefined;
  /** The HMAC key of approval links, or why there is none (approval-runtime.ts). */
  approvalLinkKey: WebhookSecret | ConfigError;
  /** The Slack app's signing secret, or why there is none. */
  slackSigningSecret: WebhookSecret | ConfigError;
  /** The API's public base URL for approval links (local mode installs its server's). */
  approvalBaseUrl: string | undefined;
  /** Where Slack fetches chart images; absent: digests go to Slack without images. */
  charts: ChartHost | undefined;
  /** The API's base URL as the team reaches it (links in alerts). */
  apiUrl: string | undefined;
  /** The unsubscribe links' HMAC key. */
  unsubscribeKey: UnsubscribeKey;
  /** Account readers (history import, followers), beside the adapters they refresh tokens through. */
  accountReaderFor: (platform: Platform) => AccountReader;
  /** Starts a state machine execution (the Auditor from the API): Step Functions on AWS, the local runner off it. */
  startExecution: ExecutionStarter;
}

/** Starts an execution named `name` (unique per state machine) with `input`. */
export type ExecutionStarter = (stateMachineArn: string, name: string, input: unknown) => Promise<void>;

const installed: Partial<Deps> = {};
const built: Partial<Deps> = {};

/**
 * Local mode's and the tests' one way in: these dependencies (and, if given, this
 * configuration) replace what would be built from the environment. Handlers read their
 * dependencies when they load or on each event, so install before loading them.
 */
export function installDeps(next: Partial<Deps> & { config?: Config }): void {
  const { config: settings, ...deps } = next;
  if (settings) installConfig(settings);
  Object.assign(installed, deps);
}

/**
 * The installed dependency, else the one built from the configuration on first use (by this
 * module and its two siblings, platform-runtime.ts and notify-runtime.ts).
 */
export function dep<K extends keyof Deps>(key: K, build: () => Deps[K]): Deps[K] {
  if (key in installed) return installed[key] as Deps[K];
  if (!(key in built)) built[key] = build();
  return built[key] as Deps[K];
}

/** The clock handlers read: real time on AWS, local mode's virtual clock there. */
export const now = (): Date => dep('now', () => () => new Date())();

/**
 * A DynamoDB client. `unsigned` (local mode's embedded dynalite, on 127.0.0.1 only) skips
 * request signing: dynalite does not check signatures, and signing every request of thousands of
 * simulated executions is a tenth of local mode's time (docs/adr/0006-unsigned-local-dynalite.md).
 */
export function dynamoClient(
  options: {
    endpoint?: string;
    unsigned?: boolean;
    /** Local mode: hand requests to dynalite in-process (local/dynamo-in-process.ts). */
    requestHandler?: DynamoDBClientConfig['requestHandler'];
  } = {},
): DynamoDBClient {
  if (!options.unsigned) return new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
  return new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
    signer: {
      sign: async (request) => {
        // dynalite only checks that a well-formed SigV4 header is there.
        request.headers.authorization =
          'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=local';
        request.headers['x-amz-date'] = '20260101T000000Z';
        return request;
      },
    },
  });
}

/** The table adapter, created once per container (the SDK client reuses its connections). */
export function tableStore(): DynamoStore {
  return dep(
    'store',
    () =>
      new DynamoStore({
        tableName: required(config(), 'TABLE_NAME'),
        client: createDocumentClient(dynamoClient()),
      }),
  );
}

/** The listening store, over the same table (and, on Lambda, its own client). */
export function listeningStore(): ListeningStore {
  return dep(
    'listening',
    () =>
      new DynamoListeningStore(
        new DynamoTable({
          tableName: required(config(), 'TABLE_NAME'),
          client: createDocumentClient(dynamoClient()),
        }),
      ),
  );
}

/**
 * Channel credentials. The one place that chooses between Secrets Manager (on AWS) and the
 * JSON file named by PULSECAST_SECRETS_FILE (off AWS); the Slack webhooks and the conversion
 * webhook's secret come from the same place.
 */
export function credentialStore(): CredentialStore {
  return dep('credentials', () => {
    const file = config().PULSECAST_SECRETS_FILE;
    return file ? new FileCredentialStore(file) : new SecretsManagerCredentialStore();
  });
}

/**
 * The conversion webhook's secret, or why there is none:
 * `PULSECAST_CONVERSIONS_SECRET` (the value itself), else the secrets file's
 * `pulsecast/conversions-webhook` entry, else `CONVERSIONS_SECRET_ID` (Secrets Manager; set by
 * the stack). The local sources come first: local mode copies the synthesized function's
 * environment, whose secret name means nothing without AWS.
 */
export function webhookSecretFrom(settings: Config): WebhookSecret {
  const {
    PULSECAST_CONVERSIONS_SECRET: value,
    PULSECAST_SECRETS_FILE: file,
    CONVERSIONS_SECRET_ID: id,
  } = settings;
  if (value) return new StaticWebhookSecret(value);
  if (file) return fileWebhookSecret(new FileCredentialStore(file), file);
  if (id) return new SecretsManagerWebhookSecret(id);
  throw new ConfigError(
    'the conversion webhook has no secret: set CONVERSIONS_SECRET_ID (the stack does), or PULSECAST_CONVERSIONS_SECRET / PULSECAST_SECRETS_FILE locally',
  );
}

/**
 * The unsubscribe links' HMAC key: the secret named by UNSUBSCRIBE_SECRET_ID (local mode installs
 * its own). Read on first use, so a deployment without it fails the request that needs it.
 */
export function unsubscribeKey(): UnsubscribeKey {
  return dep('unsubscribeKey', () => {
    const id = config()[NOTIFY_ENV.unsubscribeSecret];
    if (id)
      return new SecretsManagerWebhookSecret(id, undefined, undefined, undefined, 'the unsubscribe key');
    return {
      get: () =>
        Promise.reject(new ConfigError(`${NOTIFY_ENV.unsubscribeSecret} is not set: no unsubscribe key`)),
    };
  });
}

/**
 * Resolved once per container. Local mode loads every route module at start, so a deployment
 * without a webhook secret gets the reason here (POST /v1/conversions answers 503 with it)
 * instead of an API that cannot start.
 */
export function webhookSecret(): WebhookSecret | ConfigError {
  return dep('webhookSecret', () => {
    try {
      return webhookSecretFrom(config());
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
  });
}

/** What a channel may point at (shared/channels.ts). */
export function channelPolicy(): ChannelPolicy {
  return dep('channelPolicy', () => channelPolicyFrom(config()));
}

/** The metrics cadence of this deployment (METRICS_CHECKPOINTS). */
export function cadence(): Cadence {
  return dep('cadence', () => config().METRICS_CHECKPOINTS);
}

export function eventPublisher(): EventPublisher {
  return dep('events', () => new EventBridgePublisher(required(config(), 'EVENT_BUS_NAME')));
}
