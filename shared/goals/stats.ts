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

/**
 * The 90th percentile of Student's t with `df` degrees of freedom: the half-width of an 80 %
 * band in standard errors when the spread itself is estimated from `df + 1` values. It shrinks
 * toward {@link Z_80} as data grows, which is what makes a band from few posts wider.
 */
export function t80(df: number): number {
  const table: [number, number][] = [
    [1, 3.078],
    [2, 1.886],
    [3, 1.638],
    [4, 1.533],
    [5, 1.476],
    [6, 1.44],
    [7, 1.415],
    [8, 1.397],
    [9, 1.383],
    [10, 1.372],
    [15, 1.341],
    [20, 1.325],
    [30, 1.31],
    [60, 1.296],
  ];
  if (df < 1) return table[0]?.[1] ?? Z_80;
  for (const [d, t] of table) if (df <= d) return t;
  return Z_80;
}

/** The standard normal quantile Φ⁻¹(p), 0 < p < 1 (Acklam's rational approximation, |ε| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * The half-width, in standard errors, of intervals that hold together with 90 % confidence
 * when `comparisons` of them are looked at (Bonferroni): the guard that keeps a search over
 * many windows or posts from recommending noise.
 */
export function familyZ(comparisons: number, confidence = 0.9): number {
  return normalQuantile(1 - (1 - confidence) / (2 * Math.max(1, comparisons)));
}
