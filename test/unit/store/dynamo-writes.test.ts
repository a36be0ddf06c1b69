import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../shared/errors.ts';
import { DynamoStore } from '../../../shared/store/dynamo.ts';
import { makePost } from '../../support/fixtures.ts';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(documentClient);
const sleeps: number[] = [];
const store = new DynamoStore({
  tableName: 'table',
  client: documentClient,
  backoff: { attempts: 4, baseDelayMs: 10, maxDelayMs: 100, sleep: async (ms) => void sleeps.push(ms) },
});

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
  });

afterEach(() => {
  ddb.reset();
  sleeps.length = 0;
});

describe('DynamoStore.writePosts', () => {
  it('writes every post with its own condition: absence for a create, version and status for an update', async () => {
    ddb.on(PutCommand).resolves({});
    const created = makePost({ id: 'new' });
    const updated = makePost({ id: 'old', version: 3 });

    const outcomes = await store.writePosts([
      { post: created },
      { post: updated, expectedVersion: 2, allowedStatuses: ['SCHEDULED'] },
    ]);

    expect(outcomes).toEqual([
      { id: 'new', written: true },
      { id: 'old', written: true },
    ]);
    const inputs = ddb.commandCalls(PutCommand).map((call) => call.args[0].input);
    const byId = new Map(inputs.map((input) => [input.Item?.id, input]));
    expect(byId.get('new')?.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(byId.get('old')?.ConditionExpression).toBe('#version = :version AND #status IN (:status0)');
    expect(byId.get('old')?.ExpressionAttributeValues).toEqual({ ':version': 2, ':status0': 'SCHEDULED' });
  });

  it('reports a write that lost its condition with the post as it is now, and writes nothing over it', async () => {
    const mine = makePost({ id: 'p', text: 'mine' });
    const theirs = { ...mine, status: 'PUBLISHED' as const, version: 4, text: 'theirs' };
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(BatchGetCommand).resolves({ Responses: { table: [{ pk: 'POST#p', sk: 'POST', ...theirs }] } });

    const outcomes = await store.writePosts([{ post: mine }]);

    expect(outcomes).toEqual([{ id: 'p', written: false, current: theirs }]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('retries a throttled write with backoff until DynamoDB takes it', async () => {
    ddb.on(PutCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});

    const outcomes = await store.writePosts([{ post: makePost({ id: 'p' }) }]);

    expect(outcomes).toEqual([{ id: 'p', written: true }]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('gives up with a StoreUnavailableError when DynamoDB keeps throttling', async () => {
    ddb.on(PutCommand).rejects(throttled());
    await expect(store.writePosts([{ post: makePost({ id: 'p' }) }])).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(ddb.commandCalls(PutCommand)).toHaveLength(4);
  });

  it('lets any other error through unchanged', async () => {
    ddb.on(PutCommand).rejects(new Error('AccessDeniedException'));
    await expect(store.writePosts([{ post: makePost({ id: 'p' }) }])).rejects.toThrow(
      'AccessDeniedException',
    );
  });
});
