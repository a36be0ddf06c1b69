import { planCollection } from '../../shared/measuring/collect.ts';
import { adapterFor } from '../commons/publishing-runtime.ts';
import { now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';
import { cadence } from './runtime.ts';

const store = tableStore();

/** Collector step 1: the posts whose metrics checkpoint is due, grouped per channel. */
export const handler = step(async () => planCollection({ store, adapterFor, now, cadence }));
