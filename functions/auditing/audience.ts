import { snapshotAudience } from '../../shared/audit/audience.ts';
import { step } from '../commons/step.ts';
import { auditDeps } from './deps.ts';

const deps = auditDeps();

/**
 * The daily audience snapshot (scheduled): every channel's follower count (and breakdowns where
 * the platform has them), once per channel and day. A channel that could not be read is named in
 * `failed` and the execution then fails, so it shows in the alarms; the others are stored.
 */
export const handler = step(async () => snapshotAudience(deps));
