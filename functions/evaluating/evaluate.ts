import * as z from 'zod';
import { evaluateAndStore } from '../../shared/goals/evaluate-campaigns.ts';
import { listeningStore, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const listening = listeningStore();
const Input = z.object({ campaignId: z.string().min(1), asOf: z.iso.datetime() });

/**
 * Evaluator Map iteration, step 1: evaluate one campaign, store the evaluation under its local
 * date, return what changed since the previous date. Retried freely (same date, same result).
 */
export const handler = step(async (event: unknown) => {
  const { campaignId, asOf } = Input.parse(event);
  return evaluateAndStore(campaignId, { store, now, listening }, asOf);
});
