import middy from '@middy/core';
import { recoverStalled } from '../../shared/publishing/recover.ts';
import { adapterFor, credentialStore, eventPublisher } from '../commons/publishing-runtime.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

/** Dispatcher step 1: release dead claims, mark interrupted calls UNKNOWN, reconcile UNKNOWN posts. */
export const handler = middy().handler(async () =>
  recoverStalled({ store, events: eventPublisher(), adapterFor, credentials: credentialStore(), now }),
);
