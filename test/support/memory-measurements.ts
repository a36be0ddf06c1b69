import type { Page } from '../../shared/domain/index.ts';
import type { Conversion, MeasurementStore, MetricSnapshot } from '../../shared/store/measurements.ts';
import { clone, stripUndefined, type WriteHook } from './memory-base.ts';

/** MeasurementStore in memory: one snapshot per post and checkpoint, one conversion per event id. */
export class MemoryMeasurementStore implements MeasurementStore {
  /** Snapshots by post, keyed `<dueAt>#<checkpoint>` like the table's sort key. */
  readonly snapshots = new Map<string, Map<string, MetricSnapshot>>();
  readonly conversions = new Map<string, Conversion>();

  constructor(private readonly hook: WriteHook) {}

  async putSnapshot(snapshot: MetricSnapshot) {
    this.hook.beforeWrite('putSnapshot');
    const history = this.snapshots.get(snapshot.postId) ?? new Map<string, MetricSnapshot>();
    this.snapshots.set(snapshot.postId, history);
    const key = `${snapshot.dueAt}#${snapshot.checkpoint}`;
    const existing = history.get(key);
    if (existing) return { created: false, snapshot: clone(existing) };
    history.set(key, clone(stripUndefined(snapshot)));
    return { created: true, snapshot: clone(snapshot) };
  }
  async listSnapshots(postId: string) {
    const history = this.snapshots.get(postId) ?? new Map<string, MetricSnapshot>();
    return [...history.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => clone(s));
  }
  async recordConversion(conversion: Conversion) {
    this.hook.beforeWrite('recordConversion');
    const existing = this.conversions.get(conversion.eventId);
    if (existing) return { created: false, conversion: clone(existing) };
    this.conversions.set(conversion.eventId, clone(stripUndefined(conversion)));
    return { created: true, conversion: clone(conversion) };
  }
  async listConversions(postId: string | null): Promise<Page<Conversion>> {
    const items = [...this.conversions.values()]
      .filter((c) => (postId === null ? c.postId === undefined : c.postId === postId))
      .sort(byOccurrence);
    return { items: items.map((c) => clone(c)) };
  }
  async conversionsBetween(from: string, to: string) {
    return [...this.conversions.values()]
      .filter((c) => c.occurredAt >= from && c.occurredAt < to)
      .sort(byOccurrence)
      .map((c) => clone(c));
  }
}

/** The table's order of conversions: `<occurredAt>#<eventId>`. */
function byOccurrence(a: Conversion, b: Conversion): number {
  return `${a.occurredAt}#${a.eventId}`.localeCompare(`${b.occurredAt}#${b.eventId}`);
}
