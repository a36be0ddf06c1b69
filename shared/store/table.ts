import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Page } from '../domain/index.ts';
import { StoreUnavailableError, VersionConflictError } from '../errors.ts';
import { SignedCursors } from './cursor.ts';
import { DUE_INDEX, LIST_INDEX, TABLE_KEYS } from './keys.ts';
import type { PageRequest } from './port.ts';
import { type BackoffOptions, backoffDelay, chunk, defaultBackoff, forEachConcurrent } from './retry.ts';

export type Item = Record<string, unknown>;
export type Entity =
  | 'CHANNEL'
  | 'POST'
  | 'UPLOAD'
  | 'CAMPAIGN'
  | 'LEDGER'
  | 'MARK'
  | 'DIGEST'
  | 'CONVERSION'
  | 'CONFIG'
  | 'MENTION'
  | 'OWNREPLY'
  | 'RECIPIENT';

export const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;
const KEY_ATTRIBUTES = [
  PK,
  SK,
  LIST_INDEX.partitionKey,
  LIST_INDEX.sortKey,
  DUE_INDEX.partitionKey,
  DUE_INDEX.sortKey,
];
/** The key attributes of a position in the `byType` list and the due index, for their cursors. */
export const LIST_CURSOR_KEYS = [PK, SK, LIST_INDEX.partitionKey, LIST_INDEX.sortKey];
export const DUE_CURSOR_KEYS = [PK, SK, DUE_INDEX.partitionKey, DUE_INDEX.sortKey];
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_SIZE = 100;
const BATCH_CONCURRENCY = 8;
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

export function primaryKey(entity: Entity, id: string): Item {
  return { [PK]: `${entity}#${id}`, [SK]: entity };
}

/** The keys of an entity listed in `byType`: its own, and its place (`listSortKey`) in its type's list. */
export function listedKeys(entity: Entity, id: string, listSortKey: string): Item {
  return {
    ...primaryKey(entity, id),
    [LIST_INDEX.partitionKey]: entity,
    [LIST_INDEX.sortKey]: listSortKey,
  };
}

/** Items hold what the domain wrote plus key attributes; strip those on the way out. */
export function fromItem<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const name of KEY_ATTRIBUTES) delete copy[name];
  return copy as T;
}

export interface DynamoTableOptions {
  tableName: string;
  client: DynamoDBDocumentClient;
  backoff?: BackoffOptions;
}

/**
 * The single table as every per-aggregate adapter sees it: its name and client, the reads and
 * conditional writes they share, query paging and the signed cursors. The adapters of one store
 * share one instance, so the cursor key is read from the table once per process.
 */
export class DynamoTable {
  readonly name: string;
  readonly client: DynamoDBDocumentClient;
  private readonly backoff: BackoffOptions;
  private readonly cursors: SignedCursors;
  private cursorSecret?: Promise<Uint8Array>;

  constructor(options: DynamoTableOptions) {
    this.name = options.tableName;
    this.client = options.client;
    this.backoff = options.backoff ?? defaultBackoff;
    this.cursors = new SignedCursors(() => {
      this.cursorSecret ??= this.loadCursorSecret().catch((error: unknown) => {
        this.cursorSecret = undefined;
        throw error;
      });
      return this.cursorSecret;
    });
  }

  /**
   * The key that signs this deployment's cursors: 32 random bytes kept in the table itself, made
   * by whichever function needs it first (a conditional put, so concurrent first uses agree).
   * It costs nothing at rest, and whoever can read it could read the data a cursor points into.
   */
  private async loadCursorSecret(): Promise<Uint8Array> {
    const key = primaryKey('CONFIG', 'cursor-key');
    const read = async () => (await this.getItem(key))?.secret as string | undefined;
    let secret = await read();
    if (secret === undefined) {
      await this.putIfAbsent({ ...key, secret: randomBytes(32).toString('base64') });
      secret = await read();
    }
    if (secret === undefined) throw new StoreUnavailableError('the cursor key could not be read back');
    return Buffer.from(secret, 'base64');
  }

