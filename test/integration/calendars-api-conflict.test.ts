import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { makeChannel } from '../support/fixtures.ts';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

let dynamo: LocalDynamo;
let store: DynamoStore;
let calendars: Handler;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.TABLE_NAME = dynamo.tableName;
  calendars = (await import('../../functions/api/calendars.ts')).handler as unknown as Handler;
  store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
  await store.putChannel(makeChannel({ id: 'x-main', platform: 'x' }));
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await dynamo?.stop();
});

function uploadEvent(body: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/calendars',
    rawPath: '/v1/calendars',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    body: JSON.stringify(body),
  };
}

describe('POST /v1/calendars when a row loses a race', () => {
  it('answers 409 upload-conflict listing what was applied and where the conflicting post stands', async () => {
    const at = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    // The post 'taken' is published by someone else between this upload's plan and its write.
    vi.spyOn(DynamoStore.prototype, 'writePosts').mockImplementationOnce(async function (
      this: DynamoStore,
      writes,
    ) {
      const [taken, ...rest] = writes;
      const published = { ...taken!.post, status: 'PUBLISHED' as const, version: 4 };
      return [{ id: taken!.post.id, written: false, current: published }, ...(await this.writePosts(rest))];
    });

    const result = await calendars(
      uploadEvent({
        posts: [
          { id: 'taken', channel: 'x-main', scheduledAt: at, text: 'one' },
          { id: 'fine', channel: 'x-main', scheduledAt: at, text: 'two' },
        ],
      }),
      { awsRequestId: 'r' } as Context,
    );

    expect(result.statusCode).toBe(409);
    expect(result.headers?.['content-type']).toContain('application/problem+json');
    const body = JSON.parse(result.body ?? '{}');
    expect(body.type).toBe('urn:pulsecast:problem:upload-conflict');
    expect(body.detail).toMatch(/1 row\(s\) were not applied.*the other 1 row\(s\) were applied/);
    expect(body.summary).toEqual({ created: 1, updated: 0, unchanged: 0, conflict: 1 });
    expect(body.posts).toEqual([
      expect.objectContaining({
        id: 'taken',
        action: 'conflict',
        current: { status: 'PUBLISHED', version: 4 },
      }),
      expect.objectContaining({ id: 'fine', action: 'created', version: 1 }),
    ]);
    expect(await store.getPost('taken')).toBeUndefined();
    expect((await store.getPost('fine'))?.text).toBe('two');
  });
});
