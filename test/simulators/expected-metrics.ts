import type { Engagement } from '../../local/simulators/audience.ts';

/**
 * The metrics an adapter should read of a post the simulator gave engagement `e`: the `counts` as
 * they are, and `engagements` as the sum of `interactions`.
 */
export function metricsOf(e: Engagement, counts: (keyof Engagement)[], interactions: (keyof Engagement)[]) {
  return {
    ...Object.fromEntries(counts.map((name) => [name, e[name]])),
    engagements: interactions.reduce((sum, name) => sum + e[name], 0),
  };
}
