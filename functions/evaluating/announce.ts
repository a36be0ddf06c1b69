import * as z from 'zod';
import { announce } from '../../shared/goals/evaluate-campaigns.ts';
import { eventPublisher } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const Input = z.object({ campaignId: z.string(), events: z.array(z.unknown()) });

/**
 * Evaluator Map iteration, step 2: put `Goal Status Changed` and `Strategy Adjustment
 * Recommended` on the bus. Retried freely: event ids are stable per fact and day.
 */
export const handler = step(async (event: unknown) => {
  const { campaignId, events } = Input.parse(event);
  return { campaignId, announced: await announce(events, eventPublisher()) };
});
