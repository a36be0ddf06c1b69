import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { JsonValue } from './asl.ts';
import { type FunctionEntry, functionEntries, lambdaArn, type ResolveOptions } from './template.ts';

/**
 * A Lambda handler as the runner calls it: `(event, context) => result`. Written as a method
 * signature so that handlers typed with their own event type (a middy handler of a specific
 * event) can be passed: method parameters are checked bivariantly, which is exactly the
 * looseness needed here and no more.
 */
export type LocalHandler = { handle(event: unknown, context: Context): unknown }['handle'];

/** A task's error as Step Functions sees it: `name` is the error, `message` the cause. */
export class TaskError extends Error {
  /** Read by aws-local-stepfunctions to decide whether Retry/Catch may match. */
  readonly isRetryable: boolean;
  readonly isCatchable: boolean;
  constructor(error: string, cause: string, options: { retryable?: boolean; catchable?: boolean } = {}) {
    super(cause);
    this.name = error;
    this.isRetryable = options.retryable ?? true;
    this.isCatchable = options.catchable ?? true;
  }
}

/**
 * Thrown by a handler or a service integration in a test to simulate a service-side failure
 * (`Lambda.ServiceException`, `Lambda.TooManyRequestsException`, `DynamoDB.…`): it reaches Step
 * Functions with exactly this error name and message, not wrapped as a function error.
 */
export class SimulatedServiceError extends Error {
  constructor(errorName: string, message = errorName) {
    super(message);
    this.name = errorName;
  }
}

/**
 * What the Lambda Node.js runtime reports when a handler throws: error = the error's `name`
 * (`PublishError`), cause = `{"errorType","errorMessage","trace"}` as a JSON string. Step
 * Functions matches Retry/Catch on that name.
 */
export function functionError(thrown: unknown): TaskError {
  if (thrown instanceof SimulatedServiceError) return new TaskError(thrown.name, thrown.message);
  const errorType = thrown instanceof Error ? thrown.name : typeof thrown;
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  const trace = thrown instanceof Error && thrown.stack ? thrown.stack.split('\n') : [];
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

/** Step Functions' payload limit for a state's input or output: 256 KiB. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/**
 * What crosses the Lambda boundary is JSON: Dates become strings, undefined disappears, a
 * missing result is `null`. Oversized results fail like Step Functions does.
 */
export function asJson(value: unknown, what: string): JsonValue {
  const text = JSON.stringify(value ?? null);
  if (Buffer.byteLength(text) > PAYLOAD_LIMIT_BYTES) {
    // Not retryable, and States.ALL does not catch it: a terminal error in Step Functions.
    throw new TaskError(
      'States.DataLimitExceeded',
      `${what} is ${Buffer.byteLength(text)} bytes, more than the ${PAYLOAD_LIMIT_BYTES}-byte limit`,
      { retryable: false, catchable: false },
    );
  }
  return JSON.parse(text) as JsonValue;
}

/** A Lambda-like context for one invocation (the deadline runs in real time: a handler takes no
 * virtual time). */
export function lambdaContext(functionName: string, fn: FunctionEntry | undefined): Context {
  const awsRequestId = randomUUID();
  const timeoutMs = (fn?.timeoutSeconds ?? 3) * 1000;
  const deadline = Date.now() + timeoutMs;
  const unsupported = (): never => {
    throw new Error('callback-style completion is not supported locally: return or throw from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: lambdaArn(functionName),
    memoryLimitInMB: String(fn?.memorySize ?? 128),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export interface LoadHandlersOptions extends ResolveOptions {
  /** Only these functions (logical ids). @default every function with a `pulsecast:entry` */
  only?: Iterable<string>;
  /**
   * Set each function's environment variables in `process.env` before importing its module, so
   * module-scope reads (table name, bus name) find them, as on Lambda. All functions share one
   * process: a later function's value replaces an earlier one's, and a module imported earlier
   * (a shared clients module) keeps what it read first.
   * @default true
   */
  applyEnvironment?: boolean;
}

/**
 * Imports the handler module of every function that has a `pulsecast:entry` (resolved against
 * `root`, the repository root) and returns its `handler` export by logical id.
 */
export async function loadHandlers(
  template: unknown,
  root: string,
  options: LoadHandlersOptions = {},
): Promise<Record<string, LocalHandler>> {
  const only = options.only ? new Set(options.only) : undefined;
  const handlers: Record<string, LocalHandler> = {};
  for (const fn of functionEntries(template, options)) {
    if (only && !only.has(fn.logicalId)) continue;
    if (!fn.entry) {
      if (only) {
        throw new Error(
          `function ${fn.logicalId} has no pulsecast:entry metadata: no handler module to load`,
        );
      }
      continue;
    }
    if (options.applyEnvironment ?? true) Object.assign(process.env, fn.environment);
    const modulePath = resolve(root, fn.entry);
    const module = (await import(pathToFileURL(modulePath).href)) as { handler?: unknown };
    if (typeof module.handler !== 'function') {
      throw new Error(`${fn.entry} (function ${fn.logicalId}) does not export a function named handler`);
    }
    handlers[fn.logicalId] = module.handler as LocalHandler;
  }
  return handlers;
}
