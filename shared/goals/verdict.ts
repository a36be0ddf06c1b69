import type { GoalStatus } from '../domain/index.ts';
import type { Forecast, GoalEvaluation } from './model.ts';

/** What a goal's evaluation says whatever its status: the measured and aimed-at numbers. */
export type KnownNumbers = Omit<GoalEvaluation, 'status' | 'reason' | 'forecast' | 'evidence'>;

/**
 * How an evaluator words its verdicts on one goal: the status, the one-sentence reason and a
 * forecast where there is one, on top of the known numbers and the evidence they rest on.
 */
export function verdictOf(
  known: KnownNumbers,
  evidence: GoalEvaluation['evidence'],
): (status: GoalStatus, reason: string, forecast?: Forecast) => GoalEvaluation {
  return (status, reason, forecast) => ({
    ...known,
    status,
    reason,
    ...(forecast ? { forecast } : {}),
    evidence,
  });
}
