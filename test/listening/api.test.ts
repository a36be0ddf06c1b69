import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { createDocumentClient } from '../../shared/store/dynamo.ts';
import { DynamoListeningStore } from '../../shared/store/listening.ts';
import { DynamoTable } from '../../shared/store/table.ts';
import { type ApiHandler, apiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };
const SETTINGS = {
  brand: { name: 'Acme', terms: ['acmecloud'], handles: ['@acme.bsky.social'] },
  competitors: [{ id: 'globex', name: 'Globex', terms: ['globexhost'] }],
  platforms: ['bluesky', 'x'],
  autoHold: true,
};

const MENTION = {
  platform: 'bluesky' as const,
  id: 'at://did:plc:a/app.bsky.feed.post/1',
  url: 'https://bsky.app/profile/a/post/1',
  author: { handle: 'a.bsky.social' },
  createdAt: '2027-03-02T10:00:00.000Z',
  text: 'acmecloud is great',
  subjects: ['brand'],
  inbound: { channel: 'bsky-main', kind: 'mention' as const },
  sentiment: { score: 3, comparative: 1 },
  collectedAt: '2027-03-02T10:05:00.000Z',
};

describe('the listening API (against dynalite)', () => {
  let dynamo: LocalDynamo;
  let handler: ApiHandler;
  let listening: DynamoListeningStore;

  beforeAll(async () => {
    ({ dynamo } = await startHandlerTable());
    handler = await apiHandler('listening');
    listening = new DynamoListeningStore(
      new DynamoTable({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) }),
    );
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  const read = async (route: string, query: Record<string, string>) =>
    JSON.parse((await callApi(handler, route, { query })).body as string);

  it('answers 404 before any settings, stores them on PUT and returns them with what each platform cannot do', async () => {
    expect((await callApi(handler, 'GET /v1/listening')).statusCode).toBe(404);

    const put = await callApi(handler, 'PUT /v1/listening', {
      headers: JSON_HEADERS,
      body: JSON.stringify(SETTINGS),
    });
    expect(put.statusCode).toBe(200);
    const got = JSON.parse((await callApi(handler, 'GET /v1/listening')).body as string);
    expect(got).toMatchObject({
      version: 1,
      settings: { autoHold: true, competitors: [{ id: 'globex', handles: [] }] },
    });
    expect(got.capabilities.bluesky.search).toEqual({ supported: true });
    expect(got.capabilities.x.search.supported).toBe(true);
    expect(got.capabilities.x.search.note).toMatch(/paid API plan/);

    const again = await callApi(handler, 'PUT /v1/listening', {
      headers: JSON_HEADERS,
      body: JSON.stringify(SETTINGS),
    });
    expect(JSON.parse(again.body as string).version).toBe(2);
  });

  it('refuses bad settings with a 422 naming each field, and bad queries with a 400', async () => {
    const bad = await callApi(handler, 'PUT /v1/listening', {
      headers: JSON_HEADERS,
      body: JSON.stringify({
        brand: { name: 'Acme' },
        competitors: [{ id: 'brand', name: 'B', terms: ['b2'] }],
        platforms: [],
      }),
    });
    expect(bad.statusCode).toBe(422);
    const columns = JSON.parse(bad.body as string).errors.map((e: { column: string }) => e.column);
    expect(columns).toEqual(expect.arrayContaining(['platforms']));

    const query = await callApi(handler, 'GET /v1/listening/share-of-voice', {
      query: { from: '2027-03-08T00:00:00.000Z', to: '2027-03-01T00:00:00.000Z' },
    });
    expect(query.statusCode).toBe(400);
    const unknown = await callApi(handler, 'GET /v1/listening/responses', {
      query: { from: 'yesterday', to: '2027-03-01T00:00:00.000Z' },
    });
    expect(unknown.statusCode).toBe(400);
  });

  it('counts share of voice and responses from stored mentions, each stored once', async () => {
    const mention = MENTION;
    expect(await listening.putMention(mention)).toBe(true);
    expect(await listening.putMention({ ...mention, text: 'changed' })).toBe(false);
    await listening.putMention({
      ...mention,
      id: 'x2',
      subjects: ['globex'],
      inbound: undefined,
      createdAt: '2027-03-03T10:00:00.000Z',
    });
    await listening.putOwnReply({
      platform: 'bluesky',
      id: 'r1',
      channel: 'bsky-main',
      createdAt: '2027-03-02T10:30:00.000Z',
      replyTo: mention.id,
    });

    const voice = await read('GET /v1/listening/share-of-voice', {
      from: '2027-03-01T00:00:00.000Z',
      to: '2027-03-08T00:00:00.000Z',
      interval: 'week',
    });
    expect(voice).toMatchObject({
      total: 2,
      counts: { brand: 1, globex: 1 },
      shares: { brand: 0.5, globex: 0.5 },
    });

    const answered = await read('GET /v1/listening/responses', {
      from: '2027-03-01T00:00:00.000Z',
      to: '2027-03-08T00:00:00.000Z',
      channel: 'bsky-main',
    });
    expect(answered).toMatchObject({ inbound: 1, answered: 1, rate: 1, medianMinutes: 30, p90Minutes: 30 });
  });

  it('marks a stored mention inbound once it turns out to be addressed to us, and only once', async () => {
    const { inbound: _none, ...found } = {
      ...MENTION,
      platform: 'mastodon' as const,
      id: '111',
      createdAt: '2027-04-02T10:00:00.000Z',
    };
    await listening.putMention(found);
    const inbound = { channel: 'mastodon-main', kind: 'reply' as const };

    expect(await listening.markInbound({ ...found, inbound, threadRoot: '100' })).toBe(true);
    expect(await listening.markInbound({ ...found, inbound: { ...inbound, channel: 'other' } })).toBe(false);
    expect(await listening.markInbound({ ...found, id: 'never-stored', inbound })).toBe(false);

    const [stored] = await listening.mentionsBetween('2027-04-02T00:00:00.000Z', '2027-04-03T00:00:00.000Z');
    expect(stored).toEqual({ ...found, inbound, threadRoot: '100' });
    const answered = await read('GET /v1/listening/responses', {
      from: '2027-04-01T00:00:00.000Z',
      to: '2027-04-08T00:00:00.000Z',
      channel: 'mastodon-main',
    });
    expect(answered).toMatchObject({ inbound: 1, answered: 0 });
  });
});
