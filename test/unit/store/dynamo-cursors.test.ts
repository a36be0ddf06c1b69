import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../../shared/store/dynamo.ts';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(documentClient);

afterEach(() => {
  ddb.reset();
});

/** One `byType` page of one item, with more after it. */
function pageOf(type: string, id: string) {
  const key = { pk: `${type}#${id}`, sk: type, gsi1pk: type, gsi1sk: id };
  return { Items: [{ ...key, id }], LastEvaluatedKey: key };
}

describe('DynamoStore cursors', () => {
  it('reads the cursor key once for every list of every aggregate, and scopes each cursor to its list', async () => {
    ddb.on(GetCommand).resolves({ Item: { secret: Buffer.alloc(32, 7).toString('base64') } });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':type': 'CHANNEL' } })
      .resolves(pageOf('CHANNEL', 'x-main'))
      .on(QueryCommand, { ExpressionAttributeValues: { ':type': 'CAMPAIGN' } })
      .resolves(pageOf('CAMPAIGN', 'q2'));
    const store = new DynamoStore({ tableName: 'table', client: documentClient });

    const channels = await store.listChannels({ limit: 1 });
    const campaigns = await store.listCampaigns({ limit: 1 });

    expect(channels.nextCursor).toBeDefined();
    expect(campaigns.nextCursor).toBeDefined();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    await expect(store.listCampaigns({ limit: 1, cursor: channels.nextCursor })).rejects.toMatchObject({
      name: 'BadRequestError',
    });
    await expect(store.listChannels({ limit: 1, cursor: channels.nextCursor })).resolves.toBeDefined();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });
});
