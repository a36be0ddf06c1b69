import type { AuditDeps, ImportState } from '../../shared/audit/import.ts';
import { beginAudit, importPage, recordProgress } from '../../shared/audit/import.ts';
import type { Audit } from '../../shared/audit/model.ts';

/**
 * Runs an audit to its end the way the Auditor state machine does: begin, then one page per step,
 * waiting (on the test's clock) whenever a step asks to, then the final record.
 */
export async function runAudit(
  deps: AuditDeps,
  request: { channel: string; since: string },
  wait: (seconds: number) => void,
): Promise<{ audit: Audit; steps: ImportState[] }> {
  const { state: first } = await beginAudit(deps, request);
  let state = first;
  const steps: ImportState[] = [];
  for (let i = 0; i < 500 && !state.done; i++) {
    state = await importPage(deps, state);
    steps.push(state);
    if (state.waitSeconds) wait(state.waitSeconds);
  }
  if (!state.done) throw new Error('the audit did not finish in 500 steps');
  return { audit: await recordProgress(deps, state, 'SUCCEEDED'), steps };
}
