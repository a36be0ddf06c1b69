import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { DUE_KINDS } from '../../shared/store/keys.ts';
import { makePost } from '../support/fixtures.ts';

let dynamo: LocalDynamo;
let store: DynamoStore;
const FAR = '2100-01-01T00:00:00.000Z';

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await ensureTable(dynamo.client, 'measuring');
  store = new DynamoStore({ tableName: 'measuring', client: createDocumentClient(dynamo.client) });
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

describe('DynamoStore measuring items, against dynalite', () => {
  it('puts a published post in the METRICS due index at its next checkpoint, and takes it out when done', async () => {
    const published = makePost({
      id: 'm-1',
      status: 'PUBLISHED',
      platformPostId: 'pp-1',
      publishedAt: '2026-12-01T09:00:00.000Z',
    });
    await store.createPosts([published]);
    const due = async () =>
      (await store.dueWork(DUE_KINDS.metrics, FAR, { limit: 10 })).items.map((p) => p.id);
    // Not planned yet: due at once, so the Collector plans it whatever published it.
    expect(await due()).toEqual(['m-1']);
    expect((await store.dueWork(DUE_KINDS.metrics, '2026-12-01T08:59:59.999Z', { limit: 10 })).items).toEqual(
      [],
    );

    await store.replacePost(
      {
        ...published,
        metricsStatus: 'collecting',
        nextMetricsAt: '2026-12-01T10:00:00.000Z',
        metricsCheckpoint: '1h',
        version: 2,
      },
      1,
    );
    expect((await store.dueWork(DUE_KINDS.metrics, '2026-12-01T09:59:59.999Z', { limit: 10 })).items).toEqual(
      [],
    );
    expect(
      (await store.dueWork(DUE_KINDS.metrics, '2026-12-01T10:00:00.000Z', { limit: 10 })).items.map(
        (p) => p.id,
      ),
    ).toEqual(['m-1']);

    await store.replacePost({ ...published, metricsStatus: 'deleted', version: 3 }, 2);
    expect(await due()).toEqual([]);
  });

  it('keeps claimed and UNKNOWN posts in the due index under their own kinds (lease expiry, reconciliation)', async () => {
    await store.createPosts([
      makePost({ id: 'l-1', status: 'QUEUED', leaseUntil: '2026-12-01T09:06:00.000Z' }),
      makePost({ id: 'r-1', status: 'UNKNOWN', reconcileAt: '2026-12-01T09:01:00.000Z' }),
    ]);
    expect((await store.dueWork(DUE_KINDS.lease, FAR, { limit: 10 })).items.map((p) => p.id)).toEqual([
      'l-1',
    ]);
    expect((await store.dueWork(DUE_KINDS.reconcile, FAR, { limit: 10 })).items.map((p) => p.id)).toEqual([
      'r-1',
    ]);
  });

  it("keeps a post's snapshots once per checkpoint, listed oldest first", async () => {
    const base = { postId: 'm-2', metrics: { likes: 1 }, raw: { nested: { ok: true } } };
    const first = {
      ...base,
      checkpoint: '2h',
      dueAt: '2026-12-01T11:00:00.000Z',
      collectedAt: '2026-12-01T11:01:00.000Z',
    };
    const earlier = {
      ...base,
      checkpoint: '1h',
      dueAt: '2026-12-01T10:00:00.000Z',
      collectedAt: '2026-12-01T10:00:00.000Z',
    };
    expect((await store.putSnapshot(first)).created).toBe(true);
    expect(
      await store.putSnapshot({ ...first, collectedAt: '2026-12-01T11:04:00.000Z', metrics: { likes: 9 } }),
    ).toEqual({
      created: false,
      snapshot: first,
    });
    await store.putSnapshot(earlier);

    expect(await store.listSnapshots('m-2')).toEqual([earlier, first]);
    expect(await store.listSnapshots('nobody')).toEqual([]);
  });

  it("stores a snapshot's platform payload compressed, in one write unit, and reads it back whole", async () => {
    // A Mastodon status with its account: about 1.5 KB of JSON, two write units uncompressed.
    const raw = {
      id: '2160459337036726273',
      url: 'http://127.0.0.1:41335/@pulsecast/2160459337036726273',
      account: Object.fromEntries(
        ['url', 'avatar', 'avatar_static', 'header', 'header_static'].map((field) => [
          field,
          `http://127.0.0.1:41335/${field}/original/missing.png`,
        ]),
      ),
      content: '<p>Generated post for the run</p>'.repeat(20),
    };
    const snapshot = {
      postId: 'm-3',
      checkpoint: '1h',
      dueAt: '2026-12-01T10:00:00.000Z',
      collectedAt: '2026-12-01T10:00:00.000Z',
      metrics: { likes: 3 },
      raw,
    };
    await store.putSnapshot(snapshot);

    const { Item } = await createDocumentClient(dynamo.client).send(
      new GetCommand({
        TableName: 'measuring',
        Key: { pk: 'POST#m-3', sk: 'SNAPSHOT#2026-12-01T10:00:00.000Z#1h' },
      }),
    );
    if (!Item) throw new Error('the snapshot item is missing');
    expect(Item.raw).toBeUndefined();
    expect(Item.rawGzip).toBeInstanceOf(Uint8Array);
    const itemBytes =
      JSON.stringify({ ...Item, rawGzip: undefined }).length + (Item.rawGzip as Uint8Array).length;
    expect(JSON.stringify(raw).length).toBeGreaterThan(1024);
    expect(itemBytes).toBeLessThan(1024);
    expect(await store.listSnapshots('m-3')).toEqual([snapshot]);
  });
});
