import { planListening } from '../../shared/listening/collect.ts';
import { logger } from '../commons/observability.ts';
import { listeningStore, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const channels = tableStore();
const listening = listeningStore();

/** Listener step 1: the platforms to read this run, and what cannot be listened for (logged). */
export const handler = step(async () => {
  const plan = await planListening({ listening, channels });
  if (plan.unsupported.length > 0) logger.info('not listened for', { unsupported: plan.unsupported });
  return plan;
});
