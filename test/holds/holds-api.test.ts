import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import type { LocalDynamo } from '../../local/dynamo.ts';
import type { Hold } from '../../shared/domain/hold.ts';
import { VersionConflictError } from '../../shared/errors.ts';
import { EventBridgePublisher } from '../../shared/eventbridge.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { type ApiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';
import { RecordingEvents } from '../support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read as loose JSON and checked by assertion
type Json = any;

/** `POST/GET/DELETE /v1/holds` against dynalite, through the real handler. */
const NOW = Date.parse('2026-12-01T09:00:00.000Z');
let dynamo: LocalDynamo;
let store: DynamoStore;
let handler: ApiHandler;
const events = new RecordingEvents();

beforeAll(async () => {
  const table = await startHandlerTable();
  dynamo = table.dynamo;
  store = table.store;
  installDeps({ now: () => new Date(NOW), events });
  handler = (await import('../../functions/api/holds.ts')).handler as unknown as ApiHandler;
  await store.putChannel(makeChannel({ id: 'x-main' }));
  await store.createPosts([makePost({ id: 'p1', campaign: 'only-on-posts' })]);
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

async function call(
  routeKey: string,
  init: { id?: string; body?: unknown; query?: Record<string, string> } = {},
) {
  const result = await callApi(handler, routeKey, {
    ...(init.id !== undefined ? { id: init.id } : {}),
    ...(init.query ? { query: init.query } : {}),
    ...(init.body !== undefined
      ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  return {
    status: result.statusCode ?? 0,
    type: String(result.headers?.['content-type'] ?? ''),
    body: JSON.parse(result.body ?? 'null') as Json,
  };
}

describe('POST /v1/holds', () => {
  it('starts a hold (201) that the next read sees, and announces Hold Started', async () => {
    const response = await call('POST /v1/holds', {
      body: { scope: 'all', reason: 'false claim spreading' },
    });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: expect.stringMatching(/^hold-20261201t0900-[0-9a-f]{6}$/),
      scope: 'all',
      reason: 'false claim spreading',
      createdAt: '2026-12-01T09:00:00.000Z',
      createdBy: 'api',
      announced: true,
      eventDelivered: true,
    });
    expect((await store.listHolds()).map((hold) => hold.id)).toContain(response.body.id);
    expect(events.events.at(-1)).toMatchObject({
      type: 'Hold Started',
      detail: { holdId: response.body.id, scope: 'all', eventId: `hold-started:${response.body.id}` },
    });
  });

  it('takes channels and campaigns, including a campaign only posts carry', async () => {
    const response = await call('POST /v1/holds', {
      body: { scope: { channels: ['x-main'], campaigns: ['only-on-posts'] }, reason: 'launch paused' },
    });
    expect(response.status).toBe(201);
    expect(response.body.scope).toEqual({ channels: ['x-main'], campaigns: ['only-on-posts'] });
  });

  it('names every unknown channel and campaign (422) and holds nothing', async () => {
    const before = (await store.listHolds()).length;
    const response = await call('POST /v1/holds', {
      body: { scope: { channels: ['x-main', 'nope'], campaigns: ['ghost'] }, reason: 'typo' },
    });
    expect(response.status).toBe(422);
    expect(response.type).toContain('application/problem+json');
    expect(response.body.errors).toEqual([
      { column: 'scope.channels', message: "unknown channel 'nope'" },
      { column: 'scope.campaigns', message: "unknown campaign 'ghost' (no campaign or post has it)" },
    ]);
    expect(await store.listHolds()).toHaveLength(before);
  });

  it.each([
    [{ scope: 'everything', reason: 'x' }, 'scope'],
    [{ scope: { channels: [], campaigns: [] }, reason: 'x' }, 'scope'],
    [{ scope: 'all' }, 'reason'],
    [{ scope: 'all', reason: '   ' }, 'reason'],
    [{ scope: { channels: ['x-main'], extra: 1 }, reason: 'x' }, 'scope'],
  ])('refuses %j with 422 naming %s', async (body, field) => {
    const response = await call('POST /v1/holds', { body });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((issue: { column: string }) => issue.column).join(' ')).toContain(field);
  });
});

describe('POST /v1/holds when the event bus fails, and repeats', () => {
  const client = new EventBridgeClient({ region: 'us-east-1' });
  const eventBridge = mockClient(client);
  const backoff = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };
  const body = { scope: { channels: ['x-main'], campaigns: [] }, reason: 'bus outage drill' };
  const holdsWith = async (reason: string) => (await store.listHolds()).filter((h) => h.reason === reason);

  beforeEach(() => installDeps({ events: new EventBridgePublisher('pulsecast-bus', client, backoff) }));
  afterEach(() => {
    eventBridge.reset();
    installDeps({ events });
  });

  it('answers 201 with eventDelivered false when PutEvents keeps failing; the hold is written and in force', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    const response = await call('POST /v1/holds', { body });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ announced: false, eventDelivered: false, version: 1 });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(backoff.attempts);
    const [stored] = await holdsWith(body.reason);
    expect(stored).toMatchObject({ id: response.body.id, announced: false });
    expect(stored?.releasedAt).toBeUndefined();
  });

  it('answers a retry of the same request with the same hold (200), announcing it now, and writes no second hold', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const [before] = await holdsWith(body.reason);

    // The same scope written another way is the same request.
    const retry = await call('POST /v1/holds', {
      body: { scope: { campaigns: [], channels: ['x-main', 'x-main'] }, reason: body.reason },
    });

    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ id: before?.id, announced: true, eventDelivered: true, version: 2 });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Entries?.[0]).toMatchObject({ DetailType: 'Hold Started' });
    expect(JSON.parse(calls[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toMatchObject({
      eventId: `hold-started:${before?.id}`,
    });
    expect(await holdsWith(body.reason)).toHaveLength(1);

    // Announced once: a third copy neither writes nor announces.
    const third = await call('POST /v1/holds', { body });
    expect(third).toMatchObject({ status: 200, body: { id: before?.id, eventDelivered: true } });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('a different reason, or the same request after a release, is a new hold', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const [first] = await holdsWith(body.reason);
    await call('DELETE /v1/holds/{id}', { id: first?.id ?? '' });

    const again = await call('POST /v1/holds', { body });
    const other = await call('POST /v1/holds', { body: { ...body, reason: 'another reason' } });

    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first?.id);
    expect(other.status).toBe(201);
    expect(await holdsWith(body.reason)).toHaveLength(2);
  });
});

