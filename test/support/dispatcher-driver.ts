import { sweepApprovals } from '../../shared/approvals/sweep.ts';
import type { Channel } from '../../shared/domain/index.ts';
import type { EventPublisher, PulsecastEvent } from '../../shared/events.ts';
import type { CredentialStore } from '../../shared/platforms/port.ts';
import { claimDuePosts } from '../../shared/publishing/dispatch.ts';
import { type PublishOutcome, publishBatch, recordOutcomes } from '../../shared/publishing/publish.ts';
import { recoverStalled } from '../../shared/publishing/recover.ts';
import type { Store } from '../../shared/store/port.ts';
import type { RecordingAdapter } from './recording-adapter.ts';

export class RecordingEvents implements EventPublisher {
  readonly events: PulsecastEvent[] = [];
  async publish(events: readonly PulsecastEvent[]) {
    this.events.push(...events);
  }
  of(type: string, postId: string) {
    return this.events.filter((e) => e.type === type && (e.detail as { postId?: string }).postId === postId);
  }
}

export const noCredentials: CredentialStore = {
  get: async () => ({ token: 'test-token' }),
  put: async () => undefined,
};

/** A mutable clock for driving time in domain-level tests. */
export class TestClock {
  constructor(public ms: number) {}
  now = () => new Date(this.ms);
  set(iso: string) {
    this.ms = Math.max(this.ms, Date.parse(iso));
  }
}

export interface DriverFaults {
  /** The publish step's process dies: its outcomes never reach the record step. */
  publishStepDies?: () => boolean;
  /** How many record attempts fail before one gets through (Step Functions retries it). */
  recordFailures?: () => number;
}

/**
 * Drives one Dispatcher execution through the domain functions in the order the state machine
 * runs them (Recover → Claim → per batch: Wait → Publish → Record, Record retried up to 3
 * times), with faults where the state machine would see them. The synthesized state machine
 * itself is exercised by the runner tests; this driver lets property tests run thousands of
 * scenarios in seconds.
 */
export interface DispatcherDeps {
  store: Store;
  adapter: RecordingAdapter;
  events: RecordingEvents;
  clock: TestClock;
}

export async function runDispatcher(
  executionId: string,
  deps: DispatcherDeps,
  faults: DriverFaults = {},
): Promise<void> {
  const adapterFor = (_platform: Channel['platform']) => deps.adapter;
  const base = { store: deps.store, now: deps.clock.now };
  try {
    await recoverStalled({ ...base, events: deps.events, adapterFor, credentials: noCredentials });
    // The Recover step also sweeps review deadlines (functions/publishing/recover.ts).
    await sweepApprovals({ ...base, events: deps.events });
  } catch {
    // A failed Recover fails the execution; the next one sweeps again.
    return;
  }
  let claim: Awaited<ReturnType<typeof claimDuePosts>>;
  try {
    claim = await claimDuePosts(executionId, { ...base, events: deps.events });
  } catch {
    return;
  }
  for (const batch of claim.batches) {
    deps.clock.set(batch.notBefore);
    let outcomes: PublishOutcome[] | undefined;
    try {
      outcomes = await publishBatch(batch, { ...base, adapterFor, credentials: noCredentials });
      if (faults.publishStepDies?.() || deps.adapter.crashed) outcomes = undefined;
    } catch {
      outcomes = undefined; // the Catch on the Publish state
    }
    deps.adapter.crashed = false;
    let failuresLeft = faults.recordFailures?.() ?? 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (failuresLeft-- > 0) throw new Error('record step failed');
        await recordOutcomes(batch, outcomes, { ...base, events: deps.events, adapterFor });
        break;
      } catch {
        // Retry: the Record state's Retry policy.
      }
    }
  }
}
