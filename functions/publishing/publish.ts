import * as z from 'zod';
import { publishBatch } from '../../shared/publishing/publish.ts';
import { adapterFor } from '../commons/platform-runtime.ts';
import { credentialStore, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const Batch = z.object({
  executionId: z.string(),
  notBefore: z.string(),
  postIds: z.array(z.string()).min(1),
});

/**
 * Map iteration, after the Wait: one platform call per claimed post. Has no Retry in the state
 * machine on purpose — a failure after a platform accepted a post must not publish it again.
 */
export const handler = step(async (event: unknown) => {
  const batch = Batch.parse(event);
  const outcomes = await publishBatch(batch, { store, adapterFor, credentials: credentialStore(), now });
  return { batch, outcomes };
});
