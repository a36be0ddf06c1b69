import * as z from 'zod';
import { claimDuePosts } from '../../shared/publishing/dispatch.ts';
import { addCount, logger, METRIC } from '../commons/observability.ts';
import { eventPublisher, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const Input = z.object({ executionId: z.string().min(1) });

/** Dispatcher step 2: claim the posts due in the next window, grouped into per-second batches. */
export const handler = step(async (event: unknown) => {
  const { executionId } = Input.parse(event);
  const result = await claimDuePosts(executionId, { store, now, events: eventPublisher() });
  addCount(METRIC.postsClaimed, result.claimed);
  if (result.claimed > 0 || result.held > 0) {
    logger.info('posts claimed', {
      claimed: result.claimed,
      held: result.held,
      batches: result.batches.length,
      more: result.more,
    });
  }
  return result;
});
