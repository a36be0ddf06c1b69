/**
 * The clock of local mode and of the tests: a discrete-event simulation clock. Time stands still
 * until someone advances it; advancing visits every instant at which something is due (a sleeper,
 * a schedule), in order, and lets the system settle at each one before moving on.
 *
 * "Settled" (idle) means, exactly:
 *  1. no tracked work is in flight (every promise handed to {@link VirtualClock.track} has
 *     settled), and
 *  2. then {@link VirtualClockOptions.idleTurns} consecutive `setImmediate` turns pass in which
 *     nothing happened on the clock: no work was tracked or finished, no sleeper or schedule was
 *     registered, cancelled or released.
 * A `setImmediate` turn runs only after the microtask queue is empty, so (2) covers every promise
 * continuation (an execution moving from one state to the next, a Map starting its next item)
 * and continuations that hop through `setImmediate` fewer than `idleTurns` times. It does not
 * cover real timers or I/O that nobody tracked: anything an execution waits on in real time (a
 * handler's HTTP call, a DynamoDB request) must run inside `track`, which the state-machine
 * runner does for every handler and service integration it calls.
 *
 * Tracked work must not wait on the clock itself (a tracked promise that awaits `sleepUntil`
 * can only settle after time moves, and time only moves when it has settled): the clock would
 * wait for it until `settleTimeoutMs` and then fail naming the work.
 */

/** How the clock moves. Only `virtual` exists so far; a `real` mode (time follows the wall clock,
 * with advances as jumps ahead) can be added behind the same interface. */
export type ClockMode = 'virtual';

export interface VirtualClockOptions {
  /** The first instant (epoch ms or Date). @default the real time at construction */
  start?: number | Date;
  /**
   * Consecutive quiet `setImmediate` turns that make the system idle (see the module comment).
   * @default 3
   */
  idleTurns?: number;
  /**
   * The most instants one `advanceTo` may visit before it gives up: a guard against a runaway loop
   * (something that keeps scheduling work a little later, forever).
   * @default 1_000_000
   */
  maxSteps?: number;
  /**
   * How long (real ms) the clock waits for tracked work without seeing any progress before it
   * fails, naming the work in flight. A guard against a tracked promise that never settles.
   * @default 30_000
   */
  settleTimeoutMs?: number;
}

/** What one advance did. */
export interface AdvanceSummary {
  from: Date;
  to: Date;
  /** Sleepers released (Wait states, execution timeouts, …). */
  timersFired: number;
  /** Schedule occurrences fired. */
  schedulesFired: number;
  /** Distinct instants visited. */
  steps: number;
}

/** A schedule's callback: what the schedule does at one due instant (a promise it returns is
 * tracked). */
export type ScheduleCallback = (instant: Date) => unknown;

/** Raised when the clock cannot make progress (runaway loop, tracked work that never settles). */
export class ClockError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClockError';
  }
}

interface Entry {
  dueMs: number;
  /** Registration order: breaks ties between entries due at the same instant. */
  seq: number;
  kind: 'sleeper' | 'schedule';
  fire(): void;
}

interface Tracked {
  label: string;
  since: number;
}

export class VirtualClock {
  readonly mode: ClockMode = 'virtual';

  private currentMs: number;
  private readonly idleTurns: number;
  private readonly maxSteps: number;
  private readonly settleTimeoutMs: number;
  /** Pending entries, sorted by (dueMs, seq). */
  private readonly queue: Entry[] = [];
  private seq = 0;
  /** Bumped by everything the idle detection must notice. */
  private activity = 0;
  private readonly inFlight = new Map<number, Tracked>();
  private trackSeq = 0;
  /** Woken on any activity, so settling does not spin while tracked work is in flight. */
  private readonly waiters = new Set<() => void>();
  /** Serializes advances: two callers advancing at once would interleave their instants. */
  private advancing: Promise<unknown> = Promise.resolve();
  /** Errors thrown by schedule callbacks, reported by the advance during which they happened. */
  private scheduleErrors: unknown[] = [];

