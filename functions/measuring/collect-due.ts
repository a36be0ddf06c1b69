import { planCollection } from '../../shared/measuring/collect.ts';
import { adapterFor } from '../commons/platform-runtime.ts';
import { cadence, now, tableStore } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const store = tableStore();

/** Collector step 1: the posts whose metrics checkpoint is due, grouped per channel. */
export const handler = step(async () => planCollection({ store, adapterFor, now, cadence: cadence() }));
