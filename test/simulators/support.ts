import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { SimulatorHandle } from '../../local/simulators/sim-types.ts';
import type { Channel, Post } from '../../shared/domain/index.ts';
import {
  type CredentialStore,
  type Credentials,
  type PlatformAdapter,
  PlatformError,
} from '../../shared/platforms/port.ts';
import { MemoryCredentialStore } from '../platforms/helpers.ts';

// What the adapter ↔ simulator tests share: a credential store in memory, a clock the test moves,
// and the harness that looks for a secret anywhere it could leak.

/** One channel's secret in memory: the platform tests' store, holding a single secret. */
export class MemoryCredentials extends MemoryCredentialStore {
  constructor(value: Credentials) {
    super();
    this.value = value;
  }
}

/** Publishes posts to `channel` through `adapter`, each with its own id as the idempotency key. */
export function publisher(adapter: PlatformAdapter, channel: Channel, store: CredentialStore) {
  return (post: Post) => adapter.publish(post, channel, store, { idempotencyKey: post.id });
}

export const START = new Date('2026-12-10T09:00:00.000Z');
export const HOUR = 3_600_000;

/** Virtual time: the simulator and the adapter read `clock`; the test sets `now`. */
export class TestClock {
  now = START;
  readonly clock = () => this.now;

  /** Back to START, for the next test. */
  reset(): void {
    this.now = START;
  }

  /** `hours` after START. */
  at(hours: number): Date {
    this.now = new Date(START.getTime() + hours * HOUR);
    return this.now;
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

/**
 * A simulator per test, in virtual time: before each test the returned clock goes back to START
 * and `start()` starts the file's simulator (setting what the file keeps of it: its channel, its
 * credentials); after it, the simulator `running()` names (a test may have restarted it) stops and
 * mocks are restored.
 */
export function simulatorPerTest(start: () => Promise<void>, running: () => SimulatorHandle): TestClock {
  const time = new TestClock();
  beforeEach(async () => {
    time.reset();
    await start();
  });
  afterEach(async () => {
    await running().stop();
    vi.restoreAllMocks();
  });
  return time;
}

/** The ISO time `hours` after START. */
export function afterStart(hours: number): string {
  return new Date(START.getTime() + hours * HOUR).toISOString();
}

/** The PlatformError a call fails with (and that it fails with one). */
export async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

export { leakWatch } from '../platforms/helpers.ts';
