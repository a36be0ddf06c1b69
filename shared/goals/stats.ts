/** The few statistics the goal evaluation and the recommendations use, written out. */

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : sum(values) / values.length;
}

/** Sample variance (n − 1 in the denominator); 0 for fewer than two values. */
export function sampleVariance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - m) ** 2;
  return squares / (values.length - 1);
}

/**
 * The 80 % central interval of a normal distribution is mean ± 1.2816 σ: the 10th and 90th
 * percentiles. Goal forecasts report that band.
 */
export const BAND_CONFIDENCE = 0.8;
export const Z_80 = 1.2815515655446004;

/**
 * Empirical-Bayes shrinkage of a group mean toward a prior mean: the group's `n` observations
 * count against `k` pseudo-observations at the prior, so a group of a handful of posts moves
 * little and a large group stands on its own data.
 */
export function shrink(groupMean: number, n: number, priorMean: number, k: number): number {
  return (n * groupMean + k * priorMean) / (n + k);
}

/** Rounds for display and events (the evaluation keeps full precision until it is reported). */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
