import * as z from 'zod';
import { importPage } from '../../shared/audit/import.ts';
import { step } from '../commons/step.ts';
import { auditDeps } from './deps.ts';

const deps = auditDeps();

export const ImportStateInput = z.object({
  auditId: z.string().min(1),
  channel: z.string().min(1),
  since: z.string().min(1),
  cursor: z.string().optional(),
  pages: z.number().int().min(0),
  imported: z.number().int().min(0),
  alreadyKnown: z.number().int().min(0),
  rateLimitWaits: z.number().int().min(0),
  transientWaits: z.number().int().min(0),
  waitSeconds: z.number().int().optional(),
  done: z.boolean(),
});

/**
 * Auditor step (looped): read one page of the channel's own posts and store what is new. A 429
 * comes back as `waitSeconds` with the cursor unchanged; the state machine waits and asks again.
 */
export const handler = step(async (event: unknown) => importPage(deps, ImportStateInput.parse(event)));
