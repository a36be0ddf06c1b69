import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { type ApiHandler, apiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read as loose JSON and checked by assertion
type Json = any;

/**
 * The API handlers against dynalite, fed input that used to reach DynamoDB (or
 * `decodeURIComponent`) unchecked and come back as a 500: each must be the caller's 4xx,
 * naming what is wrong.
 */
const NOW = Date.parse('2026-12-01T09:00:00.000Z');
/** Over DynamoDB's 2048-byte partition key and 1024-byte sort key limits. */
const HUGE = 'a'.repeat(2100);
let dynamo: LocalDynamo;
const handlers: Record<'posts' | 'campaigns' | 'calendars', ApiHandler> = {} as never;

beforeAll(async () => {
  const table = await startHandlerTable();
  dynamo = table.dynamo;
  installDeps({ now: () => new Date(NOW) });
  for (const name of ['posts', 'campaigns', 'calendars'] as const) handlers[name] = await apiHandler(name);
  const store = table.store;
  await store.putChannel(makeChannel({ id: 'x-main', platform: 'x' }));
  await store.createPosts([makePost({ id: 'launch-1', scheduledAt: '2027-01-10T09:00:00.000Z' })]);
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

/** Sends what the local server (and API Gateway) would: path parameters still percent-encoded. */
async function call(
  group: keyof typeof handlers,
  routeKey: string,
  init: { id?: string; query?: Record<string, string>; body?: string; contentType?: string } = {},
): Promise<{ status: number; type: string; body: Json }> {
  const result = await callApi(handlers[group], routeKey, {
    ...init,
    headers: init.contentType ? { 'content-type': init.contentType } : {},
  });
  return {
    status: result.statusCode ?? 0,
    type: String(result.headers?.['content-type'] ?? ''),
    body: JSON.parse(result.body ?? 'null'),
  };
}

const ID_ROUTES = [
  ['posts', 'GET /v1/posts/{id}'],
  ['posts', 'PATCH /v1/posts/{id}'],
  ['posts', 'DELETE /v1/posts/{id}'],
  ['campaigns', 'GET /v1/campaigns/{id}'],
  ['campaigns', 'GET /v1/campaigns/{id}/report'],
] as const;
const patchBody = { body: '{"text":"Edited"}', contentType: 'application/json' };

describe('path ids', () => {
  describe.each(ID_ROUTES)('%s %s', (group, routeKey) => {
    it.each(['%E0%A4%A', '%', '%ZZ', 'abc%'])(
      'answers malformed percent-encoding %s with 400 naming id',
      async (id) => {
        const result = await call(group, routeKey, { id, ...patchBody });
        expect(result.status).toBe(400);
        expect(result.type).toContain('application/problem+json');
        expect(result.body.detail).toBe('path parameter id is not valid percent-encoding');
        expect(result.body.errors).toEqual([{ column: 'id', message: expect.stringContaining('hex') }]);
      },
    );

    it('answers an id over the key size limits with 400 naming id and its limit', async () => {
      const result = await call(group, routeKey, { id: HUGE, ...patchBody });
      expect(result.status).toBe(400);
      expect(result.body.detail).toBe('path parameter id is 2100 characters long; ids have at most 64');
    });

    it('answers an id no item can have (a space, a leading dot) with 400', async () => {
      for (const id of ['a%20b', '.hidden', '%F0%9F%8E%89']) {
        const result = await call(group, routeKey, { id, ...patchBody });
        expect(result.status).toBe(400);
        expect(result.body.errors[0].column).toBe('id');
      }
    });
  });

  it('still decodes a well-formed encoded id', async () => {
    const result = await call('posts', 'GET /v1/posts/{id}', { id: 'launch%2D1' });
    expect(result.status).toBe(200);
    expect(result.body.id).toBe('launch-1');
  });
});

describe('from and to', () => {
  it.each([
    ['posts', 'GET /v1/posts', {}],
    ['posts', 'GET /v1/posts', { sort: '-reach' }],
    ['calendars', 'GET /v1/calendar.ics', {}],
    ['calendars', 'GET /v1/calendar.csv', {}],
  ] as const)('%s %s %o: from later than to is a 400 saying so', async (group, routeKey, extra) => {
    const result = await call(group, routeKey, {
      query: { from: '2027-02-01', to: '2027-01-01T00:00:00Z', ...extra },
    });
    expect(result.status).toBe(400);
    expect(result.type).toContain('application/problem+json');
    expect(result.body.errors).toEqual([
      {
        column: 'from',
        message:
          '2027-02-01T00:00:00.000Z is later than to (2027-01-01T00:00:00.000Z); the window runs from the earlier instant to the later',
      },
    ]);
  });

  it('accepts from equal to to, an empty window', async () => {
    const result = await call('posts', 'GET /v1/posts', { query: { from: '2027-01-10', to: '2027-01-10' } });
    expect(result).toMatchObject({ status: 200, body: { items: [] } });
  });
});

describe('key parts over the DynamoDB limits', () => {
  it.each([
    ['posts', 'GET /v1/posts', 'channel'],
    ['posts', 'GET /v1/posts', 'campaign'],
    ['calendars', 'GET /v1/calendar.csv', 'channel'],
    ['calendars', 'POST /v1/calendars', 'channel'],
  ] as const)(
    '%s %s: a 2,100-character %s filter is a 400 naming it and its limit',
    async (group, routeKey, name) => {
      const result = await call(group, routeKey, {
        query: { [name]: HUGE },
        body: 'x',
        contentType: 'text/csv',
      });
      expect(result.status).toBe(400);
      expect(result.body.errors).toEqual([{ column: name, message: expect.stringContaining('64') }]);
    },
  );

  const csv = (cells: { id?: string; channel?: string; campaign?: string }) =>
    `id,channel,scheduled_at,text,campaign\n${cells.id ?? 'ok-1'},${cells.channel ?? 'x-main'},2027-01-05T10:00:00Z,Hello,${cells.campaign ?? ''}\n`;

  it.each([
    ['channel', csv({ channel: HUGE })],
    ['id', csv({ id: HUGE })],
    ['campaign', csv({ campaign: HUGE })],
  ])(
    'a CSV calendar with a 2,100-character %s cell is a 422 naming the column and its limit',
    async (column, body) => {
      const result = await call('calendars', 'POST /v1/calendars', { body, contentType: 'text/csv' });
      expect(result.status).toBe(422);
      expect(result.body.errors).toEqual([{ row: 2, column, message: expect.stringMatching(/valid|64/) }]);
    },
  );

  it('a JSON calendar with a 2,100-character channel is a 422 naming the field', async () => {
    const body = JSON.stringify({
      posts: [{ id: 'ok-2', channel: HUGE, scheduledAt: '2027-01-05T10:00:00Z', text: 'Hello' }],
    });
    const result = await call('calendars', 'POST /v1/calendars', { body, contentType: 'application/json' });
    expect(result.status).toBe(422);
    expect(result.body.errors).toEqual([
      { row: 1, column: 'channel', message: expect.stringContaining('up to 64') },
    ]);
  });

  it.each(['channel', 'campaign'])(
    'a PATCH whose %s is 2,100 characters is a 422 naming the field',
    async (field) => {
      const result = await call('posts', 'PATCH /v1/posts/{id}', {
        id: 'launch-1',
        body: JSON.stringify({ [field]: HUGE }),
        contentType: 'application/json',
      });
      expect(result.status).toBe(422);
      expect(result.body.errors).toEqual([{ column: field, message: expect.stringContaining('valid') }]);
    },
  );
});
