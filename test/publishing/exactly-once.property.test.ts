import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/errors.ts';
import {
  type DispatcherDeps,
  RecordingEvents,
  runDispatcher,
  TestClock,
} from '../support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { type CallFault, RecordingAdapter } from '../support/recording-adapter.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const FAULTS: CallFault[] = [
  'ok',
  'reject',
  'rate-limit',
  'unavailable',
  'auth',
  'accepted-then-timeout',
  'lost-then-timeout',
  'accepted-then-crash',
  'crash-before-send',
];

const scenario = fc.record({
  postMinutes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
  callFaults: fc.array(fc.constantFrom(...FAULTS), { maxLength: 12 }),
  publishStepDies: fc.array(fc.boolean(), { maxLength: 8 }),
  recordFailures: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 8 }),
  duplicateDispatchers: fc.boolean(),
  throttlePercent: fc.integer({ min: 0, max: 15 }),
  seed: fc.integer(),
});

/** A small deterministic generator so throttling is reproducible from the scenario's seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('publishing exactly once under faults', () => {
  it('never publishes a post twice and settles every due post with its event, over 1,000 scenarios', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new TestClock(T0);
        const store = new MemoryStore();
        const events = new RecordingEvents();
        const faults = [...s.callFaults];
        const adapter = new RecordingAdapter(() => faults.shift() ?? 'ok', clock.now);
        await store.putChannel(makeChannel({ id: 'x-main' }));
        await store.createPosts(
          s.postMinutes.map((minute, i) =>
            makePost({ id: `p${i}`, scheduledAt: new Date(T0 + minute * 60_000 + i * 1000).toISOString() }),
          ),
        );
        const rand = random(s.seed);
        let throttling = true;
        store.beforeWrite = () => {
          if (throttling && rand() * 100 < s.throttlePercent) {
            throw new StoreUnavailableError('ProvisionedThroughputExceededException (injected)');
          }
        };
        const dies = [...s.publishStepDies];
        const recordFailures = [...s.recordFailures];
        const deps: DispatcherDeps = { store, adapter, events, clock };
        const driverFaults = {
          publishStepDies: () => dies.shift() ?? false,
          recordFailures: () => recordFailures.shift() ?? 0,
        };

        // Ten minutes of one-minute schedules, with faults; sometimes two Dispatchers at once.
        for (let minute = 0; minute <= 10; minute++) {
          clock.set(new Date(T0 + minute * 60_000).toISOString());
          const runs = [runDispatcher(`exec-${minute}-a`, deps, driverFaults)];
          if (s.duplicateDispatchers) runs.push(runDispatcher(`exec-${minute}-b`, deps, driverFaults));
          await Promise.all(runs);
        }
        // Then the faults stop and the sweeps carry on for two hours (leases, reconciliation, retries).
        throttling = false;
        faults.length = 0;
        dies.length = 0;
        recordFailures.length = 0;
        for (let minute = 11; minute <= 130; minute += 3) {
          clock.set(new Date(T0 + minute * 60_000).toISOString());
          await runDispatcher(`exec-${minute}`, deps);
        }

        for (const post of store.posts.values()) {
          const accepted = adapter.accepted.get(post.id) ?? 0;
          expect(accepted, `${post.id} accepted ${accepted} times`).toBeLessThanOrEqual(1);
          expect(['PUBLISHED', 'FAILED', 'UNKNOWN'], `${post.id} ended ${post.status}`).toContain(
            post.status,
          );
          if (post.status === 'PUBLISHED') {
            expect(accepted).toBe(1);
            expect(events.of('Post Published', post.id).length).toBeGreaterThan(0);
          }
          if (post.status === 'FAILED') {
            expect(post.failureReason).toBeTruthy();
            expect(events.of('Post Failed', post.id).length).toBeGreaterThan(0);
          }
          if (post.status === 'UNKNOWN') {
            expect(events.of('Post Outcome Unknown', post.id).length).toBeGreaterThan(0);
            // Reconciliation found every post the platform did accept.
            expect(accepted).toBe(0);
          }
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) },
    );
  }, 120_000);
});
