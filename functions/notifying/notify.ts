import middy from '@middy/core';
import { parseBusEvent } from '../../shared/notify/envelope.ts';
import { notify } from '../../shared/notify/notifier.ts';
import { now, tableStore } from '../commons/runtime.ts';
import { emailSender, notifyConfig, senderAddress, slackSender } from './runtime.ts';

const store = tableStore();
const config = notifyConfig();

/**
 * Target of the notification rules (and of `Digest Ready`): one bus event in, its messages out,
 * each sent once. A failure throws, so Lambda retries the event and then dead-letters it.
 */
export const handler = middy().handler(async (event: unknown) => {
  const parsed = parseBusEvent(event);
  if (!parsed) {
    console.log(
      JSON.stringify({
        message: 'event type not handled',
        detailType: (event as Record<string, unknown>)['detail-type'],
      }),
    );
    return { skipped: true };
  }
  const report = await notify(parsed, {
    config,
    store,
    slack: slackSender(),
    email: emailSender(),
    sender: senderAddress(),
    now,
  });
  console.log(JSON.stringify({ message: 'notified', type: parsed.type, ...report }));
  return report;
});
