import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { BadRequestError, VersionConflictError } from '../../shared/errors.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { makeChannel, makePost, makePosts, T0 } from '../support/fixtures.ts';

let dynamo: LocalDynamo;
let store: DynamoStore;
let tableCount = 0;

beforeEach(async () => {
  dynamo ??= await startLocalDynamo();
  // A fresh table per test keeps tests independent without restarting dynalite.
  const { ensureTable } = await import('../../local/dynamo.ts');
  const tableName = `store-${++tableCount}`;
  await ensureTable(dynamo.client, tableName);
  store = new DynamoStore({ tableName, client: createDocumentClient(dynamo.client) });
});

const tableNameOf = () => `store-${tableCount}`;

afterAll(async () => {
  await dynamo?.stop();
});

describe('DynamoStore against dynalite', () => {
  it('creates a channel once and replaces it only at the version it read', async () => {
    const channel = makeChannel();
    await store.putChannel(channel);
    await expect(store.putChannel(channel)).rejects.toBeInstanceOf(VersionConflictError);

    await store.putChannel({ ...channel, handle: '@new', version: 2 }, 1);
    await expect(store.putChannel({ ...channel, handle: '@stale', version: 2 }, 1)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect((await store.getChannel('x-main'))?.handle).toBe('@new');
  });

  it('writes 1,000 posts, each conditionally, and reads them back by id', async () => {
    const posts = makePosts(1000);
    await store.createPosts(posts);
    const found = await store.getPosts(posts.map((post) => post.id));
    expect(found.size).toBe(1000);
    expect(found.get('post-0500')).toEqual(posts[499]);
  });

  it('replaces a post only when version and status match', async () => {
    const post = makePost();
    await store.createPosts([post]);

    await store.replacePost({ ...post, text: 'edited', version: 2 }, 1, ['SCHEDULED']);
    await expect(
      store.replacePost({ ...post, text: 'lost update', version: 2 }, 1, ['SCHEDULED']),
    ).rejects.toBeInstanceOf(VersionConflictError);

    await store.replacePost({ ...post, text: 'edited', status: 'QUEUED', version: 3 }, 2, ['SCHEDULED']);
    await expect(
      store.replacePost({ ...post, text: 'too late', version: 4 }, 3, ['SCHEDULED']),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.getPost(post.id)).toMatchObject({ status: 'QUEUED', text: 'edited', version: 3 });
  });

  it('lets exactly one of many concurrent writers at the same version win', async () => {
    const post = makePost();
    await store.createPosts([post]);
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        store.replacePost({ ...post, status: 'QUEUED', claimedBy: `exec-${i}`, version: 2 }, 1, [
          'SCHEDULED',
        ]),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
  });

  it('pages through posts in scheduled order with a cursor, filtered by status and channel', async () => {
    const posts = makePosts(25).map((post, i) => ({
      ...post,
      channel: i % 2 === 0 ? 'x-main' : 'bsky',
      status: i % 5 === 0 ? ('CANCELLED' as const) : ('SCHEDULED' as const),
    }));
    await store.createPosts(posts);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listPosts(
        { channel: 'x-main', status: 'SCHEDULED' },
        { limit: 4, ...(cursor ? { cursor } : {}) },
      );
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((post) => post.id));
      cursor = page.nextCursor;
    } while (cursor);

    const expected = posts.filter((p) => p.channel === 'x-main' && p.status === 'SCHEDULED').map((p) => p.id);
    expect(seen).toEqual(expected);
  });

  it('limits the list to a time range, upper bound exclusive', async () => {
    await store.createPosts(makePosts(10));
    const page = await store.listPosts(
      { from: '2026-12-10T09:02:00.000Z', to: '2026-12-10T09:05:00.000Z' },
      { limit: 100 },
    );
    expect(page.items.map((post) => post.id)).toEqual(['post-0003', 'post-0004', 'post-0005']);
  });

  it('rejects a cursor it did not produce', async () => {
    await expect(store.listPosts({}, { limit: 10, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(store.listPosts({}, { limit: 10, cursor: '!!!' })).rejects.toBeInstanceOf(BadRequestError);
  });

  it("refuses a forged cursor (right field names, wrong values) and one list's cursor sent to another", async () => {
    await store.createPosts(makePosts(3));
    for (const id of ['a', 'b', 'c']) {
      await store.putCampaign({
        id,
        name: id,
        timezone: 'UTC',
        goals: [],
        createdAt: T0,
        updatedAt: T0,
        version: 1,
      });
    }
    const posts = await store.listPosts({}, { limit: 1 });
    const campaigns = await store.listCampaigns({ limit: 1 });
    expect(posts.nextCursor).toBeDefined();

    // The same key with another post's values, re-encoded: the signature no longer matches.
    const [payload, mac] = (posts.nextCursor as string).split('.') as [string, string];
    const key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, string>;
    const forged = Buffer.from(JSON.stringify({ ...key, gsi1pk: 'CAMPAIGN' })).toString('base64url');
    await expect(store.listPosts({}, { limit: 1, cursor: `${forged}.${mac}` })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    // A posts cursor is not a campaigns cursor, and the other way round.
    await expect(
      store.listCampaigns({ limit: 1, cursor: posts.nextCursor as string }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      store.listPosts({}, { limit: 1, cursor: campaigns.nextCursor as string }),
    ).rejects.toBeInstanceOf(BadRequestError);
    // A cursor stays good for its own list, also read by another instance (another Lambda).
    const other = new DynamoStore({ tableName: tableNameOf(), client: createDocumentClient(dynamo.client) });
    const next = await other.listPosts({}, { limit: 5, cursor: posts.nextCursor as string });
    expect(next.items.map((post) => post.id)).toEqual(['post-0002', 'post-0003']);
  });

  it('keeps only SCHEDULED posts in the due index, oldest first, up to the given instant', async () => {
    const posts = makePosts(5);
    await store.createPosts(posts);
    const [first] = posts;
    await store.replacePost({ ...first!, status: 'QUEUED', version: 2 }, 1);

    const due = await store.duePosts('2026-12-10T09:03:00.000Z', { limit: 10 });
    expect(due.items).toEqual([
      { postId: 'post-0002', dueAt: '2026-12-10T09:01:00.000Z' },
      { postId: 'post-0003', dueAt: '2026-12-10T09:02:00.000Z' },
      { postId: 'post-0004', dueAt: '2026-12-10T09:03:00.000Z' },
    ]);
  });

  it('pages the due index', async () => {
    await store.createPosts(makePosts(7));
    const first = await store.duePosts('2026-12-31T00:00:00.000Z', { limit: 5 });
    expect(first.items).toHaveLength(5);
    const second = await store.duePosts('2026-12-31T00:00:00.000Z', { limit: 5, cursor: first.nextCursor! });
    expect(second.items.map((entry) => entry.postId)).toEqual(['post-0006', 'post-0007']);
    expect(second.nextCursor).toBeUndefined();
  });
});
