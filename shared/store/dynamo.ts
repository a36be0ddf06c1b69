import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type Campaign,
  type Channel,
  metricsDueAt,
  type Page,
  type Post,
  type PostStatus,
  type Upload,
} from '../domain/index.ts';
import { StoreUnavailableError, VersionConflictError } from '../errors.ts';
import { SignedCursors } from './cursor.ts';
import { DUE_INDEX, DUE_KINDS, type DueKind, LIST_INDEX, TABLE_KEYS } from './keys.ts';
import type {
  Conversion,
  DigestRecord,
  DueEntry,
  EvaluationRecord,
  Mark,
  MetricSnapshot,
  PageRequest,
  PostFilter,
  PostWrite,
  PostWriteOutcome,
  RateLedger,
  Store,
} from './port.ts';
import { type BackoffOptions, backoffDelay, chunk, defaultBackoff, forEachConcurrent } from './retry.ts';

type Item = Record<string, unknown>;
type Entity =
  | 'CHANNEL'
  | 'POST'
  | 'UPLOAD'
  | 'CAMPAIGN'
  | 'LEDGER'
  | 'MARK'
  | 'DIGEST'
  | 'CONVERSION'
  | 'CONFIG';

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
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_SIZE = 100;
const BATCH_CONCURRENCY = 8;
/** Conditional post writes in flight at once (one upload of 10,000 rows is 10,000 of them). */
const WRITE_CONCURRENCY = 16;
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

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

/**
 * Where a post sits in the due index, derived from its state so the two cannot disagree. A post
 * has at most one kind of work due at a time (one GSI key per item): publishing while SCHEDULED,
 * lease expiry while claimed, reconciliation while UNKNOWN, metrics once PUBLISHED.
 */
function dueKeys(post: Post): Item {
  const due = dueWorkOf(post);
  if (!due) return {};
  return { [DUE_INDEX.partitionKey]: due.kind, [DUE_INDEX.sortKey]: `${due.at}#${post.id}` };
}

