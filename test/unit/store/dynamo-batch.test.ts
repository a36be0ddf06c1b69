import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../shared/errors.ts';
import { DynamoStore } from '../../../shared/store/dynamo.ts';
import { makePosts } from '../../support/fixtures.ts';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(documentClient);
const sleeps: number[] = [];
const store = new DynamoStore({
  tableName: 'table',
  client: documentClient,
  backoff: { attempts: 4, baseDelayMs: 10, maxDelayMs: 100, sleep: async (ms) => void sleeps.push(ms) },
});

afterEach(() => {
  ddb.reset();
  sleeps.length = 0;
});

describe('DynamoStore.createPosts', () => {
  it('splits posts into batches of 25', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    await store.createPosts(makePosts(60));
    const sizes = ddb
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.table?.length);
    expect(sizes.sort()).toEqual([10, 25, 25]);
  });

  it('retries unprocessed items with backoff until DynamoDB takes them', async () => {
    const posts = makePosts(3);
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { table: [{ PutRequest: { Item: { id: 'post-0002' } } }] } })
      .resolvesOnce({ UnprocessedItems: { table: [{ PutRequest: { Item: { id: 'post-0002' } } }] } })
      .resolves({});

    await store.createPosts(posts);

    const calls = ddb.commandCalls(BatchWriteCommand);
    expect(calls).toHaveLength(3);
    expect(calls[1]?.args[0].input.RequestItems?.table).toEqual([
      { PutRequest: { Item: { id: 'post-0002' } } },
    ]);
    expect(sleeps).toHaveLength(2);
  });

  it('gives up with a StoreUnavailableError when items stay unprocessed', async () => {
    ddb
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { table: [{ PutRequest: { Item: { id: 'x' } } }] } });
    await expect(store.createPosts(makePosts(1))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(4);
  });
});
