import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { observabilityConfig } from './config.ts';

/**
 * Logs, metrics and traces of every handler: one Powertools Logger, Metrics and Tracer per
 * container, created here at module scope, and `observed()`, the middy middleware that ties them
 * to each invocation.
 *
 * On Lambda everything follows the function's environment, which the house-defaults function
 * construct sets: `POWERTOOLS_SERVICE_NAME` (the stack's name, so two stages in one account never
 * mix their metrics), `POWERTOOLS_METRICS_NAMESPACE` (`Pulsecast`) and `POWERTOOLS_LOG_LEVEL`.
 *
 * Off Lambda — local mode and the tests, told apart by the missing `AWS_LAMBDA_FUNCTION_NAME`
 * that the Lambda runtime always sets — nothing tries to reach X-Ray, metrics are not printed
 * unless `POWERTOOLS_METRICS_DISABLED=false` asks for them, and the logger prints warnings and
 * errors only unless `PULSECAST_LOG_LEVEL` says otherwise. The level cannot simply follow
 * `POWERTOOLS_LOG_LEVEL` there: local mode copies every function's template environment into its
 * one process, so the deployed `INFO` would turn a test run into pages of JSON.
 */

const settings = observabilityConfig();
const onLambda = settings.AWS_LAMBDA_FUNCTION_NAME !== undefined;

