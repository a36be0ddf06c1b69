import type { BackoffOptions } from '../store/retry.ts';

/**
 * The retry budget of one delivery inside one invocation. Bounded in attempts and in total wait,
 * so a long Retry-After hands the message back to Lambda's own retries (and in the end to the
 * dead-letter queue) instead of holding the function until it times out.
 */
export interface RetryPolicy extends BackoffOptions {
  /** The most this delivery may spend waiting between attempts. */
  maxWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxWaitMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Full-jitter exponential backoff for attempt `n` (1-based retries). */
export function backoff(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/** What one failed attempt says about the next. */
export type AttemptOutcome = { retry: false; error: Error } | { retry: true; error: Error; afterMs?: number };

/**
 * Runs `attempt` until it succeeds, the failure is not retryable, or the budget is spent;
 * throws the last error. A server-given delay (Retry-After) is honoured when it fits the budget.
 */
export async function withRetries(
  policy: RetryPolicy,
  attempt: () => Promise<void>,
  classify: (error: unknown) => AttemptOutcome,
): Promise<void> {
  let waited = 0;
  for (let n = 1; ; n++) {
    try {
      await attempt();
      return;
    } catch (error) {
      const outcome = classify(error);
      if (!outcome.retry || n >= policy.attempts) throw outcome.error;
      const delay = outcome.afterMs ?? backoff(n, policy);
      if (waited + delay > policy.maxWaitMs) throw outcome.error;
      waited += delay;
      await policy.sleep(delay);
    }
  }
}
