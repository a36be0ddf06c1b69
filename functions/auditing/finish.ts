import * as z from 'zod';
import { snapshotAudience } from '../../shared/audit/audience.ts';
import { recordProgress } from '../../shared/audit/import.ts';
import { step } from '../commons/step.ts';
import { auditDeps } from './deps.ts';
import { ImportStateInput } from './import-page.ts';

const deps = auditDeps();
const Input = z.object({
  state: ImportStateInput.loose(),
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.string().optional(),
});

/**
 * Auditor's last step: records the audit's outcome and, after a successful import, today's
 * follower count (a channel audited today has its audience too, without waiting for the daily run).
 */
export const handler = step(async (event: unknown) => {
  const input = Input.parse(event);
  const error = input.error ? errorText(input.error) : undefined;
  const audit = await recordProgress(deps, input.state, input.outcome, error);
  if (input.outcome === 'SUCCEEDED') await snapshotAudience(deps, [input.state.channel]);
  return { auditId: audit.id, status: audit.status };
});

/** The reason in a Lambda error's Cause (`{"errorMessage": …}`), else the text as it came. */
function errorText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause itself
  }
  return cause.slice(0, 500);
}
