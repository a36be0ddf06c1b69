import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type ObservedOptions, observed } from './observability.ts';

/** What a step does with one event: the domain call, between parsing its input and shaping its result. */
export type StepWork<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

const built = new WeakSet<object>();

/**
 * The handler of every function that is not behind the HTTP API — a state machine task, a
 * schedule's or an event rule's target — as `routeGroup` (http.ts) is for the API:
 *
 *   export const handler = step(async (event) => domainCall(Input.parse(event), deps));
 *
 * The work runs inside {@link observed}: the Lambda context and the event's correlation ids on
 * every log line, X-Ray on Lambda, and the metrics it added flushed at the end. An error is
 * logged once, with those ids, and then thrown on, never swallowed: what retries is the caller —
 * the state machine's Retry and Catch, or Lambda's asynchronous retries and dead-letter queue.
 */
export function step<TEvent = unknown, TResult = unknown>(
  work: StepWork<TEvent, TResult>,
  options: ObservedOptions = {},
) {
  const handler = middy<TEvent, TResult, Error, Context>()
    .use(observed<TEvent, TResult>(options))
    .handler(work);
  built.add(handler);
  return handler;
}

/** True for a handler made by {@link step} (test/unit/step.test.ts holds every step module to it). */
export function isStep(handler: unknown): boolean {
  return typeof handler === 'function' && built.has(handler);
}
