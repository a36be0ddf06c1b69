import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Campaign, Channel, Page, Post, PostStatus, Upload } from '../domain/index.ts';
import { StoreUnavailableError, VersionConflictError } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { DUE_INDEX, DUE_KINDS, type DueKind, LIST_INDEX, TABLE_KEYS } from './keys.ts';
import type { DueEntry, PageRequest, PostFilter, RateLedger, Store } from './port.ts';
import { type BackoffOptions, backoffDelay, chunk, defaultBackoff, forEachConcurrent } from './retry.ts';

type Item = Record<string, unknown>;
type Entity = 'CHANNEL' | 'POST' | 'UPLOAD' | 'CAMPAIGN' | 'LEDGER';

const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;
const KEY_ATTRIBUTES = [
  PK,
  SK,
  LIST_INDEX.partitionKey,
  LIST_INDEX.sortKey,
  DUE_INDEX.partitionKey,
  DUE_INDEX.sortKey,
];
const LIST_CURSOR_KEYS = [PK, SK, LIST_INDEX.partitionKey, LIST_INDEX.sortKey];
const DUE_CURSOR_KEYS = [PK, SK, DUE_INDEX.partitionKey, DUE_INDEX.sortKey];
/** BatchWriteItem takes at most 25 requests, BatchGetItem 100 keys. */
const BATCH_WRITE_SIZE = 25;
const BATCH_GET_SIZE = 100;
const BATCH_CONCURRENCY = 8;

export interface DynamoStoreOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  backoff?: BackoffOptions;
}

export function createDocumentClient(
  client: DynamoDBClient = new DynamoDBClient({}),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function primaryKey(entity: Entity, id: string): Item {
  return { [PK]: `${entity}#${id}`, [SK]: entity };
}

/** Where a post sits in the due index, derived from its state so the two cannot disagree. */
function dueKeys(post: Post): Item {
  if (post.status !== 'SCHEDULED') return {};
  return {
    [DUE_INDEX.partitionKey]: DUE_KINDS.publish,
    [DUE_INDEX.sortKey]: `${post.scheduledAt}#${post.id}`,
  };
}

function postItem(post: Post): Item {
  return {
    ...primaryKey('POST', post.id),
    [LIST_INDEX.partitionKey]: 'POST',
    [LIST_INDEX.sortKey]: `${post.scheduledAt}#${post.id}`,
    ...dueKeys(post),
    ...post,
  };
}

function channelItem(channel: Channel): Item {
  return {
    ...primaryKey('CHANNEL', channel.id),
    [LIST_INDEX.partitionKey]: 'CHANNEL',
    [LIST_INDEX.sortKey]: channel.id,
    ...channel,
  };
}

function campaignItem(campaign: Campaign): Item {
  return {
    ...primaryKey('CAMPAIGN', campaign.id),
    [LIST_INDEX.partitionKey]: 'CAMPAIGN',
    [LIST_INDEX.sortKey]: campaign.id,
    ...campaign,
  };
}

function uploadItem(upload: Upload): Item {
  return {
    ...primaryKey('UPLOAD', upload.id),
    [LIST_INDEX.partitionKey]: 'UPLOAD',
    [LIST_INDEX.sortKey]: `${upload.createdAt}#${upload.id}`,
    ...upload,
  };
}

/** Items hold what the domain wrote plus key attributes; strip those on the way out. */
function fromItem<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const name of KEY_ATTRIBUTES) delete copy[name];
  return copy as T;
}

/** The single-table DynamoDB adapter of the Store port. */
export class DynamoStore implements Store {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly backoff: BackoffOptions;

  constructor(options: DynamoStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? createDocumentClient();
    this.backoff = options.backoff ?? defaultBackoff;
  }

  // --- channels -------------------------------------------------------------------------------

  getChannel(id: string): Promise<Channel | undefined> {
    return this.getOne<Channel>('CHANNEL', id);
  }

  getChannels(ids: readonly string[]): Promise<Map<string, Channel>> {
    return this.getMany<Channel>('CHANNEL', ids);
  }

  listChannels(page: PageRequest): Promise<Page<Channel>> {
    return this.listByType<Channel>('CHANNEL', page);
  }

