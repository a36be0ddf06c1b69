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
