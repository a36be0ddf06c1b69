import { type Hold, isActive } from '../domain/hold.ts';
import { type DynamoTable, PK, SK } from './table.ts';

/**
 * Crisis holds. All of them live in one partition (`pk = HOLDS`, `sk = HOLD#<id>`), so the
 * Dispatcher reads every hold with one strongly consistent Query: a hold is visible to the next
 * read that starts after its write returned (a GSI could lag behind it). Holds are rare (a few a
 * year), so the partition stays a few KB; the read costs about 1 RCU, and only when a Dispatcher
 * run has candidates to claim or a batch to publish.
 */
export interface HoldStore {
  /** Every hold, active and released, newest first (one consistent read of the holds partition). */
  listHolds(): Promise<Hold[]>;
  getHold(id: string): Promise<Hold | undefined>;
  /** Writes a new hold unless one with its id exists; false when it does (idempotent starts). */
  createHold(hold: Hold): Promise<boolean>;
  /** Replaces a hold at `expectedVersion` (VersionConflictError otherwise); `hold.version` is one more. */
  replaceHold(hold: Hold, expectedVersion: number): Promise<void>;
}

/** The active holds among `holds`. */
export const activeHolds = (holds: readonly Hold[]): Hold[] => holds.filter(isActive);

export const HOLDS_PARTITION = 'HOLDS';
const holdKey = (id: string) => ({ [PK]: HOLDS_PARTITION, [SK]: `HOLD#${id}` });

export const newestFirst = (a: Hold, b: Hold) =>
  b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);

/** The DynamoDB adapter of HoldStore. */
export class DynamoHoldStore implements HoldStore {
  constructor(private readonly table: DynamoTable) {}

  async listHolds(): Promise<Hold[]> {
    const holds = await this.table.queryAll<Hold>({
      KeyConditionExpression: '#pk = :holds',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':holds': HOLDS_PARTITION },
      ConsistentRead: true,
    });
    return holds.sort(newestFirst);
  }

  async getHold(id: string): Promise<Hold | undefined> {
    const item = await this.table.getItem(holdKey(id));
    if (!item) return undefined;
    const { [PK]: _pk, [SK]: _sk, ...hold } = item;
    return hold as Hold;
  }

  createHold(hold: Hold): Promise<boolean> {
    return this.table.putIfAbsent({ ...holdKey(hold.id), ...hold });
  }

  replaceHold(hold: Hold, expectedVersion: number): Promise<void> {
    return this.table.putVersioned({ ...holdKey(hold.id), ...hold }, 'hold', hold.id, expectedVersion);
  }
}