  constructor(options: VirtualClockOptions = {}) {
    const start = options.start ?? Date.now();
    this.currentMs = typeof start === 'number' ? start : start.getTime();
    if (!Number.isFinite(this.currentMs)) {
      throw new RangeError(`VirtualClock: invalid start ${String(start)}`);
    }
    this.idleTurns = options.idleTurns ?? 3;
    this.maxSteps = options.maxSteps ?? 1_000_000;
    this.settleTimeoutMs = options.settleTimeoutMs ?? 30_000;
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  nowMs(): number {
    return this.currentMs;
  }

  /** Tracked work in flight right now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Sleepers and schedule occurrences waiting for time to reach them. */
  get pending(): number {
    return this.queue.length;
  }

  /** The next instant at which something is due, if anything is. */
  nextDueMs(): number | undefined {
    return this.queue[0]?.dueMs;
  }

  /**
   * Resolves when virtual time reaches `instantMs` (at once when it already has). An aborted
   * signal removes the sleeper and rejects with the signal's reason.
   */
  sleepUntil(instantMs: number, signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(instantMs)) {
      return Promise.reject(new RangeError(`sleepUntil: invalid instant ${instantMs}`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (instantMs <= this.currentMs) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.remove(entry);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const entry: Entry = {
        dueMs: instantMs,
        seq: this.seq++,
        kind: 'sleeper',
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.insert(entry);
    });
  }

  /** `sleepUntil(now + ms)`. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.currentMs + ms, signal);
  }

  /**
   * Marks work in flight: the clock does not move until it settles. Pass a function to start the
   * work inside the tracked window. The result is the work's own promise (errors included).
   */
  track<T>(work: Promise<T> | (() => Promise<T>), label = 'work'): Promise<T> {
    const id = this.trackSeq++;
    this.inFlight.set(id, { label, since: Date.now() });
    this.touch();
    let promise: Promise<T>;
    try {
      promise = typeof work === 'function' ? work() : work;
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.finally(() => {
      this.inFlight.delete(id);
      this.touch();
    });
  }

  /**
   * Fires `callback` at `startMs`, `startMs + intervalMs`, … as virtual time reaches each
   * instant (an occurrence before the current time is skipped: the first one fired is the first
   * at or after now). A promise the callback returns is tracked, so it must not wait on the clock.
   * Returns a function that cancels the schedule.
   */
  every(intervalMs: number, startMs: number, callback: ScheduleCallback): () => void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`every: the interval must be a positive number of ms, got ${intervalMs}`);
    }
    if (!Number.isFinite(startMs)) throw new RangeError(`every: invalid start ${startMs}`);
    let cancelled = false;
    let current: Entry | undefined;
    const schedule = (dueMs: number): void => {
      const entry: Entry = {
        dueMs,
        seq: this.seq++,
        kind: 'schedule',
        fire: () => {
          if (cancelled) return;
          schedule(dueMs + intervalMs);
          // As a microtask, like a sleeper's continuation, so that everything released at one
          // instant starts in registration order.
          queueMicrotask(() => {
            try {
              const result = callback(new Date(dueMs));
              if (result instanceof Promise) {
                this.track(result, 'schedule').catch((error: unknown) => this.scheduleErrors.push(error));
              }
            } catch (error) {
              this.scheduleErrors.push(error);
            }
          });
        },
      };
      current = entry;
      this.insert(entry);
    };
    const skipped = startMs < this.currentMs ? Math.ceil((this.currentMs - startMs) / intervalMs) : 0;
    schedule(startMs + skipped * intervalMs);
    return () => {
      if (cancelled) return;
      cancelled = true;
      if (current) this.remove(current);
    };
  }

