import { nextApprovalWork } from '../approvals/review.ts';
import { metricsDueAt, type Page, type Post, type PostStatus, type Upload } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { DUE_INDEX, DUE_KINDS, type DueKind, LIST_INDEX } from './keys.ts';
import type { PageRequest } from './port.ts';
import { forEachConcurrent } from './retry.ts';
import { DUE_CURSOR_KEYS, type DynamoTable, type Item, LIST_CURSOR_KEYS, listedKeys } from './table.ts';

export interface PostFilter {
  /** Inclusive lower bound on `scheduledAt` (UTC ISO). */
  from?: string;
  /** Exclusive upper bound on `scheduledAt` (UTC ISO). */
  to?: string;
  status?: PostStatus;
  channel?: string;
  campaign?: string;
}

/**
 * One conditional write of a post: created only if absent (no `expectedVersion`), else replaced
 * only if still at `expectedVersion` (and, when given, in one of `allowedStatuses`).
 */
export interface PostWrite {
  post: Post;
  /** The version the caller planned from; absent means "must not exist yet". */
  expectedVersion?: number;
  allowedStatuses?: readonly PostStatus[];
}

/**
 * What became of one write. A write that lost (the post was created, changed, claimed or
 * published since the caller read it) changed nothing; `current` is the post as it is now.
 */
export type PostWriteOutcome =
  | { id: string; written: true }
  | { id: string; written: false; current: Post | undefined };

/** A post waiting in the due index. */
export interface DueEntry {
  postId: string;
  dueAt: string;
}

/**
 * Posts, the work due on them (derived from their state), and the records of the calendar
 * uploads that wrote them. Every write of a post is conditional on the version the caller read.
 */
export interface PostStore {
  getPost(id: string): Promise<Post | undefined>;
  getPosts(ids: readonly string[]): Promise<Map<string, Post>>;
  /**
   * Creates posts that must not exist yet (each write conditional on absence). Throws
   * VersionConflictError naming the first that existed; the others are written.
   */
  createPosts(posts: readonly Post[]): Promise<void>;
  /**
   * Applies each write conditionally and independently (DynamoDB has no transaction here):
   * nothing is ever overwritten unconditionally, and every write says whether it landed.
   */
  writePosts(writes: readonly PostWrite[]): Promise<PostWriteOutcome[]>;
  /**
   * Replaces a post if its stored version is `expectedVersion` and (when given) its status is
   * one of `allowedStatuses`; otherwise throws VersionConflictError. The new item's version must
   * be `expectedVersion + 1`.
   */
  replacePost(post: Post, expectedVersion: number, allowedStatuses?: readonly PostStatus[]): Promise<void>;
  listPosts(filter: PostFilter, page: PageRequest): Promise<Page<Post>>;
  /** Every post scheduled in [from, to), across all pages. */
  postsScheduledBetween(from: string, to: string): Promise<Post[]>;
  /** Posts whose publication is due at or before `until`, oldest first. */
  duePosts(until: string, page: PageRequest): Promise<Page<DueEntry>>;
  /** Posts with work of one kind (publish, lease expiry, reconcile…) due at or before `until`. */
  dueWork(kind: DueKind, until: string, page: PageRequest): Promise<Page<Post>>;

  putUpload(upload: Upload): Promise<void>;
  getUpload(id: string): Promise<Upload | undefined>;
}

/**
 * Conditional post writes in flight at once (one upload of 10,000 rows is 10,000 of them). Just
 * under the SDK's default of 50 sockets; on dynalite 48 wrote 10,000 posts in 6.0 s against 8.4 s
 * at 16 (unconditional 25-item batches took 2.6 s: the price of never overwriting a post).
 */
const WRITE_CONCURRENCY = 48;

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

export function dueWorkOf(post: Post): { kind: DueKind; at: string } | undefined {
  switch (post.status) {
    case 'SCHEDULED':
      return { kind: DUE_KINDS.publish, at: post.scheduledAt };
    case 'QUEUED':
    case 'PUBLISHING':
      return post.leaseUntil ? { kind: DUE_KINDS.lease, at: post.leaseUntil } : undefined;
    case 'UNKNOWN':
      return post.reconcileAt ? { kind: DUE_KINDS.reconcile, at: post.reconcileAt } : undefined;
    case 'HELD':
      return { kind: DUE_KINDS.held, at: post.heldAt ?? post.updatedAt };
    case 'PUBLISHED': {
      const at = metricsDueAt(post);
      return at ? { kind: DUE_KINDS.metrics, at } : undefined;
    }
    case 'PENDING_APPROVAL': {
      const next = nextApprovalWork(post);
      return next ? { kind: DUE_KINDS.approval, at: next.at } : undefined;
    }
    default:
      return undefined;
  }
}

function postItem(post: Post): Item {
  return { ...listedKeys('POST', post.id, `${post.scheduledAt}#${post.id}`), ...dueKeys(post), ...post };
}

/** The DynamoDB adapter of PostStore: posts listed in `byType` by scheduled time, due work in the due index. */
export class DynamoPostStore implements PostStore {
  constructor(private readonly table: DynamoTable) {}

  getPost(id: string): Promise<Post | undefined> {
    return this.table.getOne<Post>('POST', id);
  }

  getPosts(ids: readonly string[]): Promise<Map<string, Post>> {
    return this.table.getMany<Post>('POST', ids);
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
          await this.table.withThrottleRetry(() =>
            this.table.putVersioned(postItem(post), 'post', post.id, expectedVersion, allowedStatuses),
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
    return this.table.putVersioned(postItem(post), 'post', post.id, expectedVersion, allowedStatuses);
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
    return this.table.queryPage<Post>(
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
    return this.table.queryPage<Post>(
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

  async putUpload(upload: Upload): Promise<void> {
    await this.table.put({
      ...listedKeys('UPLOAD', upload.id, `${upload.createdAt}#${upload.id}`),
      ...upload,
    });
  }

  getUpload(id: string): Promise<Upload | undefined> {
    return this.table.getOne<Upload>('UPLOAD', id);
  }
}
