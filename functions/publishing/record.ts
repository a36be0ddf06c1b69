import * as z from 'zod';
import { type PublishOutcome, recordOutcomes } from '../../shared/publishing/publish.ts';
import { addCount, logger, METRIC, MetricUnit, metrics } from '../commons/observability.ts';
import { adapterFor } from '../commons/platform-runtime.ts';
import { eventPublisher, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const Input = z.object({
  batch: z.object({ executionId: z.string(), notBefore: z.string(), postIds: z.array(z.string()) }),
  // Absent when the publish step failed: every post of the batch is then settled from its state.
  outcomes: z.array(z.looseObject({ postId: z.string(), kind: z.string() })).optional(),
});

/** Map iteration, last step: write each outcome (conditional, idempotent) and announce it. Retried freely. */
export const handler = step(async (event: unknown) => {
  const { batch, outcomes } = Input.parse(event);
  const summary = await recordOutcomes(batch, outcomes as PublishOutcome[] | undefined, {
    store,
    events: eventPublisher(),
    adapterFor,
    now,
  });
  logger.info('batch recorded', {
    notBefore: batch.notBefore,
    ...summary,
    outcomes: (outcomes ?? []).map(({ postId, kind }) => ({ postId, kind })),
  });
  // Counted once the whole batch is recorded: a failed attempt adds nothing, and Step Functions'
  // retry of it counts the batch then.
  addCount(METRIC.postsPublished, summary.published);
  addCount(METRIC.postsFailed, summary.failed);
  addCount(METRIC.postsUnknown, summary.unknown);
  addCount(METRIC.postsRescheduled, summary.rescheduled);
  for (const outcome of outcomes ?? []) {
    // Outcomes of an execution started before the publish step reported lateness carry none.
    if (outcome.kind !== 'published' || typeof outcome.latenessSeconds !== 'number') continue;
    // Never negative (clock skew): CloudWatch offers no percentiles — which the lateness alarm
    // uses — for a metric with any negative value in the period.
    metrics.addMetric(
      METRIC.publishLatenessSeconds,
      MetricUnit.Seconds,
      Math.max(0, outcome.latenessSeconds),
    );
  }
  return summary;
});
