import * as z from 'zod';
import { DEFAULT_CHANNEL_SECRET_PREFIX } from '../../shared/channels.ts';
import { type Cadence, cadenceFrom, DEFAULT_CHECKPOINTS } from '../../shared/measuring/cadence.ts';
import { MIN_SECRET_LENGTH } from '../../shared/measuring/webhook-secret.ts';
import { NOTIFY_ENV, NotifyConfig } from '../../shared/notify/config.ts';

/**
 * Every environment variable Pulsecast's functions read, each named once, parsed once
 * (docs/architecture.md#configuration-and-the-composition-root). A value that is set but wrong
 * stops the function with a message naming the variable; a variable only some functions get
 * (the bus, the notifier's routing) is optional here and required where its dependency is built
 * (runtime.ts), so one module can serve every function — and local mode, which loads them all.
 *
 * Variables read by libraries themselves stay theirs: the AWS SDK's (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_*`, credentials) and Powertools' (`POWERTOOLS_SERVICE_NAME`,
 * `POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_METRICS_DISABLED`).
 */

const unset = (value: string | undefined) => (value === '' ? undefined : value);
/** An empty variable counts as unset (a CDK token that resolved to nothing, `X= cmd`). */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unset, schema.optional());

/** What the logger and metrics need when their module loads (observability.ts). */
const Observability = z.object({
  /** Set by the Lambda runtime, always: whether the process runs on Lambda. */
  AWS_LAMBDA_FUNCTION_NAME: optional(z.string()),
  /** Off Lambda: the log level (default, and for an unknown level, WARN); on Lambda, POWERTOOLS_LOG_LEVEL rules. */
  PULSECAST_LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toUpperCase() : value),
    z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']).catch('WARN'),
  ),
  POWERTOOLS_METRICS_NAMESPACE: optional(z.string()).transform((value) => value ?? 'Pulsecast'),
});

const Env = Observability.extend({
  /** The single table (every function). */
  TABLE_NAME: optional(z.string()),
  /** The event bus (the functions that publish). */
  EVENT_BUS_NAME: optional(z.string()),
  /** Off AWS: channel credentials and the conversion webhook's secret in this JSON file. */
  PULSECAST_SECRETS_FILE: optional(z.string()),
  /** Channel secrets live under this prefix (the stack's `secretPrefix`). */
  PULSECAST_SECRET_PREFIX: optional(z.string()).transform((value) => value ?? DEFAULT_CHANNEL_SECRET_PREFIX),
  /** Secrets no channel may name (comma-separated; the stack's own webhook secrets). */
  PULSECAST_RESERVED_SECRET_REFS: optional(z.string()).transform((value) =>
    (value ?? '')
      .split(',')
      .map((ref) => ref.trim())
      .filter((ref) => ref.length > 0),
  ),
  /** `1`: channels may point at loopback http addresses and name `local/` secrets. */
  PULSECAST_LOCAL_CHANNELS: optional(z.string()).transform((value) => value === '1'),
  /** The conversion webhook's secret in Secrets Manager (set by the stack). */
  CONVERSIONS_SECRET_ID: optional(z.string()),
  /** The conversion webhook's secret itself (off AWS). */
  PULSECAST_CONVERSIONS_SECRET: optional(
    z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`),
  ),
  /** The metrics cadence: comma-separated ages (the measuring construct's `checkpoints`). */
  METRICS_CHECKPOINTS: optional(z.string()).transform((value, context): Cadence => {
    try {
      return cadenceFrom(value ?? DEFAULT_CHECKPOINTS.join(','));
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  /** The Auditor state machine the audit API starts (set by the stack). */
  AUDITOR_STATE_MACHINE_ARN: optional(z.string()),
  /** The notifier's routing, as JSON (shared/notify/config.ts). */
  [NOTIFY_ENV.config]: optional(z.string()).transform((raw, context): NotifyConfig | undefined => {
    if (raw === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      context.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
    const parsed = NotifyConfig.safeParse(json);
    if (parsed.success) return parsed.data;
    context.addIssue({ code: 'custom', message: `is not a valid routing: ${z.prettifyError(parsed.error)}` });
    return z.NEVER;
  }),
  /** The secret holding the Slack webhook URLs. */
  [NOTIFY_ENV.slackSecret]: optional(z.string()),
  /** The From of every email; unset means no email. */
  [NOTIFY_ENV.sender]: optional(z.string()),
  /** The HMAC key of approval links in Secrets Manager (set by the stack; shared/approvals). */
  APPROVAL_LINK_SECRET_ID: optional(z.string()),
  /** The Slack app's signing secret in Secrets Manager (set by the stack). */
  SLACK_SIGNING_SECRET_ID: optional(z.string()),
  /** The API's public base URL, which approval links point at (set by the stack). */
  APPROVAL_BASE_URL: optional(z.url()),
  [NOTIFY_ENV.chartBucket]: optional(z.string()),
  [NOTIFY_ENV.apiUrl]: optional(z.string().url()),
  [NOTIFY_ENV.unsubscribeSecret]: optional(z.string()),
});

export type Config = z.output<typeof Env>;
export type ConfigVariable = keyof Config;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseWith<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `environment variable ${String(issue.path[0])} ${issue.message}`,
  );
  throw new ConfigError(problems.join('; '));
}

/** The configuration an environment describes; throws, naming each bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  return parseWith(Env, env);
}

/**
 * The settings the logger and metrics take when their module loads, before any handler runs
 * (the rest of the configuration is read on first use: see {@link config}).
 */
export function observabilityConfig(env: NodeJS.ProcessEnv = process.env): z.output<typeof Observability> {
  return parseWith(Observability, env);
}

let current: Config | undefined;

/**
 * This process's configuration: the one installed (local mode, tests), else the environment,
 * parsed on first use and kept — on Lambda, the function's environment at cold start.
 */
export function config(): Config {
  current ??= parseConfig(process.env);
  return current;
}

/** Makes `next` this process's configuration (runtime.ts `installDeps`). */
export function installConfig(next: Config): void {
  current = next;
}

/** A variable this function cannot work without: its value, or an error naming it. */
export function required<K extends ConfigVariable>(settings: Config, name: K): NonNullable<Config[K]> {
  const value = settings[name];
  if (value === undefined || value === null) throw new ConfigError(`environment variable ${name} is not set`);
  return value as NonNullable<Config[K]>;
}