  putChannel(channel: Channel, expectedVersion?: number): Promise<void> {
    return this.putVersioned(channelItem(channel), 'channel', channel.id, expectedVersion);
  }

  // --- campaigns ------------------------------------------------------------------------------

  getCampaign(id: string): Promise<Campaign | undefined> {
    return this.getOne<Campaign>('CAMPAIGN', id);
  }

  listCampaigns(page: PageRequest): Promise<Page<Campaign>> {
    return this.listByType<Campaign>('CAMPAIGN', page);
  }

  putCampaign(campaign: Campaign, expectedVersion?: number): Promise<void> {
    return this.putVersioned(campaignItem(campaign), 'campaign', campaign.id, expectedVersion);
  }

  // --- rate-limit ledger -----------------------------------------------------------------------

  getRateLedger(channel: string): Promise<RateLedger | undefined> {
    return this.getOne<RateLedger>('LEDGER', channel);
  }

  /** Last writer wins: the ledger is advice refreshed by every platform answer, not a lock. */
  async putRateLedger(ledger: RateLedger): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...primaryKey('LEDGER', ledger.channel), ...ledger },
      }),
    );
  }

  // --- uploads --------------------------------------------------------------------------------

  async putUpload(upload: Upload): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: uploadItem(upload) }));
  }

  getUpload(id: string): Promise<Upload | undefined> {
    return this.getOne<Upload>('UPLOAD', id);
  }

  // --- posts ----------------------------------------------------------------------------------

  getPost(id: string): Promise<Post | undefined> {
    return this.getOne<Post>('POST', id);
  }

  getPosts(ids: readonly string[]): Promise<Map<string, Post>> {
    return this.getMany<Post>('POST', ids);
  }

  /**
   * Batch-writes new posts. BatchWriteItem has no conditions, so this is only for posts the
   * caller found absent; a concurrent identical upload writes the same content (idempotent).
   * Unprocessed items are retried with jittered backoff until the attempts run out.
   */
  async createPosts(posts: readonly Post[]): Promise<void> {
    const batches = chunk(posts.map(postItem), BATCH_WRITE_SIZE);
    await forEachConcurrent(batches, BATCH_CONCURRENCY, (batch) => this.writeBatch(batch));
  }

  replacePost(post: Post, expectedVersion: number, allowedStatuses?: readonly PostStatus[]): Promise<void> {
    return this.putVersioned(postItem(post), 'post', post.id, expectedVersion, allowedStatuses);
  }

  async listPosts(filter: PostFilter, page: PageRequest): Promise<Page<Post>> {
    const names: Record<string, string> = { '#lpk': LIST_INDEX.partitionKey };
    const values: Record<string, unknown> = { ':type': 'POST' };
    let keyCondition = '#lpk = :type';
    if (filter.from || filter.to) names['#lsk'] = LIST_INDEX.sortKey;
    // Sort keys are `<scheduledAt>#<id>`: `#` sorts below every digit, so `to` is exclusive.
    if (filter.from && filter.to) {
      keyCondition += ' AND #lsk BETWEEN :from AND :to';
      values[':from'] = filter.from;
      values[':to'] = filter.to;
    } else if (filter.from) {
      keyCondition += ' AND #lsk >= :from';
      values[':from'] = filter.from;
    } else if (filter.to) {
      keyCondition += ' AND #lsk < :to';
      values[':to'] = filter.to;
    }
    const filters: string[] = [];
    for (const field of ['status', 'channel', 'campaign'] as const) {
      const value = filter[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      filters.push(`#${field} = :${field}`);
    }
    return this.queryPage<Post>(
      {
        IndexName: LIST_INDEX.name,
        KeyConditionExpression: keyCondition,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      page,
      LIST_CURSOR_KEYS,
    );
  }

  async postsScheduledBetween(from: string, to: string): Promise<Post[]> {
    const posts: Post[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listPosts({ from, to }, { limit: 1000, ...(cursor ? { cursor } : {}) });
      posts.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return posts;
  }

  async duePosts(until: string, page: PageRequest): Promise<Page<DueEntry>> {
    const result = await this.dueWork(DUE_KINDS.publish, until, page);
    return {
      items: result.items.map((post) => ({ postId: post.id, dueAt: post.scheduledAt })),
      ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}),
    };
  }

  /**
   * Posts with work of `kind` due at or before `until`, oldest first. The index copy is
   * eventually consistent: callers act on it only through conditional writes.
   */
  dueWork(kind: DueKind, until: string, page: PageRequest): Promise<Page<Post>> {
    return this.queryPage<Post>(
      {
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: '#dpk = :kind AND #dsk <= :until',
        ExpressionAttributeNames: { '#dpk': DUE_INDEX.partitionKey, '#dsk': DUE_INDEX.sortKey },
        // `~` sorts above `#`, so every post due exactly at `until` is included.
        ExpressionAttributeValues: { ':kind': kind, ':until': `${until}~` },
      },
      page,
      DUE_CURSOR_KEYS,
    );
  }

  // --- building blocks ------------------------------------------------------------------------

  private async getOne<T>(entity: Entity, id: string): Promise<T | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: primaryKey(entity, id), ConsistentRead: true }),
    );
    return item ? fromItem<T>(item) : undefined;
  }

  private async getMany<T>(entity: Entity, ids: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(ids)];
    await forEachConcurrent(chunk(unique, BATCH_GET_SIZE), BATCH_CONCURRENCY, async (batch) => {
      let keys: Item[] = batch.map((id) => primaryKey(entity, id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= this.backoff.attempts) {
          throw new StoreUnavailableError(`could not read ${keys.length} items after ${attempt} attempts`);
        }
        if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt, this.backoff));
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const value = fromItem<T & { id: string }>(item);
          found.set(value.id, value);
        }
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
      }
    });
    return found;
  }

  private async writeBatch(items: Item[]): Promise<void> {
    let pending = items.map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= this.backoff.attempts) {
        throw new StoreUnavailableError(
          `DynamoDB left ${pending.length} writes unprocessed after ${attempt} attempts`,
        );
      }
      if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt, this.backoff));
      const result = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
      );
      pending = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
    }
  }

  /**
   * Put guarded by the version read: `expectedVersion` undefined means "must not exist yet".
   * This is the optimistic lock every status transition goes through.
   */
  private async putVersioned(
    item: Item,
    resource: string,
    id: string,
    expectedVersion: number | undefined,
    allowedStatuses?: readonly PostStatus[],
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let condition: string;
    if (expectedVersion === undefined) {
      names['#pk'] = PK;
      condition = 'attribute_not_exists(#pk)';
    } else {
      names['#version'] = 'version';
      values[':version'] = expectedVersion;
      condition = '#version = :version';
      if (allowedStatuses && allowedStatuses.length > 0) {
        names['#status'] = 'status';
        const placeholders = allowedStatuses.map((status, i) => {
          values[`:status${i}`] = status;
          return `:status${i}`;
        });
        condition += ` AND #status IN (${placeholders.join(', ')})`;
      }
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new VersionConflictError(resource, id, { cause: error });
      throw error;
    }
  }

  private listByType<T>(entity: Entity, page: PageRequest): Promise<Page<T>> {
    return this.queryPage<T>(
      {
        IndexName: LIST_INDEX.name,
        KeyConditionExpression: '#lpk = :type',
        ExpressionAttributeNames: { '#lpk': LIST_INDEX.partitionKey },
        ExpressionAttributeValues: { ':type': entity },
      },
      page,
      LIST_CURSOR_KEYS,
    );
  }

  /**
   * One page of at most `page.limit` items. A filter can leave DynamoDB pages short or empty, so
   * this keeps reading until the page is full or the index ends; the cursor is the key of the
   * last item returned, so nothing is skipped when a DynamoDB page is cut short.
   */
  private async queryPage<T>(
    input: Omit<QueryCommandInput, 'TableName'>,
    page: PageRequest,
    cursorKeys: readonly string[],
  ): Promise<Page<T>> {
    const items: Item[] = [];
    let startKey = decodeCursor(page.cursor, cursorKeys);
    let more = true;
    while (items.length < page.limit && more) {
      const result = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          Limit: page.limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey as Record<string, string> | undefined;
      more = startKey !== undefined;
    }
    const last = items.at(-1);
    const nextCursor =
      more && last
        ? encodeCursor(Object.fromEntries(cursorKeys.map((name) => [name, String(last[name])])))
        : undefined;
    return {
      items: items.map((item) => fromItem<T>(item)),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }
}
