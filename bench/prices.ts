import type { Usage } from '../local/usage.ts';

/**
 * The one price table of the cost figures: AWS list prices in us-east-1, on-demand, without free
 * tiers (except EventBridge Scheduler's 14 million invocations, which a Pulsecast stack never
 * exceeds). Sources, as read on 2026-12-05:
 * - https://aws.amazon.com/lambda/pricing/ (arm64)
 * - https://aws.amazon.com/step-functions/pricing/ (Express: requests and GB-s duration in 64 MB /
 *   100 ms steps; Standard: state transitions)
 * - https://aws.amazon.com/dynamodb/pricing/on-demand/
 * - https://aws.amazon.com/eventbridge/pricing/ (custom events; Scheduler)
 * - https://aws.amazon.com/cloudwatch/pricing/ (alarms, dashboards, custom metrics)
 * - https://aws.amazon.com/kms/pricing/ and https://aws.amazon.com/secrets-manager/pricing/
 */
export const PRICES = {
  date: '2026-12-05',
  region: 'us-east-1',
  lambdaPerRequest: 0.2 / 1e6,
  lambdaArmPerGbSecond: 0.0000133334,
  expressPerRequest: 1 / 1e6,
  expressPerGbSecond: 0.00001667,
  standardPerTransition: 25 / 1e6,
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  eventsPerEntry: 1 / 1e6,
  schedulerPerInvocation: 0,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3,
  customMetricPerMonth: 0.3,
  kmsKeyPerMonth: 1,
  secretPerMonth: 0.4,
} as const;

/** What `usage` costs in US dollars at {@link PRICES}. */
export function costOf(usage: Usage): number {
  return (
    usage.lambda.requests * PRICES.lambdaPerRequest +
    usage.lambda.gbSeconds * PRICES.lambdaArmPerGbSecond +
    usage.express.requests * PRICES.expressPerRequest +
    usage.express.gbSeconds * PRICES.expressPerGbSecond +
    usage.standard.transitions * PRICES.standardPerTransition +
    usage.dynamodb.writeUnits * PRICES.dynamoPerWriteUnit +
    usage.dynamodb.readUnits * PRICES.dynamoPerReadUnit +
    usage.events * PRICES.eventsPerEntry +
    usage.schedulerInvocations * PRICES.schedulerPerInvocation
  );
}

/** The difference `a − b`, field by field (what N posts added to a run without them). */
export function usageDifference(a: Usage, b: Usage): Usage {
  const minus = <T extends Record<string, number>>(x: T, y: T): T =>
    Object.fromEntries(Object.keys(x).map((key) => [key, (x[key] ?? 0) - (y[key] ?? 0)])) as T;
  return {
    lambda: minus(a.lambda, b.lambda),
    express: minus(a.express, b.express),
    standard: minus(a.standard, b.standard),
    dynamodb: minus(a.dynamodb, b.dynamodb),
    events: a.events - b.events,
    schedulerInvocations: a.schedulerInvocations - b.schedulerInvocations,
    idleSweepsSkipped: a.idleSweepsSkipped - b.idleSweepsSkipped,
  };
}
