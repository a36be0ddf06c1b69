import { randomUUID } from 'node:crypto';

/** How far a running advance has got. */
export interface AdvanceProgress {
  from: string;
  target: string;
  /** Local time reached so far. */
  reached: string;
  /** State-machine executions started since the advance began. */
  executions: number;
}

/** An advance run in the background (`POST /_local/clock/advance` with `"async": true`). */
export interface AdvanceJob<R> {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  progress: AdvanceProgress;
  /** The advance summary, once succeeded. */
  result?: R;
  /** Why it failed, once failed. */
  error?: string;
}

/**
 * The advances asked for asynchronously: a long advance (weeks of local time) answers `202` with
 * a job at once, and the caller polls it for progress instead of holding a request open for
 * minutes. Jobs are kept in memory (local mode only); the last few finished ones stay readable.
 */
export class AdvanceJobs<R> {
  readonly #jobs = new Map<string, { job: AdvanceJob<R>; progress: () => AdvanceProgress }>();
  readonly #keepFinished: number;

  constructor(keepFinished = 20) {
    this.#keepFinished = keepFinished;
  }

  start(run: Promise<R>, progress: () => AdvanceProgress): AdvanceJob<R> {
    const id = randomUUID();
    const entry = { job: { id, status: 'running', progress: progress() } as AdvanceJob<R>, progress };
    this.#jobs.set(id, entry);
    run.then(
      (result) => this.#finish(id, { status: 'succeeded', result }),
      (error: unknown) =>
        this.#finish(id, { status: 'failed', error: error instanceof Error ? error.message : String(error) }),
    );
    return this.get(id) as AdvanceJob<R>;
  }

  /** The job as it stands now, or undefined for an unknown (or long-finished) id. */
  get(id: string): AdvanceJob<R> | undefined {
    const entry = this.#jobs.get(id);
    if (!entry) return undefined;
    if (entry.job.status === 'running') entry.job.progress = entry.progress();
    return { ...entry.job };
  }

  #finish(id: string, outcome: Partial<AdvanceJob<R>>): void {
    const entry = this.#jobs.get(id);
    if (!entry) return;
    entry.job = { ...entry.job, progress: entry.progress(), ...outcome };
    entry.progress = () => entry.job.progress;
    const finished = [...this.#jobs.entries()].filter(([, { job }]) => job.status !== 'running');
    for (const [old] of finished.slice(0, Math.max(0, finished.length - this.#keepFinished)))
      this.#jobs.delete(old);
  }
}
