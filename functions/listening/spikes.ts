import { detectSpikes } from '../../shared/listening/spikes.ts';
import { eventPublisher, listeningStore, now } from '../commons/runtime.ts';
import { step } from '../commons/step.ts';

const listening = listeningStore();

/** Listener step 3: per subject and platform, start or end a spike episode (one event each). */
export const handler = step(async () => detectSpikes({ listening, events: eventPublisher(), now }));
