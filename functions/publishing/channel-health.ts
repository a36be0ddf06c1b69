import middy from '@middy/core';
import { checkChannelHealth } from '../../shared/publishing/channel-health.ts';
import { observed } from '../commons/observability.ts';
import { adapterFor, credentialStore, eventPublisher } from '../commons/publishing-runtime.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

/** Hourly: check every channel's credentials and raise Channel Needs Attention before posts fail. */
export const handler = middy()
  .use(observed())
  .handler(async () =>
    checkChannelHealth({ store, events: eventPublisher(), adapterFor, credentials: credentialStore(), now }),
  );
