import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import {
  type FunctionEntry,
  functionEntries,
  lambdaArn,
  type ResolveOptions,
} from './cloudformation/template.ts';

/**
 * The Lambda functions of the synthesized template as local mode runs them: their handler
 * modules imported in-process, called with a Lambda-like context, by the state machine runner and
 * the event bus alike.
 */

/**
 * A Lambda handler as the runner calls it: `(event, context) => result`. Written as a method
 * signature so that handlers typed with their own event type (a middy handler of a specific
 * event) can be passed: method parameters are checked bivariantly, which is exactly the
 * looseness needed here and no more.
 */
export type LocalHandler = { handle(event: unknown, context: Context): unknown }['handle'];

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
   * Set the functions' environment variables in `process.env` before importing any of their
   * modules, as on Lambda: the configuration (functions/commons/config.ts) is parsed once, when
   * the first module needs it, and then holds every loaded function's variables. All functions
   * share one process: a later function's value replaces an earlier one's.
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
  const entries = functionEntries(template, options).filter((fn) => !only || only.has(fn.logicalId));
  if (options.applyEnvironment ?? true)
    Object.assign(process.env, ...entries.filter((fn) => fn.entry).map((fn) => fn.environment));
  for (const fn of entries) {
    if (!fn.entry) {
      if (only) {
        throw new Error(
          `function ${fn.logicalId} has no pulsecast:entry metadata: no handler module to load`,
        );
      }
      continue;
    }
    const modulePath = resolve(root, fn.entry);
    const module = (await import(pathToFileURL(modulePath).href)) as { handler?: unknown };
    if (typeof module.handler !== 'function') {
      throw new Error(`${fn.entry} (function ${fn.logicalId}) does not export a function named handler`);
    }
    handlers[fn.logicalId] = module.handler as LocalHandler;
  }
  return handlers;
}
