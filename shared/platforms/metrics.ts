import type { NormalisedMetrics } from '../domain/index.ts';

/** Splits a list into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Drops undefined entries so absent metrics stay absent. */
export function definedMetrics(metrics: Record<string, number | undefined>): NormalisedMetrics {
  return Object.fromEntries(
    Object.entries(metrics).filter(
      ([, value]) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
    ),
  ) as NormalisedMetrics;
}

/** Sum of the values that exist; undefined when none does. */
export function sumDefined(...values: (number | undefined)[]): number | undefined {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0);
}
