import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/commons/config.ts';
import { webhookSecretFrom } from '../../functions/commons/runtime.ts';
import { SecretsManagerWebhookSecret, StaticWebhookSecret } from '../../shared/measuring/webhook-secret.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import type { Conversion, MetricSnapshot } from '../../shared/store/measurements.ts';

const secretsClient = new SecretsManagerClient({ region: 'us-east-1' });
const secrets = mockClient(secretsClient);
const documents = createDocumentClient(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  secrets.reset();
  dynamo.reset();
});

/** The secret source of a function with this environment. */
const webhookSecretFromEnv = (env: NodeJS.ProcessEnv) => webhookSecretFrom(parseConfig(env));

const WEBHOOK_SECRET = 'whsec-0123456789abcdef0123';

describe('the conversion webhook secret', () => {
  it('is read from Secrets Manager once and served from cache within the TTL', async () => {
    let now = 0;
    const source = new SecretsManagerWebhookSecret('arn:secret:webhook', secretsClient, 60_000, () => now);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: WEBHOOK_SECRET });

    expect(await source.get()).toBe(WEBHOOK_SECRET);
    now = 59_000;
    await source.get();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now = 61_000;
    await source.get();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:secret:webhook',
    });
  });

  it('refuses a secret without a string, without quoting anything', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(new SecretsManagerWebhookSecret('arn:secret:webhook', secretsClient).get()).rejects.toThrow(
      'the conversion webhook secret arn:secret:webhook holds no string',
    );
  });

  it('comes from the environment in local mode, from the secrets file, or from the secret the stack names', async () => {
    expect(webhookSecretFromEnv({ PULSECAST_CONVERSIONS_SECRET: WEBHOOK_SECRET })).toBeInstanceOf(
      StaticWebhookSecret,
    );
    expect(webhookSecretFromEnv({ CONVERSIONS_SECRET_ID: 'arn:secret:webhook' })).toBeInstanceOf(
      SecretsManagerWebhookSecret,
    );
    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-'));
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ 'pulsecast/conversions-webhook': { secret: WEBHOOK_SECRET } }));
    // The file wins over a secret name copied from the synthesized template.
    expect(
      await webhookSecretFromEnv({ PULSECAST_SECRETS_FILE: file, CONVERSIONS_SECRET_ID: 'x' }).get(),
    ).toBe(WEBHOOK_SECRET);
  });

  it('is refused when too short or missing, naming the variables and never the value', () => {
    expect(() => webhookSecretFromEnv({ PULSECAST_CONVERSIONS_SECRET: 'short' })).toThrow(
      'PULSECAST_CONVERSIONS_SECRET must be at least 16 characters',
    );
    expect(() => webhookSecretFromEnv({})).toThrow(/CONVERSIONS_SECRET_ID.*PULSECAST_CONVERSIONS_SECRET/);
  });
});

const snapshot: MetricSnapshot = {
  postId: 'p-1',
  checkpoint: '1h',
  dueAt: '2026-12-01T10:00:00.000Z',
  collectedAt: '2026-12-01T10:03:00.000Z',
  metrics: { likes: 3 },
  raw: { id: '1' },
};
const conversion: Conversion = {
  eventId: 'evt-1',
  occurredAt: '2026-12-01T11:00:00.000Z',
  receivedAt: '2026-12-01T11:00:02.000Z',
  value: 10,
  currency: 'EUR',
  utm: { content: 'p-1' },
  postId: 'p-1',
  channel: 'x-main',
};
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });

describe('DynamoStore: snapshots and conversions', () => {
  const store = new DynamoStore({ tableName: 'pulsecast', client: documents });

  it('writes a snapshot under its post, keyed by checkpoint (not by collection time), only if absent', async () => {
    dynamo.on(PutCommand).resolves({});

    expect(await store.putSnapshot(snapshot)).toEqual({ created: true, snapshot });

    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: 'POST#p-1', sk: 'SNAPSHOT#2026-12-01T10:00:00.000Z#1h', checkpoint: '1h' },
      ConditionExpression: 'attribute_not_exists(#pk)',
    });
  });

  it('hands back the stored snapshot when one exists for that checkpoint (a retried step)', async () => {
    const stored = { ...snapshot, collectedAt: '2026-12-01T10:01:00.000Z' };
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { pk: 'POST#p-1', sk: 'SNAPSHOT#…', ...stored } });

    expect(await store.putSnapshot(snapshot)).toEqual({ created: false, snapshot: stored });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
  });

  it("records a conversion once by its event id, then its copy in the post's item collection", async () => {
    dynamo.on(PutCommand).resolves({});

    expect(await store.recordConversion(conversion)).toEqual({ created: true, conversion });

    const [original, copy] = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(original).toMatchObject({
      Item: { pk: 'CONVERSION#evt-1', sk: 'CONVERSION', gsi1pk: 'CONVERSION' },
      ConditionExpression: 'attribute_not_exists(#pk)',
    });
    expect(copy).toMatchObject({ Item: { pk: 'POST#p-1', sk: 'CONVERSION#2026-12-01T11:00:00.000Z#evt-1' } });
    expect(copy?.ConditionExpression).toBeUndefined();
  });

  it('on a re-sent event keeps the first version and rewrites its copy from it (healing a lost copy)', async () => {
    const first = { ...conversion, value: 12 };
    dynamo.on(PutCommand, { ConditionExpression: 'attribute_not_exists(#pk)' }).rejects(conditionFailed());
    dynamo.on(PutCommand, { Item: { pk: 'POST#p-1' } }).resolves({});
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'CONVERSION#evt-1', sk: 'CONVERSION', gsi1pk: 'x', ...first } });

    expect(await store.recordConversion(conversion)).toEqual({ created: false, conversion: first });
    const copy = dynamo.commandCalls(PutCommand).at(-1)?.args[0].input;
    expect(copy?.Item).toMatchObject({ pk: 'POST#p-1', value: 12 });
  });

  it('lists unattributed conversions from their own item collection', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await store.listConversions(null, { limit: 10 });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':pk': 'CONVERSIONS#UNATTRIBUTED',
      ':prefix': 'CONVERSION#',
    });
  });
});

describe('DynamoStore: the rate ledger', () => {
  const store = new DynamoStore({ tableName: 'pulsecast', client: documents });

  it('reads the ledger eventually consistently (it is advice, not state), and a post consistently', async () => {
    dynamo.on(GetCommand).resolves({});
    await store.getRateLedger('x-main');
    await store.getPost('p-1');

    const [ledger, post] = dynamo.commandCalls(GetCommand).map((call) => call.args[0].input);
    expect(ledger).toMatchObject({ Key: { pk: 'LEDGER#x-main', sk: 'LEDGER' }, ConsistentRead: false });
    expect(post).toMatchObject({ Key: { pk: 'POST#p-1', sk: 'POST' }, ConsistentRead: true });
  });
});
