import {
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/commons/runtime.ts';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { InProcessDynaliteHandler } from '../../local/dynamo-in-process.ts';

let dynamo: LocalDynamo;
let overHttp: DynamoDBClient;
let inProcess: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  overHttp = dynamoClient({ endpoint: dynamo.endpoint, unsigned: true });
  inProcess = dynamoClient({
    endpoint: dynamo.endpoint,
    unsigned: true,
    requestHandler: new InProcessDynaliteHandler(dynamo.server),
  });
});

afterAll(async () => {
  overHttp?.destroy();
  inProcess?.destroy();
  await dynamo?.stop();
});

/** What a call answered, in a form two clients can be compared by. */
async function outcome(client: DynamoDBClient, command: GetItemCommand | PutItemCommand) {
  try {
    const { $metadata, ...output } = (await client.send(command as GetItemCommand)) as {
      $metadata: { httpStatusCode?: number };
    };
    return { ok: true, status: $metadata.httpStatusCode, output };
  } catch (error) {
    const { name, message, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { ok: false, status: $metadata?.httpStatusCode, name, message };
  }
}

describe('InProcessDynaliteHandler', () => {
  const key = { pk: { S: 'POST#1' }, sk: { S: 'POST' } };

  it('answers what dynalite answers over HTTP: items, conditional failures and validation errors', async () => {
    await ensureTable(dynamo.client, 'in-process');
    await inProcess.send(
      new PutItemCommand({ TableName: 'in-process', Item: { ...key, text: { S: 'héllo' } } }),
    );

    const calls = [
      new GetItemCommand({ TableName: 'in-process', Key: key }),
      new GetItemCommand({ TableName: 'in-process', Key: { pk: { S: 'POST#2' }, sk: { S: 'POST' } } }),
      new PutItemCommand({
        TableName: 'in-process',
        Item: { ...key, text: { S: 'again' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      new GetItemCommand({ TableName: 'in-process', Key: { pk: { S: 'POST#1' } } }),
      new GetItemCommand({ TableName: 'no-such-table', Key: key }),
    ];
    const answers = [];
    for (const command of calls) {
      const viaHttp = await outcome(overHttp, command);
      const viaProcess = await outcome(inProcess, command);
      expect(viaProcess).toEqual(viaHttp);
      answers.push(viaProcess);
    }
    expect(answers.map((answer) => answer.ok)).toEqual([true, true, false, false, false]);
    expect(answers[0]).toMatchObject({ output: { Item: { text: { S: 'héllo' } } } });
    expect(answers[2]).toMatchObject({ name: 'ConditionalCheckFailedException', status: 400 });
    expect(answers[3]).toMatchObject({ name: 'ValidationException' });
    expect(answers[4]).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('sees a table deleted after its description was read (the cached description is dropped)', async () => {
    await ensureTable(dynamo.client, 'short-lived');
    await inProcess.send(new PutItemCommand({ TableName: 'short-lived', Item: key }));
    expect((await outcome(inProcess, new GetItemCommand({ TableName: 'short-lived', Key: key }))).ok).toBe(
      true,
    );

    await inProcess.send(new DeleteTableCommand({ TableName: 'short-lived' }));
    await expect
      .poll(
        async () =>
          (await outcome(inProcess, new GetItemCommand({ TableName: 'short-lived', Key: key }))).name,
      )
      .toBe('ResourceNotFoundException');

    await ensureTable(dynamo.client, 'short-lived');
    expect(await outcome(inProcess, new GetItemCommand({ TableName: 'short-lived', Key: key }))).toEqual({
      ok: true,
      status: 200,
      output: {},
    });
  });
});