function dueWorkOf(post: Post): { kind: DueKind; at: string } | undefined {
  switch (post.status) {
    case 'SCHEDULED':
      return { kind: DUE_KINDS.publish, at: post.scheduledAt };
    case 'QUEUED':
    case 'PUBLISHING':
      return post.leaseUntil ? { kind: DUE_KINDS.lease, at: post.leaseUntil } : undefined;
    case 'UNKNOWN':
      return post.reconcileAt ? { kind: DUE_KINDS.reconcile, at: post.reconcileAt } : undefined;
    case 'PUBLISHED': {
      const at = metricsDueAt(post);
      return at ? { kind: DUE_KINDS.metrics, at } : undefined;
    }
    default:
      return undefined;
  }
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

function snapshotKey(snapshot: Pick<MetricSnapshot, 'postId' | 'dueAt' | 'checkpoint'>): Item {
  return { [PK]: `POST#${snapshot.postId}`, [SK]: `SNAPSHOT#${snapshot.dueAt}#${snapshot.checkpoint}` };
}

/** The item collection a conversion's copy lives in: its post's, or the unattributed one. */
function conversionOwner(postId: string | null | undefined): string {
  return postId ? `POST#${postId}` : 'CONVERSIONS#UNATTRIBUTED';
}

function conversionCopyKey(conversion: Conversion): Item {
  return {
    [PK]: conversionOwner(conversion.postId),
    [SK]: `CONVERSION#${conversion.occurredAt}#${conversion.eventId}`,
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
  private readonly cursors: SignedCursors;
  private cursorSecret?: Promise<Uint8Array>;

  constructor(options: DynamoStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? createDocumentClient();
    this.backoff = options.backoff ?? defaultBackoff;
    this.cursors = new SignedCursors(() => {
      this.cursorSecret ??= this.loadCursorSecret().catch((error: unknown) => {
        this.cursorSecret = undefined;
        throw error;
      });
      return this.cursorSecret;
    });
  }

  /**
   * The key that signs this deployment's cursors: 32 random bytes kept in the table itself, made
   * by whichever function needs it first (a conditional put, so concurrent first uses agree).
   * It costs nothing at rest, and whoever can read it could read the data a cursor points into.
   */
  private async loadCursorSecret(): Promise<Uint8Array> {
    const key = primaryKey('CONFIG', 'cursor-key');
    const read = async () =>
      (await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })))
        .Item?.secret as string | undefined;
    let secret = await read();
    if (secret === undefined) {
      await this.putIfAbsent({ ...key, secret: randomBytes(32).toString('base64') });
      secret = await read();
    }
    if (secret === undefined) throw new StoreUnavailableError('the cursor key could not be read back');
    return Buffer.from(secret, 'base64');
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

  // --- campaign evaluations (goals) -----------------------------------------------------------

  /** In the campaign's item collection, sort key `EVALUATION#<date>`: one per local date. */
  async putEvaluation(record: EvaluationRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [PK]: `CAMPAIGN#${record.campaignId}`, [SK]: `EVALUATION#${record.asOfDate}`, ...record },
      }),
    );
  }

  async latestEvaluation(campaignId: string, beforeDate?: string): Promise<EvaluationRecord | undefined> {
    // Newest first; with `beforeDate` the range ends at that date's own item (BETWEEN is
    // inclusive), so two items are read and that one skipped.
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: {
          ':pk': `CAMPAIGN#${campaignId}`,
          ':from': 'EVALUATION#',
          ':to': beforeDate === undefined ? 'EVALUATION#~' : `EVALUATION#${beforeDate}`,
        },
        ScanIndexForward: false,
        Limit: 2,
        ConsistentRead: true,
      }),
    );
    const records = (result.Items ?? []).map((item) => fromItem<EvaluationRecord>(item));
    return records.find((record) => beforeDate === undefined || record.asOfDate < beforeDate);
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

  // --- marks (dedup, cool-downs) ---------------------------------------------------------------

  /**
   * One conditional put: it wins when no mark exists, the existing one has expired (compared as
   * ISO strings, which sort as instants), or the caller already holds it (or may take it over).
   */
  async putMark(mark: Mark, now: string, takeFrom?: string): Promise<boolean> {
    const values: Record<string, unknown> = { ':now': now, ':owner': mark.owner };
    let condition = 'attribute_not_exists(#pk) OR #expiresAt <= :now OR #owner = :owner';
    if (takeFrom !== undefined) {
      condition += ' OR #owner = :takeFrom';
      values[':takeFrom'] = takeFrom;
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          // `ttl` (epoch seconds) lets DynamoDB's TTL delete expired marks once the table enables
          // it; correctness never depends on that (dynalite has no TTL): expiry is checked here.
          Item: {
            ...primaryKey('MARK', mark.key),
            ...mark,
            ttl: Math.ceil(Date.parse(mark.expiresAt) / 1000),
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#pk': PK, '#expiresAt': 'expiresAt', '#owner': 'owner' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getMark(key: string, now: string): Promise<Mark | undefined> {
    const found = await this.getOne<Mark & { ttl?: number }>('MARK', key);
    if (!found || found.expiresAt <= now) return undefined;
    const { ttl: _ttl, ...mark } = found;
    return mark;
  }

  async deleteMark(key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: primaryKey('MARK', key),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now (ours expired and was taken over): theirs stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  // --- digests --------------------------------------------------------------------------------

  async putDigest(digest: DigestRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...primaryKey('DIGEST', digest.id),
          [LIST_INDEX.partitionKey]: 'DIGEST',
          [LIST_INDEX.sortKey]: `${digest.from}#${digest.id}`,
          ...digest,
        },
      }),
    );
  }

  getDigest(id: string): Promise<DigestRecord | undefined> {
    return this.getOne<DigestRecord>('DIGEST', id);
  }

  // --- metric snapshots and conversions (measuring) -------------------------------------------

  /**
   * Snapshots live in their post's item collection (`POST#<id>`, sort key `SNAPSHOT#<dueAt>#<checkpoint>`),
   * so a post's history is one Query, oldest first. The key holds nothing that changes between
   * attempts (not the collection time), so the conditional put is the idempotency check.
   */
  async putSnapshot(snapshot: MetricSnapshot): Promise<{ created: boolean; snapshot: MetricSnapshot }> {
    const key = snapshotKey(snapshot);
    const created = await this.putIfAbsent({ ...key, ...snapshot });
    if (created) return { created, snapshot };
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    // Present a moment ago and never deleted: absent here would be a broken table.
    if (!item) throw new StoreUnavailableError(`snapshot ${key[SK]} of post ${snapshot.postId} vanished`);
    return { created, snapshot: fromItem<MetricSnapshot>(item) };
  }

  async listSnapshots(postId: string): Promise<MetricSnapshot[]> {
    return this.queryAll<MetricSnapshot>({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': `POST#${postId}`, ':prefix': 'SNAPSHOT#' },
      ConsistentRead: true,
    });
  }

  /**
   * A conversion is one item keyed by the sender's event id (the conditional put is the
   * idempotency: a re-sent event finds it), listed by time in `byType`, plus a copy in its
   * post's item collection (or the unattributed one) for per-post reads. The copy is written
   * after the original, from the stored original, and rewritten on every re-delivery: a failure
   * between the two writes is healed by the sender's retry, and the copy can never disagree.
   */
  async recordConversion(conversion: Conversion): Promise<{ created: boolean; conversion: Conversion }> {
    const key = primaryKey('CONVERSION', conversion.eventId);
    const created = await this.putIfAbsent({
      ...key,
      [LIST_INDEX.partitionKey]: 'CONVERSION',
      [LIST_INDEX.sortKey]: `${conversion.occurredAt}#${conversion.eventId}`,
      ...conversion,
    });
    let stored = conversion;
    if (!created) {
      const { Item: item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      if (!item) throw new StoreUnavailableError(`conversion ${conversion.eventId} vanished`);
      stored = fromItem<Conversion>(item);
    }
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...conversionCopyKey(stored), ...stored } }),
    );
    return { created, conversion: stored };
  }

  /** One Query on `byType` (`CONVERSION`, sorted by `<occurredAt>#<eventId>`); `to` is exclusive. */
  conversionsBetween(from: string, to: string): Promise<Conversion[]> {
    return this.queryAll<Conversion>({
      IndexName: LIST_INDEX.name,
      KeyConditionExpression: '#lpk = :type AND #lsk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#lpk': LIST_INDEX.partitionKey, '#lsk': LIST_INDEX.sortKey },
      ExpressionAttributeValues: { ':type': 'CONVERSION', ':from': from, ':to': to },
    });
  }

  listConversions(postId: string | null, page: PageRequest): Promise<Page<Conversion>> {
    return this.queryPage<Conversion>(
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': conversionOwner(postId), ':prefix': 'CONVERSION#' },
        ConsistentRead: true,
      },
      page,
      [PK, SK],
      `collection:${conversionOwner(postId)}:CONVERSION`,
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

  async createPosts(posts: readonly Post[]): Promise<void> {
    const outcomes = await this.writePosts(posts.map((post) => ({ post })));
    const lost = outcomes.find((outcome) => !outcome.written);
    if (lost) throw new VersionConflictError('post', lost.id);
  }

  /**
   * One conditional PutItem per post. BatchWriteItem would be fewer calls but takes no
   * condition, and an unconditional write of a post is how a published post came back as
   * SCHEDULED (and went out twice) when two uploads raced. Throttled writes are retried with
   * jittered backoff; a lost condition is an outcome, not an error.
   */
  async writePosts(writes: readonly PostWrite[]): Promise<PostWriteOutcome[]> {
    const outcomes: PostWriteOutcome[] = new Array(writes.length);
    const lost: number[] = [];
    await forEachConcurrent(
      writes.map((_, index) => index),
      WRITE_CONCURRENCY,
      async (index) => {
        const { post, expectedVersion, allowedStatuses } = writes[index] as PostWrite;
        try {
          await this.withThrottleRetry(() =>
            this.putVersioned(postItem(post), 'post', post.id, expectedVersion, allowedStatuses),
          );
          outcomes[index] = { id: post.id, written: true };
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
          lost.push(index);
        }
      },
    );
    if (lost.length > 0) {
      const current = await this.getPosts(lost.map((index) => (writes[index] as PostWrite).post.id));
      for (const index of lost) {
        const id = (writes[index] as PostWrite).post.id;
        outcomes[index] = { id, written: false, current: current.get(id) };
      }
    }
    return outcomes;
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
      'byType:POST',
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
      `due:${kind}`,
    );
  }

  // --- building blocks ------------------------------------------------------------------------

  /** Put unless an item with the same key exists; false when one does. */
  private async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Every item a Query on the table matches, across pages. */
  private async queryAll<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of result.Items ?? []) items.push(fromItem<T>(item));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

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

  /** Retries `write` while DynamoDB throttles it, with jittered backoff, then gives up. */
  private async withThrottleRetry<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt, this.backoff));
      try {
        return await write();
      } catch (error) {
        if (!isThrottling(error)) throw error;
        if (attempt + 1 >= this.backoff.attempts) {
          throw new StoreUnavailableError(`DynamoDB kept throttling a write after ${attempt + 1} attempts`, {
            cause: error,
          });
        }
      }
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
      `byType:${entity}`,
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
    /** Which list this is: a cursor is only good for the list that handed it out. */
    scope: string,
  ): Promise<Page<T>> {
    const items: Item[] = [];
    let startKey = await this.cursors.decode(scope, page.cursor, cursorKeys);
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
        ? await this.cursors.encode(
            scope,
            Object.fromEntries(cursorKeys.map((name) => [name, String(last[name])])),
          )
        : undefined;
    return {
      items: items.map((item) => fromItem<T>(item)),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }
}