describe('GET and DELETE /v1/holds', () => {
  it('releases a hold, idempotently; the list shows it released; an unknown id is a 404', async () => {
    const { body: created } = await call('POST /v1/holds', { body: { scope: 'all', reason: 'to release' } });

    const first = await call('DELETE /v1/holds/{id}', { id: created.id });
    const again = await call('DELETE /v1/holds/{id}', { id: created.id });

    expect(first.status).toBe(200);
    // Version 1 written, 2 once announced, 3 released.
    expect(first.body).toMatchObject({ id: created.id, releasedAt: '2026-12-01T09:00:00.000Z', version: 3 });
    expect(again).toMatchObject({ status: 200, body: first.body });
    const active = await call('GET /v1/holds', { query: { status: 'active' } });
    const released = await call('GET /v1/holds', { query: { status: 'released' } });
    expect(active.body.items.map((hold: Hold) => hold.id)).not.toContain(created.id);
    expect(released.body.items.map((hold: Hold) => hold.id)).toContain(created.id);
    expect((await call('DELETE /v1/holds/{id}', { id: 'hold-nope' })).status).toBe(404);
    expect((await call('DELETE /v1/holds/{id}', { id: '%zz' })).status).toBe(400);
    expect((await call('GET /v1/holds', { query: { status: 'maybe' } })).status).toBe(400);
  });
});

describe('the DynamoDB hold store', () => {
  it('creates a hold once and replaces it only at the version read', async () => {
    const hold: Hold = {
      id: 'auto-episode-1',
      scope: 'all',
      reason: 'spike',
      createdAt: '2026-12-01T09:00:00.000Z',
      createdBy: 'autoHold',
      version: 1,
    };
    expect(await store.createHold(hold)).toBe(true);
    expect(await store.createHold({ ...hold, reason: 'again' })).toBe(false);
    expect((await store.getHold(hold.id))?.reason).toBe('spike');
    await expect(store.replaceHold({ ...hold, version: 3 }, 2)).rejects.toBeInstanceOf(VersionConflictError);
    await store.replaceHold({ ...hold, releasedAt: '2026-12-01T10:00:00.000Z', version: 2 }, 1);
    expect(await store.getHold(hold.id)).toEqual({
      ...hold,
      releasedAt: '2026-12-01T10:00:00.000Z',
      version: 2,
    });
  });
});
