import { parseBusEvent } from '../../shared/notify/envelope.ts';
import { type NotifyReport, notify } from '../../shared/notify/notifier.ts';
import { approvalLinkSettings } from '../commons/approval-runtime.ts';
import {
  apiUrl,
  chartHost,
  emailSender,
  noticeLookup,
  notifyConfig,
  senderAddress,
  slackSender,
} from '../commons/notify-runtime.ts';
import {
  logger,
  METRIC,
  MetricUnit,
  metrics,
  NOTIFICATION_CHANNEL_DIMENSION,
  NOTIFICATION_CHANNELS,
  type NotificationChannel,
} from '../commons/observability.ts';
import { now, tableStore, unsubscribeKey } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();
const config = notifyConfig();

/**
 * Target of the notification rules (and of `Digest Ready`): one bus event in, its messages out,
 * each sent once. A failure throws, so Lambda retries the event and then dead-letters it.
 */
export const handler = step(async (event: unknown) => {
  const parsed = parseBusEvent(event);
  if (!parsed) {
    logger.info('event type not handled', {
      detailType: (event as Record<string, unknown>)['detail-type'],
    });
    return { skipped: true };
  }
  const report = await notify(parsed, {
    config,
    store,
    slack: slackSender(),
    email: emailSender(),
    sender: senderAddress(),
    charts: chartHost(),
    lookup: noticeLookup(),
    ...(apiUrl() ? { apiUrl: apiUrl() as string, unsubscribeKey: unsubscribeKey() } : {}),
    now,
    approvalLinks: approvalLinkSettings(),
  });
  logger.info('notified', { type: parsed.type, ...report });
  countSent(report);
  return report;
});

/**
 * `NotificationsSent`, one value per channel. Messages sent by an earlier attempt of the same
 * event (the report's duplicates) were counted then. The channel is read from the delivery key
 * (`notify#<event>#slack#<webhook>#<part>`, `notify#<event>#email#<address>`).
 */
function countSent(report: NotifyReport): void {
  const sent = new Map<NotificationChannel, number>(NOTIFICATION_CHANNELS.map((channel) => [channel, 0]));
  for (const key of report.sent) {
    const channel = /#(slack|email)#[^#]+(?:#\d+)?$/.exec(key)?.[1] as NotificationChannel | undefined;
    if (channel) sent.set(channel, (sent.get(channel) ?? 0) + 1);
  }
  for (const [channel, count] of sent) {
    // A metric of its own for each channel: the dimension would otherwise apply to every metric
    // of the invocation.
    const single = metrics.singleMetric();
    single.addDimension(NOTIFICATION_CHANNEL_DIMENSION, channel);
    single.addMetric(METRIC.notificationsSent, MetricUnit.Count, count);
  }
}
