import { holdOnNegativeSpike, SpikeEnvelope } from '../../shared/holds/auto-hold.ts';
import { logger } from '../commons/observability.ts';
import { eventPublisher, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();

/**
 * Target of the autoHold rule (brand spikes with autoHold on): a negative spike starts a hold of
 * every post, once per episode. An event that does not parse fails the invocation, so Lambda
 * retries it and then dead-letters it with the reason, rather than dropping it.
 */
export const handler = step(async (event: unknown) => {
  const { detail } = SpikeEnvelope.parse(event);
  const result = await holdOnNegativeSpike(detail, { store, events: eventPublisher(), now });
  if (result.outcome === 'ignored')
    logger.info('spike: no hold', { episodeId: detail.episodeId, why: result.why });
  else
    logger.warn('spike: publishing on hold', {
      episodeId: detail.episodeId,
      holdId: result.hold.id,
      outcome: result.outcome,
    });
  return result.outcome === 'ignored'
    ? { outcome: 'ignored' }
    : { outcome: result.outcome, holdId: result.hold.id };
});
