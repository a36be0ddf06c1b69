import type { Hold } from '../../shared/domain/hold.ts';
import { VersionConflictError } from '../../shared/errors.ts';
import { type HoldStore, newestFirst } from '../../shared/store/holds.ts';
import { clone, stripUndefined, type WriteHook } from './memory-base.ts';

/** HoldStore in memory: created only if absent, replaced only at the version read. */
export class MemoryHoldStore implements HoldStore {
  readonly holds = new Map<string, Hold>();
  /** How many times the holds were listed (the Dispatcher must read them once per step, not per post). */
  reads = 0;

  constructor(private readonly hook: WriteHook) {}

  async listHolds() {
    this.reads++;
    return [...this.holds.values()].map((hold) => clone(hold)).sort(newestFirst);
  }
  async getHold(id: string) {
    return clone(this.holds.get(id));
  }
  async createHold(hold: Hold) {
    this.hook.beforeWrite('createHold');
    if (this.holds.has(hold.id)) return false;
    this.holds.set(hold.id, clone(stripUndefined(hold)));
    return true;
  }
  async replaceHold(hold: Hold, expectedVersion: number) {
    this.hook.beforeWrite('replaceHold');
    if (this.holds.get(hold.id)?.version !== expectedVersion) throw new VersionConflictError('hold', hold.id);
    this.holds.set(hold.id, clone(stripUndefined(hold)));
  }
}
