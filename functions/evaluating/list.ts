import * as z from 'zod';
import { listDueCampaigns } from '../../shared/goals/evaluate-campaigns.ts';
import { now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
/** `{}` from the hourly schedule; `{ "force": true }` (optionally with a campaignId) by hand. */
const Input = z.object({ force: z.boolean().optional(), campaignId: z.string().min(1).optional() });

/** Evaluator step 1: the campaigns whose daily evaluation is due (or every active one, forced). */
export const handler = step(async (event: unknown) => {
  const { force, campaignId } = Input.parse(event ?? {});
  const due = await listDueCampaigns(
    { store, now },
    { ...(force !== undefined ? { force } : {}), ...(campaignId ? { campaignId } : {}) },
  );
  return { ...due, count: due.campaigns.length };
});
