/**
 * What the in-memory adapters of one MemoryStore share: the hook called before every write, which
 * a test replaces to inject a failure (throttling, a crash between two writes).
 */
export class WriteHook {
  beforeWrite: (what: string) => void = () => undefined;
}

/** A copy, so that nothing a caller holds aliases what the store keeps (as with a real table). */
export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** Copies of the values under `ids` that exist, by id (a BatchGetItem). */
export function cloneMany<T>(values: Map<string, T>, ids: readonly string[]): Map<string, T> {
  return new Map(ids.filter((id) => values.has(id)).map((id) => [id, clone(values.get(id)) as T]));
}

/** What DynamoDB keeps of an item written with `removeUndefinedValues`. */
export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
