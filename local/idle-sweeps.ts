import { CLAIM_WINDOW_MS } from '../shared/publishing/dispatch.ts';
import { DUE_KINDS, type DueKind } from '../shared/store/keys.ts';
import { dueWorkOf, type PostStore } from '../shared/store/posts.ts';

/** A scheduled sweep of the due index: what it looks for, and how far ahead. */
export interface DueSweep {
  kinds: readonly DueKind[];
  aheadMs: number;
}

/** The Dispatcher claims what falls due before its next run; the Collector what is due now. */
export const DISPATCHER_SWEEP: DueSweep = {
  kinds: [DUE_KINDS.publish, DUE_KINDS.lease, DUE_KINDS.reconcile, DUE_KINDS.approval],
  aheadMs: CLAIM_WINDOW_MS,
};
export const COLLECTOR_SWEEP: DueSweep = { kinds: [DUE_KINDS.metrics], aheadMs: 0 };

/**
 * Decides which firings of the due-index sweeps would find nothing and can be left out while
 * local time advances (the demo playing four weeks of history at start-up, `pulsecast clock
 * advance 30d`): the Dispatcher and the Collector do nothing but read the due index
 * (docs/adr/0002-due-index-is-the-only-sweep.md), so a firing before the earliest entry of its
 * kinds — no post due, no lease expiring, no unknown outcome to reconcile, no metrics due — is a
 * no-op, and most idle minutes need not each run a state machine. Every other firing runs as
 * deployed.
 *
 * The earliest due instants are read from the same index the state machine queries and trusted
 * until anything writes to the table ({@link IdleSweeps.tableWritten}, called by local mode for
 * every write its DynamoDB client sends) or a sweep runs. While any sweep execution is still
 * running, nothing is skipped.
 */
export class IdleSweeps {
  readonly #sweeps: ReadonlyMap<string, DueSweep>;
  readonly #store: PostStore;
  readonly #running: () => boolean;
  #earliest: Map<DueKind, number> | undefined;
  /** The Listener's settings were read and there were none, and nothing was written since. */
  #nothingListened = false;
  /** Bumped by every table write: a read that raced a write is not cached. */
  #writes = 0;
  skipped = 0;

  constructor(sweeps: ReadonlyMap<string, DueSweep>, store: PostStore, running: () => boolean) {
    this.#sweeps = sweeps;
    this.#store = store;
    this.#running = running;
  }

  /** Something wrote to the table: what was read of the due index may be out of date. */
  tableWritten(): void {
    this.#writes++;
    this.#earliest = undefined;
    this.#nothingListened = false;
  }

  /**
   * Whether a Listener firing has anything to listen for: `readSettings` (the table read the
   * Listener would start with) finds settings. That there are none is trusted, like the due index,
   * until anything writes to the table, so an idle day is not 288 reads of the same absent item.
   */
  async listening(readSettings: () => Promise<unknown>): Promise<boolean> {
    if (this.#nothingListened) return false;
    const writes = this.#writes;
    const settings = await readSettings();
    if (settings) return true;
    if (writes === this.#writes) this.#nothingListened = true;
    return false;
  }

  /** Whether the firing of `stateMachine` at `instantMs` has anything to do. */
  async due(stateMachine: string, instantMs: number): Promise<boolean> {
    const sweep = this.#sweeps.get(stateMachine);
    if (!sweep) return true;
    if (this.#running()) {
      this.#earliest = undefined;
      return true;
    }
    let earliestByKind = this.#earliest;
    if (!earliestByKind) {
      const writes = this.#writes;
      earliestByKind = await this.#readEarliest();
      if (writes === this.#writes) this.#earliest = earliestByKind;
    }
    const earliest = Math.min(
      ...sweep.kinds.map((kind) => earliestByKind.get(kind) ?? Number.POSITIVE_INFINITY),
    );
    if (earliest > instantMs + sweep.aheadMs) {
      this.skipped++;
      return false;
    }
    this.#earliest = undefined;
    return true;
  }

  async #readEarliest(): Promise<Map<DueKind, number>> {
    const earliest = new Map<DueKind, number>();
    const far = '9999-12-31T23:59:59.999Z';
    for (const kind of new Set([...this.#sweeps.values()].flatMap((sweep) => sweep.kinds))) {
      const page = await this.#store.dueWork(kind, far, { limit: 1 });
      const first = page.items[0];
      if (!first) continue;
      // An entry whose instant cannot be read keeps the sweep running.
      const due = dueWorkOf(first);
      earliest.set(kind, due?.kind === kind ? Date.parse(due.at) : Number.NEGATIVE_INFINITY);
    }
    return earliest;
  }
}
