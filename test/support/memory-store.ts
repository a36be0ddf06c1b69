import {
  type Campaign,
  type Channel,
  metricsDueAt,
  type Page,
  type Post,
  type PostStatus,
  type Upload,
} from '../../shared/domain/index.ts';
import { VersionConflictError } from '../../shared/errors.ts';
import { DUE_KINDS, type DueKind } from '../../shared/store/keys.ts';
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
} from '../../shared/store/port.ts';

/**
 * An in-memory Store with the DynamoDB adapter's semantics (conditional writes on version,
 * due work derived from state), for property tests that run thousands of scenarios. The real
 * adapter is tested against dynalite; this one only has to agree with it.
 */
export class MemoryStore implements Store {
  readonly posts = new Map<string, Post>();
  readonly channels = new Map<string, Channel>();
  readonly ledgers = new Map<string, RateLedger>();
  readonly campaigns = new Map<string, Campaign>();
  readonly uploads = new Map<string, Upload>();
  readonly marks = new Map<string, Mark>();
  readonly digests = new Map<string, DigestRecord>();
  /** Called before every write; a test makes it throw to inject throttling. */
  beforeWrite: (what: string) => void = () => undefined;

  async getChannel(id: string) {
    return clone(this.channels.get(id));
  }
  async getChannels(ids: readonly string[]) {
    return new Map(
      ids.filter((id) => this.channels.has(id)).map((id) => [id, clone(this.channels.get(id)) as Channel]),
    );
  }
  async listChannels(): Promise<Page<Channel>> {
    return { items: [...this.channels.values()].map((c) => clone(c) as Channel) };
  }
  async putChannel(channel: Channel, expectedVersion?: number) {
    this.beforeWrite('putChannel');
    const current = this.channels.get(channel.id);
    if (expectedVersion === undefined ? current : current?.version !== expectedVersion) {
      throw new VersionConflictError('channel', channel.id);
    }
    this.channels.set(channel.id, clone(channel) as Channel);
  }
  async getPost(id: string) {
    return clone(this.posts.get(id));
  }
  async getPosts(ids: readonly string[]) {
    return new Map(
      ids.filter((id) => this.posts.has(id)).map((id) => [id, clone(this.posts.get(id)) as Post]),
    );
  }
  async createPosts(posts: readonly Post[]) {
    this.beforeWrite('createPosts');
    const lost = (await this.writePosts(posts.map((post) => ({ post })))).find((o) => !o.written);
    if (lost) throw new VersionConflictError('post', lost.id);
  }
  async writePosts(writes: readonly PostWrite[]): Promise<PostWriteOutcome[]> {
    this.beforeWrite('writePosts');
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
    this.beforeWrite('replacePost');
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
  async getRateLedger(channel: string) {
    return clone(this.ledgers.get(channel));
  }
  async putRateLedger(ledger: RateLedger) {
    this.beforeWrite('putRateLedger');
    this.ledgers.set(ledger.channel, clone(ledger) as RateLedger);
  }
  /** Snapshots by post, keyed `<dueAt>#<checkpoint>` like the table's sort key. */
  readonly snapshots = new Map<string, Map<string, MetricSnapshot>>();
  readonly conversions = new Map<string, Conversion>();
  async putSnapshot(snapshot: MetricSnapshot) {
    this.beforeWrite('putSnapshot');
    const history = this.snapshots.get(snapshot.postId) ?? new Map<string, MetricSnapshot>();
    this.snapshots.set(snapshot.postId, history);
    const key = `${snapshot.dueAt}#${snapshot.checkpoint}`;
    const existing = history.get(key);
    if (existing) return { created: false, snapshot: clone(existing) };
    history.set(key, clone(stripUndefined(snapshot)));
    return { created: true, snapshot: clone(snapshot) };
  }
  async listSnapshots(postId: string) {
    const history = this.snapshots.get(postId) ?? new Map<string, MetricSnapshot>();
    return [...history.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => clone(s));
  }
  async recordConversion(conversion: Conversion) {
    this.beforeWrite('recordConversion');
    const existing = this.conversions.get(conversion.eventId);
    if (existing) return { created: false, conversion: clone(existing) };
    this.conversions.set(conversion.eventId, clone(stripUndefined(conversion)));
    return { created: true, conversion: clone(conversion) };
  }
  async listConversions(postId: string | null): Promise<Page<Conversion>> {
    const items = [...this.conversions.values()]
      .filter((c) => (postId === null ? c.postId === undefined : c.postId === postId))
      .sort((a, b) => `${a.occurredAt}#${a.eventId}`.localeCompare(`${b.occurredAt}#${b.eventId}`));
    return { items: items.map((c) => clone(c)) };
  }
  async putUpload(upload: Upload) {
    this.uploads.set(upload.id, upload);
  }
  async getUpload(id: string) {
    return this.uploads.get(id);
  }
  async getCampaign(id: string) {
    return this.campaigns.get(id);
  }
  async listCampaigns(): Promise<Page<Campaign>> {
    return { items: [...this.campaigns.values()] };
  }
  async putCampaign(campaign: Campaign) {
    this.campaigns.set(campaign.id, campaign);
  }
  /** Evaluations by campaign, then by date. */
  readonly evaluations = new Map<string, Map<string, EvaluationRecord>>();
  async putEvaluation(record: EvaluationRecord) {
    this.beforeWrite('putEvaluation');
    const byDate = this.evaluations.get(record.campaignId) ?? new Map<string, EvaluationRecord>();
    this.evaluations.set(record.campaignId, byDate);
    byDate.set(record.asOfDate, clone(record));
  }
  async latestEvaluation(campaignId: string, beforeDate?: string) {
    const dates = [...(this.evaluations.get(campaignId)?.keys() ?? [])]
      .filter((date) => beforeDate === undefined || date < beforeDate)
      .sort();
    const date = dates.at(-1);
    return date === undefined ? undefined : clone(this.evaluations.get(campaignId)?.get(date));
  }
  async conversionsBetween(from: string, to: string) {
    return [...this.conversions.values()]
      .filter((c) => c.occurredAt >= from && c.occurredAt < to)
      .sort((a, b) => `${a.occurredAt}#${a.eventId}`.localeCompare(`${b.occurredAt}#${b.eventId}`))
      .map((c) => clone(c));
  }
  async putMark(mark: Mark, now: string, takeFrom?: string) {
    this.beforeWrite('putMark');
    const current = this.marks.get(mark.key);
    if (current && current.expiresAt > now && current.owner !== mark.owner && current.owner !== takeFrom) {
      return false;
    }
    this.marks.set(mark.key, clone(stripUndefined(mark)));
    return true;
  }
  async getMark(key: string, now: string) {
    const mark = this.marks.get(key);
    return mark && mark.expiresAt > now ? clone(mark) : undefined;
  }
  async deleteMark(key: string, owner: string) {
    if (this.marks.get(key)?.owner === owner) this.marks.delete(key);
  }
  async putDigest(digest: DigestRecord) {
    this.beforeWrite('putDigest');
    this.digests.set(digest.id, clone(digest));
  }
  async getDigest(id: string) {
    return clone(this.digests.get(id));
  }
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
