import middy from '@middy/core';
import { z } from 'zod';
import { claimDuePosts } from '../../shared/publishing/dispatch.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();
const Input = z.object({ executionId: z.string().min(1) });

/** Dispatcher step 2: claim the posts due in the next window, grouped into per-second batches. */
export const handler = middy().handler(async (event: unknown) => {
  const { executionId } = Input.parse(event);
  return claimDuePosts(executionId, { store, now });
});
