import { isJsonObject } from '../json.ts';

/** A target's `RetryPolicy`: EventBridge rules and EventBridge Scheduler spell it alike. */
export interface RetryPolicy {
  maximumRetryAttempts?: number;
  maximumEventAgeSeconds?: number;
}

/** The numbers a template's `RetryPolicy` sets, as `{ retryPolicy }`; nothing when it has none. */
export function retryPolicyOf(raw: unknown): { retryPolicy?: RetryPolicy } {
  if (!isJsonObject(raw)) return {};
  const { MaximumRetryAttempts: attempts, MaximumEventAgeInSeconds: age } = raw;
  return {
    retryPolicy: {
      ...(typeof attempts === 'number' ? { maximumRetryAttempts: attempts } : {}),
      ...(typeof age === 'number' ? { maximumEventAgeSeconds: age } : {}),
    },
  };
}
