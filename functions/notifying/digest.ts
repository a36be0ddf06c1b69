import * as z from 'zod';
import { audienceDigestSection } from '../../shared/audit/digest.ts';
import { heldPostsSection } from '../../shared/holds/digest.ts';
import { listeningDigestSection } from '../../shared/listening/digest.ts';
import { DigestPeriod, runDigest } from '../../shared/notify/digest.ts';
import { StoreDigestSource } from '../../shared/notify/source.ts';
import { goalsReader, notifyConfig } from '../commons/notify-runtime.ts';
import { logger } from '../commons/observability.ts';
import { eventPublisher, listeningStore, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const config = notifyConfig();
const Input = z.object({
  workspaceId: z.string(),
  period: DigestPeriod,
  /** Scheduler's `<aws.scheduler.scheduled-time>`; a run without it covers the period before now. */
  scheduledTime: z.string().optional(),
});

/** A digest schedule fired: build the workspace's digest, store it, announce `Digest Ready`. */
export const handler = step(async (event: unknown) => {
  const input = Input.parse(event);
  const workspace = config.workspaces.find((w) => w.id === input.workspaceId);
  if (!workspace) throw new Error(`no workspace ${input.workspaceId} in the notification routing`);
  const scheduled = input.scheduledTime ? new Date(input.scheduledTime) : undefined;
  const at = scheduled && !Number.isNaN(scheduled.getTime()) ? scheduled : now();
  const digest = await runDigest(
    { config, workspace, period: input.period, at },
    {
      store,
      source: new StoreDigestSource(store, goalsReader(), [
        heldPostsSection(store),
        listeningDigestSection(listeningStore(), now),
        audienceDigestSection({ store, audits: store.audits }),
      ]),
      events: eventPublisher(),
      now,
    },
  );
  logger.info('digest ready', { digestId: digest.id, counts: digest.counts });
  return { digestId: digest.id };
});
