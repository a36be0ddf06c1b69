import { checkChannelHealth } from '../../shared/publishing/channel-health.ts';
import { adapterFor } from '../commons/platform-runtime.ts';
import { credentialStore, eventPublisher, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();

/** Hourly: check every channel's credentials and raise Channel Needs Attention before posts fail. */
export const handler = step(async () =>
  checkChannelHealth({ store, events: eventPublisher(), adapterFor, credentials: credentialStore(), now }),
);