if (!onLambda && process.env.POWERTOOLS_METRICS_DISABLED === undefined) {
  // Powertools prints metrics as EMF lines on stdout; off Lambda nobody collects them. The
  // variable is Powertools' own, read by the Metrics constructor below, hence set before it
  // runs; an explicit value always wins.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}

/** The logger every handler and helper uses: structured JSON, one line per entry. */
export const logger = new Logger(onLambda ? {} : { logLevel: settings.PULSECAST_LOG_LEVEL });

/**
 * Hands every entry the logger prints to `print` (its level and the JSON line) instead of the
 * console. Local mode uses it to show the entries as text (local/console-log.ts); Lambda and the
 * tests keep the JSON. Powertools has no option for its output stream, so this replaces the
 * logger's private console; if an upgrade renames it, this throws at start rather than silently
 * printing JSON. Returns what puts the console back.
 */
export function printLogsWith(print: (level: string, printed: string) => void): () => void {
  const target = logger as unknown as { console?: Record<string, unknown> };
  if (typeof target.console?.warn !== 'function')
    throw new Error('the Powertools logger no longer has a console to replace (printLogsWith)');
  const method = (level: string) => (printed: unknown) => print(level, String(printed));
  const previous = target.console;
  target.console = {
    ...target.console,
    trace: method('TRACE'),
    debug: method('DEBUG'),
    info: method('INFO'),
    log: method('INFO'),
    warn: method('WARN'),
    error: method('ERROR'),
  };
  return () => {
    target.console = previous;
  };
}

/** Custom metrics, in the `Pulsecast` namespace with a `service` dimension (the stack's name). */
export const metrics = new Metrics({
  namespace: settings.POWERTOOLS_METRICS_NAMESPACE,
  // Powertools' own warnings (a metric with a bad name, say) go through the JSON logger.
  logger,
});

/**
 * X-Ray: the handler's subsegment, annotated with the correlation ids; outgoing HTTPS calls
 * traced. Loaded on Lambda only: the X-Ray SDK installs async hooks at import, which cost local
 * mode (every handler in one process, thousands of invocations per simulated day) a tenth of its
 * time while tracing nothing.
 */
const tracing = onLambda
  ? {
      tracer: new (await import('@aws-lambda-powertools/tracer')).Tracer(),
      captureLambdaHandler: (await import('@aws-lambda-powertools/tracer/middleware')).captureLambdaHandler,
    }
  : undefined;
export const tracer: Tracer | undefined = tracing?.tracer;

/**
 * The custom metrics Pulsecast emits (shared/metrics.ts): the alarms and the dashboard
 * (infra/constructs/observability.ts) read the same names.
 */
export {
  METRIC,
  NOTIFICATION_CHANNEL_DIMENSION,
  NOTIFICATION_CHANNELS,
  type NotificationChannel,
} from '../../shared/metrics.ts';
export { MetricUnit };

/**
 * Adds a count to this invocation's metrics, unless it is zero. A zero says nothing that missing
 * data does not (every alarm on a count treats missing data as nothing happened, and the one
 * watching for silence reads the Dispatcher's own AWS/States metrics), while a metric emitted
 * every minute costs its full monthly price even when nothing ever happens: the Dispatcher runs
 * every minute, so zeros alone made four metrics cost about $1.20 a month at zero posts.
 */
export function addCount(name: string, value: number): void {
  if (value !== 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** What ties log lines, traces and metrics of one invocation to the work it did. */
export type CorrelationIds = Record<string, string>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * The ids an event carries, under stable keys:
 * - `executionId`: a Dispatcher (or other state machine) execution, from `$.executionId` or
 *   `$.batch.executionId` — every step of one execution logs the same value;
 * - `postId`, `uploadId`: from the event itself or an EventBridge event's `detail`;
 * - an HTTP API path parameter `{id}` named after the collection before it
 *   (`GET /v1/posts/{id}` → `postId`, `/v1/campaigns/{id}` → `campaignId`);
 * - `correlation_id` (Powertools' key): the API Gateway request id for HTTP requests — the
 *   `requestId` of the access log line — otherwise the execution, post or upload id.
 */
export function correlationIdsOf(event: unknown): CorrelationIds {
  if (!isRecord(event)) return {};
  const ids: CorrelationIds = {};
  const detail = isRecord(event.detail) ? event.detail : {};
  const batch = isRecord(event.batch) ? event.batch : {};
  const executionId = text(event.executionId) ?? text(batch.executionId);
  const postId = text(event.postId) ?? text(detail.postId);
  const uploadId = text(event.uploadId) ?? text(detail.uploadId);
  if (executionId) ids.executionId = executionId;
  if (postId) ids.postId = postId;
  if (uploadId) ids.uploadId = uploadId;

  const routeKey = text(event.routeKey);
  const pathParameters = isRecord(event.pathParameters) ? event.pathParameters : {};
  if (routeKey) {
    const segments = routeKey.split(' ')[1]?.split('/') ?? [];
    for (const [index, segment] of segments.entries()) {
      const name = /^\{(\w+)\+?\}$/.exec(segment)?.[1];
      const value = name ? text(pathParameters[name]) : undefined;
      if (!name || !value) continue;
      const collection = segments[index - 1]?.replace(/s$/, '').replace(/\W/g, '');
      ids[name === 'id' && collection ? `${collection}Id` : name] = value;
    }
  }
  const requestContext = isRecord(event.requestContext) ? event.requestContext : {};
  const correlationId =
    (routeKey ? text(requestContext.requestId) : undefined) ?? executionId ?? postId ?? uploadId;
  if (correlationId) ids.correlation_id = correlationId;
  return ids;
}

/** Options of {@link observed}. */
export interface ObservedOptions {
  /**
   * Record the handler's response in its X-Ray subsegment. Off by default: responses hold user
   * content (post texts, whole calendar exports) and can exceed what a segment may carry.
   * @default false
   */
  readonly captureResponse?: boolean;
}

/**
 * The middleware bundle every handler uses (`middy().use(observed())`), outermost first:
 * 1. X-Ray: the handler runs in its own subsegment (a no-op off Lambda);
 * 2. the Lambda context (function, request id, cold start) on every log line, keys reset after
 *    each invocation so nothing leaks into the next;
 * 3. the event's correlation ids ({@link correlationIdsOf}) on every log line and as X-Ray
 *    annotations, and an unhandled error logged with them before it propagates;
 * 4. metrics added during the invocation flushed at its end, on success and on failure (an
 *    invocation that added none prints nothing).
 */
export function observed<TEvent = unknown, TResult = unknown>(
  options: ObservedOptions = {},
): MiddlewareObj<TEvent, TResult, Error, Context>[] {
  const correlation: MiddlewareObj<TEvent, TResult, Error, Context> = {
    before: (request) => {
      const ids = correlationIdsOf(request.event);
      logger.appendKeys(ids);
      for (const [key, value] of Object.entries(ids)) {
        if (key !== 'correlation_id') tracer?.putAnnotation(key, value);
      }
    },
    onError: (request) => {
      // An error a later middleware turned into a response (an HTTP problem) is not a failure of
      // the invocation; that middleware logs what needs logging.
      if (request.response === undefined) logger.error('invocation failed', { error: request.error });
    },
  };
  const flushMetrics = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return [
    ...(tracing
      ? [
          tracing.captureLambdaHandler(tracing.tracer, {
            captureResponse: options.captureResponse ?? false,
          }) as MiddlewareObj<TEvent, TResult, Error, Context>,
        ]
      : []),
    injectLambdaContext(logger, { resetKeys: true, logEvent: false }) as MiddlewareObj<
      TEvent,
      TResult,
      Error,
      Context
    >,
    correlation,
    { after: flushMetrics, onError: flushMetrics },
  ];
}
