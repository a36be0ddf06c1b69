import { sweepApprovals } from '../../shared/approvals/sweep.ts';
import { recoverStalled } from '../../shared/publishing/recover.ts';
import { addCount, logger, METRIC } from '../commons/observability.ts';
import { adapterFor } from '../commons/platform-runtime.ts';
import { credentialStore, eventPublisher, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();

/** Dispatcher step 1: release dead claims, mark interrupted calls UNKNOWN, reconcile UNKNOWN posts. */
export const handler = step(async () => {
  const summary = await recoverStalled({
    store,
    events: eventPublisher(),
    adapterFor,
    credentials: credentialStore(),
    now,
  });
  addCount(METRIC.postsRecovered, summary.released);
  addCount(METRIC.postsReconciled, summary.reconciled);
  // A Dispatcher died during these posts' platform calls: their outcome is unknown, exactly as
  // when the record step finds it so, and the same alarm must hear of them.
  addCount(METRIC.postsUnknown, summary.unknown);
  if (Object.values(summary).some((count) => count > 0)) logger.info('recovered', { ...summary });
  // Review deadlines of pending posts (requests, reminders, missed): their own due-index entries,
  // read here so that a post that falls due unapproved is marked within the same minute.
  const approvals = await sweepApprovals({ store, events: eventPublisher(), now });
  if (Object.values(approvals).some((count) => count > 0)) logger.info('approvals', { ...approvals });
  return { ...summary, approvals };
});
