import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct, IConstruct } from 'constructs';
import type { PulsecastFunction } from './pulsecast-function.ts';

// The steps of the scheduled workflows (constructs/scheduled-workflow.ts), built one way: how a
// step is retried, how a Map over items runs them, and how a failed item fails the run last.

/**
 * Errors after which a step is simply run again: Lambda's own hiccups and throttled or
 * unavailable DynamoDB and EventBridge. The steps retried on them are idempotent (conditional
 * writes, stable event ids), so a retry repeats nothing; platform failures never get here (the
 * steps handle them themselves).
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'StoreUnavailableError',
  'EventPublishError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
];

/**
 * Retries a step that is safe to run again on `errors`: by default 3 attempts, 2 s apart and
 * doubling, with full jitter so that a Map's iterations do not all retry at the same moment.
 */
export function retryIdempotent(
  task: sfn.TaskStateBase,
  errors: string[] = TRANSIENT_ERRORS,
  { interval = Duration.seconds(2), maxAttempts = 3 } = {},
): void {
  task.addRetry({ errors, interval, backoffRate: 2, maxAttempts, jitterStrategy: sfn.JitterType.FULL });
}

/**
 * A step that invokes `fn` and is safe to run again (its writes are conditional or idempotent):
 * retried on {@link TRANSIENT_ERRORS} only, by {@link retryIdempotent}, not by CDK's default
 * policy for Lambda's own errors.
 */
export function idempotentStep(
  scope: Construct,
  id: string,
  fn: PulsecastFunction,
  props: Omit<tasks.LambdaInvokeProps, 'lambdaFunction' | 'retryOnServiceExceptions'> = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    ...props,
    retryOnServiceExceptions: false,
  });
  retryIdempotent(task);
  return task;
}

/**
 * Catches a Map iteration that still fails as its result `{ <key>, failed: true, error }`, so the
 * other iterations go on and {@link failWhenAnyItemFailed} sees it.
 */
export function catchFailedItem(scope: Construct, task: sfn.TaskStateBase, id: string, key: string): void {
  const failed = new sfn.Pass(scope, id, {
    parameters: { [`${key}.$`]: `$.${key}`, failed: true, 'error.$': '$.error.Error' },
  });
  task.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
}

/**
 * A Map state over the array at `itemsPath`, `maxConcurrency` at once, its results in `$.results`.
 * With `failedItem`, an iteration whose step still fails is caught as a failed item (see
 * {@link catchFailedItem}).
 */
export function mapOver(
  scope: Construct,
  id: string,
  itemsPath: string,
  maxConcurrency: number,
  processor: sfn.IChainable,
  failedItem?: { id: string; key: string },
): sfn.Map {
  if (failedItem) {
    if (!(processor instanceof sfn.TaskStateBase)) {
      throw new Error(`${id}: only the failures of a single task can be caught as failed items`);
    }
    catchFailedItem(scope, processor, failedItem.id, failedItem.key);
  }
  const map = new sfn.Map(scope, id, { itemsPath, maxConcurrency, resultPath: '$.results' });
  map.itemProcessor(processor);
  return map;
}

/**
 * The last state of a sweep over items: when the boolean at `failedPath` is true (an item failed,
 * the others having finished), the execution fails, so it can be alarmed on; otherwise it succeeds.
 */
export function failWhenAnyFailed(
  scope: Construct,
  failedPath: string,
  ids: { choice: string; fail: string; succeed: string },
  failure: sfn.FailProps,
): sfn.Choice {
  return new sfn.Choice(scope, ids.choice)
    .when(sfn.Condition.booleanEquals(failedPath, true), new sfn.Fail(scope, ids.fail, failure))
    .otherwise(new sfn.Succeed(scope, ids.succeed));
}

/**
 * The end of a {@link mapOver} whose iterations each say `failed: true` or `false`: the execution
 * fails when any did (after the others finished). `FindFailures` puts the verdict at `resultPath`
 * (by default it replaces the state).
 */
export function failWhenAnyItemFailed(
  scope: Construct,
  ids: { choice: string; fail: string; succeed: string },
  failure: sfn.FailProps,
  resultPath?: string,
): sfn.Chain {
  const findFailures = new sfn.Pass(scope, 'FindFailures', {
    parameters: { 'failed.$': 'States.ArrayContains($.results[*].failed, true)' },
    ...(resultPath ? { resultPath } : {}),
  });
  return findFailures.next(failWhenAnyFailed(scope, `${resultPath ?? '$'}.failed`, ids, failure));
}

/**
 * A Map state's `maxConcurrency` prop: `fallback` when unset; anything but an integer from 1 to
 * `max` fails the synth, naming the construct.
 */
export function mapConcurrency(
  scope: IConstruct,
  value: number | undefined,
  fallback: number,
  max: number,
): number {
  const concurrency = value ?? fallback;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > max) {
    throw new Error(
      `${scope.node.path}: maxConcurrency must be an integer from 1 to ${max}, got ${concurrency}`,
    );
  }
  return concurrency;
}
