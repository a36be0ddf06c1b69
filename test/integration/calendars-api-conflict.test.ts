import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { DynamoStore } from '../../shared/store/dynamo.ts';
import { type ApiHandler, apiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';
import { makeChannel } from '../support/fixtures.ts';

let dynamo: LocalDynamo;
let store: DynamoStore;
let calendars: ApiHandler;

beforeAll(async () => {
  ({ dynamo, store } = await startHandlerTable());
  calendars = await apiHandler('calendars');
  await store.putChannel(makeChannel({ id: 'x-main', platform: 'x' }));
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await dynamo?.stop();
});

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

    const result = await callApi(calendars, 'POST /v1/calendars', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        posts: [
          { id: 'taken', channel: 'x-main', scheduledAt: at, text: 'one' },
          { id: 'fine', channel: 'x-main', scheduledAt: at, text: 'two' },
        ],
      }),
    });

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
