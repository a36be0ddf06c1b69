import * as z from 'zod';
import { Platform } from '../../shared/domain/index.ts';
import { listenOnPlatform } from '../../shared/listening/collect.ts';
import { addCount, logger, METRIC } from '../commons/observability.ts';
import { listeningFor } from '../commons/platform-runtime.ts';
import { credentialStore, listeningStore, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const channels = tableStore();
const listening = listeningStore();
const Work = z.object({ platform: Platform, channels: z.array(z.string().min(1)).min(1) });

/**
 * Listener step 2 (a Map iteration per platform): read what is new, store each post once, move
 * the positions on. Idempotent (conditional puts), so the state machine retries it as a whole.
 */
export const handler = step(async (event: unknown) => {
  const summary = await listenOnPlatform(Work.parse(event), {
    listening,
    channels,
    listeningFor,
    credentials: credentialStore(),
    now,
  });
  if (summary.problems.length > 0) logger.warn('some reads failed', { ...summary });
  addCount(METRIC.mentionsCollected, summary.stored);
  return summary;
});
