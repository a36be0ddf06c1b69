import { nextApprovalWork } from '../../shared/approvals/review.ts';
import {
  metricsDueAt,
  type Page,
  type Post,
  type PostStatus,
  type Upload,
} from '../../shared/domain/index.ts';
import { VersionConflictError } from '../../shared/errors.ts';
import { DUE_KINDS, type DueKind } from '../../shared/store/keys.ts';
import type { PageRequest } from '../../shared/store/port.ts';
import type {
  DueEntry,
  PostFilter,
  PostStore,
  PostWrite,
  PostWriteOutcome,
} from '../../shared/store/posts.ts';
import { clone, cloneMany, stripUndefined, type WriteHook } from './memory-base.ts';

/** PostStore in memory: conditional writes on version and status, due work derived from state. */
export class MemoryPostStore implements PostStore {
  readonly posts = new Map<string, Post>();
  readonly uploads = new Map<string, Upload>();

  constructor(private readonly hook: WriteHook) {}

  async getPost(id: string) {
    return clone(this.posts.get(id));
  }
  async getPosts(ids: readonly string[]) {
    return cloneMany(this.posts, ids);
  }
  async createPosts(posts: readonly Post[]) {
    this.hook.beforeWrite('createPosts');
    const lost = (await this.writePosts(posts.map((post) => ({ post })))).find((o) => !o.written);
    if (lost) throw new VersionConflictError('post', lost.id);
  }
  async writePosts(writes: readonly PostWrite[]): Promise<PostWriteOutcome[]> {
    this.hook.beforeWrite('writePosts');
    return writes.map(({ post, expectedVersion, allowedStatuses }) => {
      const current = this.posts.get(post.id);
      const holds =
        expectedVersion === undefined
          ? !current
          : current?.version === expectedVersion &&
            (!allowedStatuses || allowedStatuses.includes(current.status));
      if (!holds) return { id: post.id, written: false, current: clone(current) };
      this.posts.set(post.id, clone(stripUndefined(post)) as Post);
      return { id: post.id, written: true };
    });
  }
  async replacePost(post: Post, expectedVersion: number, allowedStatuses?: readonly PostStatus[]) {
    this.hook.beforeWrite('replacePost');
    const current = this.posts.get(post.id);
    if (
      !current ||
      current.version !== expectedVersion ||
      (allowedStatuses && !allowedStatuses.includes(current.status))
    ) {
      throw new VersionConflictError('post', post.id);
    }
    this.posts.set(post.id, clone(stripUndefined(post)) as Post);
  }
  async listPosts(filter: PostFilter, page: PageRequest): Promise<Page<Post>> {
    const items = [...this.posts.values()]
      .filter(
        (p) => (!filter.from || p.scheduledAt >= filter.from) && (!filter.to || p.scheduledAt < filter.to),
      )
      .filter(
        (p) =>
          (!filter.status || p.status === filter.status) && (!filter.channel || p.channel === filter.channel),
      )
      .sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt) || a.id.localeCompare(b.id));
    return { items: items.slice(0, page.limit).map((p) => clone(p) as Post) };
  }
  async postsScheduledBetween(from: string, to: string) {
    return (await this.listPosts({ from, to }, { limit: Number.MAX_SAFE_INTEGER })).items;
  }
  async duePosts(until: string, page: PageRequest): Promise<Page<DueEntry>> {
    const work = await this.dueWork(DUE_KINDS.publish, until, page);
    return { items: work.items.map((p) => ({ postId: p.id, dueAt: p.scheduledAt })) };
  }
  async dueWork(kind: DueKind, until: string, page: PageRequest): Promise<Page<Post>> {
    const dueAt = (p: Post): string | undefined => {
      if (kind === DUE_KINDS.publish) return p.status === 'SCHEDULED' ? p.scheduledAt : undefined;
      if (kind === DUE_KINDS.lease)
        return p.status === 'QUEUED' || p.status === 'PUBLISHING' ? p.leaseUntil : undefined;
      if (kind === DUE_KINDS.reconcile) return p.status === 'UNKNOWN' ? p.reconcileAt : undefined;
      if (kind === DUE_KINDS.metrics) return metricsDueAt(p);
      if (kind === DUE_KINDS.held) return p.status === 'HELD' ? (p.heldAt ?? p.updatedAt) : undefined;
      if (kind === DUE_KINDS.approval) return nextApprovalWork(p)?.at;
      return undefined;
    };
    const items = [...this.posts.values()]
      .map((p) => ({ p, at: dueAt(p) }))
      .filter((e): e is { p: Post; at: string } => e.at !== undefined && e.at <= until)
      .sort((a, b) => a.at.localeCompare(b.at) || a.p.id.localeCompare(b.p.id))
      .map((e) => clone(e.p) as Post);
    return {
      items: items.slice(0, page.limit),
      ...(items.length > page.limit ? { nextCursor: 'more' } : {}),
    };
  }
  async putUpload(upload: Upload) {
    this.uploads.set(upload.id, upload);
  }
  async getUpload(id: string) {
    return this.uploads.get(id);
  }
}
