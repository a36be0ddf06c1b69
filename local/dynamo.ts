import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DUE_INDEX, LIST_INDEX, TABLE_KEYS } from '../shared/store/keys.ts';

export interface LocalDynamo {
  endpoint: string;
  /** dynalite's HTTP server (local/dynamo-in-process.ts calls its request listener directly). */
  server: Server;
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** Folder for the LevelDB files; in memory when absent. */
  path?: string;
  tableName?: string;
  port?: number;
}

/**
 * Starts dynalite (embedded DynamoDB, pure JS) on 127.0.0.1 and creates the single table with
 * the same keys and indexes as the CDK data construct (both read them from shared/store/keys.ts).
 */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  cacheTableDescriptions();
  const server = dynalite({
    createTableMs: 0,
    updateTableMs: 0,
    deleteTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    // dynalite does not check signatures; fixed local credentials keep the SDK from searching.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  const tableName = options.tableName ?? 'pulsecast';
  await ensureTable(client, tableName);
  return {
    endpoint,
    server,
    client,
    tableName,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const stringKey = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  const index = (spec: { name: string; partitionKey: string; sortKey: string }) => ({
    IndexName: spec.name,
    KeySchema: [
      { AttributeName: spec.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: spec.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          TABLE_KEYS.partitionKey,
          TABLE_KEYS.sortKey,
          LIST_INDEX.partitionKey,
          LIST_INDEX.sortKey,
          DUE_INDEX.partitionKey,
          DUE_INDEX.sortKey,
        ].map(stringKey),
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [index(LIST_INDEX), index(DUE_INDEX)],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`local table ${tableName} did not become ACTIVE`);
}

type Callback = (error: unknown, value?: unknown) => void;
interface TableDb {
  get(key: string, callback: Callback): void;
  put(key: string, value: unknown, callback?: Callback): void;
  del(key: string, callback?: Callback): void;
  batch(operations: unknown[], callback?: Callback): void;
}
let tableCacheInstalled = false;

/**
 * dynalite reads the table's description from LevelDB before every request (a trip to the disk
 * thread pool and a JSON decode, about a tenth of each call), though it changes only when a table
 * is created, updated or deleted. Every store dynalite creates from here on keeps the description
 * it last read, as JSON text, and forgets it whenever anything is written to its table list (a
 * read that overlapped such a write is not kept). Each read still gets a fresh object, on a later
 * turn of the event loop, as from LevelDB. dynalite is pinned (package.json); should a version
 * not have the parts this relies on (`dynalite/db`'s `create` returning a store with a `tableDb`),
 * nothing is changed and every read goes to LevelDB as before.
 */
function cacheTableDescriptions(): void {
  if (tableCacheInstalled) return;
  tableCacheInstalled = true;
  const db = createRequire(import.meta.url)('dynalite/db') as { create?: unknown };
  const create = db.create;
  if (typeof create !== 'function') return;
  db.create = (...args: unknown[]) => {
    const store = create(...args) as { tableDb?: Partial<TableDb> };
    const tableDb = store?.tableDb;
    if (tableDb?.get && tableDb.put && tableDb.del && tableDb.batch) cacheReads(tableDb as TableDb);
    return store;
  };
}

function cacheReads(tableDb: TableDb): void {
  const { get, put, del, batch } = tableDb;
  const cache = new Map<string, string>();
  let writes = 0;
  const written = () => {
    writes++;
    cache.clear();
  };
  const after =
    (callback?: Callback): Callback =>
    (error, value) => {
      written();
      callback?.(error, value);
    };
  tableDb.get = (key, callback) => {
    const hit = cache.get(key);
    if (hit !== undefined) {
      setImmediate(callback, null, JSON.parse(hit));
      return;
    }
    const before = writes;
    get.call(tableDb, key, (error, value) => {
      if (!error && value !== undefined && before === writes) cache.set(key, JSON.stringify(value));
      callback(error, value);
    });
  };
  tableDb.put = (key, value, callback) => {
    written();
    put.call(tableDb, key, value, after(callback));
  };
  tableDb.del = (key, callback) => {
    written();
    del.call(tableDb, key, after(callback));
  };
  tableDb.batch = (operations, callback) => {
    written();
    batch.call(tableDb, operations, after(callback));
  };
}
