import middy from '@middy/core';
import { z } from 'zod';
import { type PublishOutcome, recordOutcomes } from '../../shared/publishing/publish.ts';
import { adapterFor, eventPublisher } from '../commons/publishing-runtime.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();
const Input = z.object({
  batch: z.object({ executionId: z.string(), notBefore: z.string(), postIds: z.array(z.string()) }),
  // Absent when the publish step failed: every post of the batch is then settled from its state.
  outcomes: z.array(z.looseObject({ postId: z.string(), kind: z.string() })).optional(),
});

/** Map iteration, last step: write each outcome (conditional, idempotent) and announce it. Retried freely. */
export const handler = middy().handler(async (event: unknown) => {
  const { batch, outcomes } = Input.parse(event);
  return recordOutcomes(batch, outcomes as PublishOutcome[] | undefined, {
    store,
    events: eventPublisher(),
    adapterFor,
    now,
  });
});
