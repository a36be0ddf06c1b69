import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { collectChannel } from '../../shared/measuring/collect.ts';
import { addCount, METRIC } from '../commons/observability.ts';
import { adapterFor } from '../commons/platform-runtime.ts';
import { cadence, credentialStore, eventPublisher, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const Work = z.object({
  channel: z.string().min(1),
  postIds: z.array(z.string().min(1)),
  due: z.number().int().min(0),
  early: z.number().int().min(0),
});
/** Time left when no further request is started: the last one may take the adapter's 10 s timeout, plus writes. */
const RESERVE_MS = 30_000;

/**
 * Collector step 2 (a Map iteration per channel): read the channel's due posts in the adapter's
 * batch size, snapshot each, announce it and plan its next checkpoint. Idempotent, so the state
 * machine retries it on transient errors.
 */
export const handler = step(async (event: unknown, context: Context) => {
  const work = Work.parse(event);
  const summary = await collectChannel(work, {
    store,
    adapterFor,
    credentials: credentialStore(),
    events: eventPublisher(),
    now,
    cadence: cadence(),
    shouldStop: () => context.getRemainingTimeInMillis() < RESERVE_MS,
  });
  // Counted once the channel's readings are recorded: a failed attempt adds nothing, and the
  // state machine's retry of it counts them then.
  addCount(METRIC.metricsCollected, summary.collected);
  return summary;
});
