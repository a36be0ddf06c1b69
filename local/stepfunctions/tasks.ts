import type { JsonValue } from '../json.ts';
import { SimulatedServiceError } from '../lambda.ts';

/** How what a Lambda task returns or throws reaches Step Functions. */

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
