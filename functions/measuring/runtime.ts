import { type Cadence, cadenceFrom, DEFAULT_CHECKPOINTS } from '../../shared/measuring/cadence.ts';

/**
 * The metrics cadence of this deployment: `METRICS_CHECKPOINTS` (comma-separated ages, set by
 * the measuring construct from its `checkpoints` prop), read once at cold start. An unreadable
 * value stops the function at start, naming the problem, rather than mis-scheduling every post.
 */
export const cadence: Cadence = cadenceFrom(process.env.METRICS_CHECKPOINTS || DEFAULT_CHECKPOINTS.join(','));
