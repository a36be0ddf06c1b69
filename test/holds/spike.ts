import type { SpikeForHold } from '../../shared/holds/auto-hold.ts';

/**
 * The fields of a `Mention Spike Detected` detail that autoHold reads: a brand spike on Bluesky,
 * 80 % negative, with autoHold on. The listening stage's event carries more (samples, ids), which
 * autoHold ignores.
 */
export function brandSpike(overrides: Partial<SpikeForHold> = {}): SpikeForHold {
  return {
    episodeId: 'brand-bluesky-ep-1',
    subject: 'brand',
    platform: 'bluesky',
    count: 84,
    baseline: 3,
    negativeShare: 0.8,
    autoHold: true,
    ...overrides,
  };
}