  /** Moves time forward by `ms` (see {@link advanceTo}). */
  advanceBy(ms: number): Promise<AdvanceSummary> {
    if (!Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new RangeError(`advanceBy: invalid duration ${ms}`));
    }
    // Read the current time once the advance gets its turn, not now: a queued advance continues
    // from where the previous one stopped.
    return this.serialize(() => this.runAdvance(this.currentMs + ms));
  }

  /**
   * Moves time to `target`: settles, then repeatedly jumps to the earliest pending instant at or
   * before `target`, releases everything due at that instant (in registration order) and settles
   * again; finally sets the time to `target` and settles. Resolves with what happened; rejects
   * with a {@link ClockError} on a runaway loop or stuck work, and with an AggregateError (after
   * reaching the target) when schedule callbacks failed. Concurrent advances run one after the
   * other.
   */
  advanceTo(target: number | Date): Promise<AdvanceSummary> {
    const targetMs = typeof target === 'number' ? target : target.getTime();
    if (!Number.isFinite(targetMs)) {
      return Promise.reject(new RangeError(`advanceTo: invalid target ${String(target)}`));
    }
    return this.serialize(() => this.runAdvance(targetMs));
  }

  /** Resolves when the system is idle (see the module comment), without moving time. */
  whenIdle(): Promise<void> {
    return this.settle();
  }

  private serialize<T>(run: () => Promise<T>): Promise<T> {
    const next = this.advancing.then(run, run);
    this.advancing = next.catch(() => undefined);
    return next;
  }

  private async runAdvance(targetMs: number): Promise<AdvanceSummary> {
    if (targetMs < this.currentMs) {
      throw new RangeError(
        `advanceTo: ${new Date(targetMs).toISOString()} is before the current time ${this.now().toISOString()}`,
      );
    }
    const from = this.now();
    const summary: AdvanceSummary = { from, to: from, timersFired: 0, schedulesFired: 0, steps: 0 };
    await this.settle();
    for (;;) {
      const head = this.queue[0];
      if (!head || head.dueMs > targetMs) break;
      summary.steps += 1;
      if (summary.steps > this.maxSteps) {
        throw new ClockError(
          `advanceTo ${new Date(targetMs).toISOString()}: gave up after ${this.maxSteps} steps at ` +
            `${this.now().toISOString()}; something keeps scheduling work (${this.queue.length} pending)`,
        );
      }
      this.currentMs = Math.max(this.currentMs, head.dueMs);
      // Everything due at this instant is released together, in registration order: things due
      // at the same instant run concurrently, as they would in the cloud.
      const due: Entry[] = [];
      while (this.queue[0] && this.queue[0].dueMs <= this.currentMs) due.push(this.queue.shift()!);
      this.touch();
      for (const entry of due) {
        if (entry.kind === 'sleeper') summary.timersFired += 1;
        else summary.schedulesFired += 1;
        entry.fire();
      }
      await this.settle();
    }
    this.currentMs = targetMs;
    this.touch();
    await this.settle();
    summary.to = this.now();
    if (this.scheduleErrors.length > 0) {
      const errors = this.scheduleErrors;
      this.scheduleErrors = [];
      throw new AggregateError(errors, `${errors.length} schedule callback(s) failed while advancing`);
    }
    return summary;
  }

  /** Waits until idle: nothing tracked in flight, then `idleTurns` quiet `setImmediate` turns. */
  private async settle(): Promise<void> {
    let quietTurns = 0;
    let lastProgress = Date.now();
    let seen = this.activity;
    while (quietTurns < this.idleTurns) {
      if (this.inFlight.size > 0) {
        quietTurns = 0;
        await this.waitForProgress(lastProgress);
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.activity !== seen) {
        seen = this.activity;
        lastProgress = Date.now();
        quietTurns = 0;
      } else if (this.inFlight.size === 0) {
        quietTurns += 1;
      }
    }
  }

  /** Waits for tracked work to change, failing once nothing has changed for `settleTimeoutMs`. */
  private waitForProgress(lastProgress: number): Promise<void> {
    const remaining = lastProgress + this.settleTimeoutMs - Date.now();
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.waiters.delete(wake);
          const now = Date.now();
          const work = [...this.inFlight.values()].map((w) => `${w.label} (${now - w.since} ms)`).join(', ');
          reject(
            new ClockError(
              `the clock waited ${this.settleTimeoutMs} ms for tracked work that made no progress: ${work}. ` +
                'Tracked work must not wait on the clock.',
            ),
          );
        },
        Math.max(0, remaining),
      );
      this.waiters.add(wake);
    });
  }

  private touch(): void {
    this.activity += 1;
    if (this.waiters.size === 0) return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  private insert(entry: Entry): void {
    // Binary search for the first entry that sorts after this one (seq only grows, so equal
    // instants keep registration order).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid]!.dueMs <= entry.dueMs) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, entry);
    this.touch();
  }

  private remove(entry: Entry): void {
    const index = this.queue.indexOf(entry);
    if (index >= 0) this.queue.splice(index, 1);
    this.touch();
  }
}