  /** A plain put: last writer wins. */
  async put(item: Item): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.name, Item: item }));
  }

  /** Put unless an item with the same key exists; false when one does. */
  async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Put guarded by the version read: `expectedVersion` undefined means "must not exist yet".
   * This is the optimistic lock every status transition goes through.
   */
  async putVersioned(
    item: Item,
    resource: string,
    id: string,
    expectedVersion: number | undefined,
    allowedStatuses?: readonly string[],
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let condition: string;
    if (expectedVersion === undefined) {
      names['#pk'] = PK;
      condition = 'attribute_not_exists(#pk)';
    } else {
      names['#version'] = 'version';
      values[':version'] = expectedVersion;
      condition = '#version = :version';
      if (allowedStatuses && allowedStatuses.length > 0) {
        names['#status'] = 'status';
        const placeholders = allowedStatuses.map((status, i) => {
          values[`:status${i}`] = status;
          return `:status${i}`;
        });
        condition += ` AND #status IN (${placeholders.join(', ')})`;
      }
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new VersionConflictError(resource, id, { cause: error });
      throw error;
    }
  }

  /** Retries `write` while DynamoDB throttles it, with jittered backoff, then gives up. */
  async withThrottleRetry<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt, this.backoff));
      try {
        return await write();
      } catch (error) {
        if (!isThrottling(error)) throw error;
        if (attempt + 1 >= this.backoff.attempts) {
          throw new StoreUnavailableError(`DynamoDB kept throttling a write after ${attempt + 1} attempts`, {
            cause: error,
          });
        }
      }
    }
  }

  /**
   * The item under `key` as stored, key attributes included: a consistent read unless
   * `consistent` is false (half the read units, for items that are advice, not state).
   */
  async getItem(key: Item, consistent = true): Promise<Item | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }),
    );
    return item;
  }

  async getOne<T>(entity: Entity, id: string, consistent = true): Promise<T | undefined> {
    const item = await this.getItem(primaryKey(entity, id), consistent);
    return item ? fromItem<T>(item) : undefined;
  }

  async getMany<T>(entity: Entity, ids: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(ids)];
    await forEachConcurrent(chunk(unique, BATCH_GET_SIZE), BATCH_CONCURRENCY, async (batch) => {
      let keys: Item[] = batch.map((id) => primaryKey(entity, id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= this.backoff.attempts) {
          throw new StoreUnavailableError(`could not read ${keys.length} items after ${attempt} attempts`);
        }
        if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt, this.backoff));
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.name]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.name] ?? []) {
          const value = fromItem<T & { id: string }>(item);
          found.set(value.id, value);
        }
        keys = (result.UnprocessedKeys?.[this.name]?.Keys as Item[] | undefined) ?? [];
      }
    });
    return found;
  }

  /** Every item a Query on the table matches, across pages. */
  async queryAll<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.name,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of result.Items ?? []) items.push(fromItem<T>(item));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** One page of the entities of one type, in `byType` order. */
  listByType<T>(entity: Entity, page: PageRequest): Promise<Page<T>> {
    return this.queryPage<T>(
      {
        IndexName: LIST_INDEX.name,
        KeyConditionExpression: '#lpk = :type',
        ExpressionAttributeNames: { '#lpk': LIST_INDEX.partitionKey },
        ExpressionAttributeValues: { ':type': entity },
      },
      page,
      LIST_CURSOR_KEYS,
      `byType:${entity}`,
    );
  }

  /**
   * One page of at most `page.limit` items. A filter can leave DynamoDB pages short or empty, so
   * this keeps reading until the page is full or the index ends; the cursor is the key of the
   * last item returned, so nothing is skipped when a DynamoDB page is cut short.
   */
  async queryPage<T>(
    input: Omit<QueryCommandInput, 'TableName'>,
    page: PageRequest,
    cursorKeys: readonly string[],
    /** Which list this is: a cursor is only good for the list that handed it out. */
    scope: string,
  ): Promise<Page<T>> {
    const items: Item[] = [];
    let startKey = await this.cursors.decode(scope, page.cursor, cursorKeys);
    let more = true;
    while (items.length < page.limit && more) {
      const result = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.name,
          Limit: page.limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey as Record<string, string> | undefined;
      more = startKey !== undefined;
    }
    const last = items.at(-1);
    const nextCursor =
      more && last
        ? await this.cursors.encode(
            scope,
            Object.fromEntries(cursorKeys.map((name) => [name, String(last[name])])),
          )
        : undefined;
    return {
      items: items.map((item) => fromItem<T>(item)),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }
}
