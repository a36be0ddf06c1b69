import type {
  Campaign,
  Channel,
  NormalisedMetrics,
  Page,
  Post,
  PostStatus,
  Upload,
} from '../domain/index.ts';
import type { DueKind } from './keys.ts';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

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
 * What a channel's platform said about its rate limit, kept per channel so a post that would
 * exceed it is moved rather than refused.
 */
export interface RateLedger {
  channel: string;
  /** Calls left in the current window, as the platform last reported. */
  remaining?: number;
  /** When the current window resets. */
  resetAt?: string;
  /** Nothing goes to the platform before this instant (after a 429). */
  blockedUntil?: string;
  updatedAt: string;
}

/**
 * A short-lived record that something happened or is under way (a message being sent or sent,
 * a goal that paged), for deduplication and cool-downs. Readers treat an expired mark as absent:
 * dynalite has no TTL, so expiry is checked on read (and by the conditional write).
 */
export interface Mark {
  key: string;
  /** Who holds it: while it is live, a put by another owner fails. */
  owner: string;
  /** UTC ISO instant after which the mark no longer counts. */
  expiresAt: string;
  /** What the holder records (`SENDING`, `SENT`, a goal status…). */
  state?: string;
}

/** A stored digest. `content` is the notify stage's document, validated there when read back. */
export interface DigestRecord {
  id: string;
  workspaceId: string;
  period: string;
  from: string;
  to: string;
  createdAt: string;
  content: unknown;
}

/**
 * A campaign's daily evaluation (shared/goals). `evaluation` is the goals stage's document; the
 * store keeps it as given, one per campaign and campaign-local date, in the campaign's item
 * collection, so yesterday's is one Query away when today's is compared with it.
 */
export interface EvaluationRecord {
  campaignId: string;
  /** The campaign-local date evaluated (`2026-04-11`). */
  asOfDate: string;
  asOf: string;
  evaluation: unknown;
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
 * One reading of a published post's numbers at one checkpoint (append-only history). One per post
 * and checkpoint: written conditionally, so a retried Collector step never adds a second.
 */
export interface MetricSnapshot {
  postId: string;
  /** The checkpoint it records (`1h`, `24h`, `7d`, …). */
  checkpoint: string;
  /** When that checkpoint fell due (publication + its age); orders the history. */
  dueAt: string;
  collectedAt: string;
  /** Pulsecast's vocabulary; a metric the platform does not report is absent. */
  metrics: NormalisedMetrics;
  /** engagements ÷ reach, or ÷ impressions where reach is absent (`engagementRateBasis` says which). */
  engagementRate?: number;
  engagementRateBasis?: 'reach' | 'impressions';
  /** Earlier checkpoints this late reading stands in for (they had passed before it could be taken). */
  covers?: string[];
  /** The platform's own payload. */
  raw: unknown;
}

/** A conversion reported by the user's site or shop, attributed to a post by its UTM fields. */
export interface Conversion {
  /** The sender's event id: a re-sent event is recognised by it and counted once. */
  eventId: string;
  occurredAt: string;
  receivedAt: string;
  value: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** What was converted (`purchase`, `signup`, …), as the sender names it. */
  kind?: string;
  utm: { source?: string; medium?: string; campaign?: string; content?: string; term?: string };
  /** The post it is attributed to; absent when unattributed. */
  postId?: string;
  channel?: string;
  campaign?: string;
  /** Why it could not be attributed (it is kept and counted as unattributed). */
  unattributedReason?: string;
}

/**
 * The persistence port. The DynamoDB adapter implements it for AWS, local mode and tests
 * (against dynalite). Every update is conditional on the version the caller read.
 */
export interface Store {
  getChannel(id: string): Promise<Channel | undefined>;
  getChannels(ids: readonly string[]): Promise<Map<string, Channel>>;
  listChannels(page: PageRequest): Promise<Page<Channel>>;
  /** Creates the channel, or replaces it if `expectedVersion` matches the stored one. */
  putChannel(channel: Channel, expectedVersion?: number): Promise<void>;

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

  getRateLedger(channel: string): Promise<RateLedger | undefined>;
  putRateLedger(ledger: RateLedger): Promise<void>;

  /** Writes a snapshot unless its post already has one for that checkpoint; returns the stored one. */
  putSnapshot(snapshot: MetricSnapshot): Promise<{ created: boolean; snapshot: MetricSnapshot }>;
  /** A post's snapshots, oldest checkpoint first. */
  listSnapshots(postId: string): Promise<MetricSnapshot[]>;
  /**
   * Records a conversion unless one with its `eventId` exists (then the stored one comes back,
   * `created: false`): the webhook's idempotency.
   */
  recordConversion(conversion: Conversion): Promise<{ created: boolean; conversion: Conversion }>;
  /** A post's conversions (`null`: the unattributed ones), oldest first. */
  listConversions(postId: string | null, page: PageRequest): Promise<Page<Conversion>>;
  /** Every conversion (attributed or not) that occurred in [from, to), oldest first, across all pages. */
  conversionsBetween(from: string, to: string): Promise<Conversion[]>;

  putUpload(upload: Upload): Promise<void>;
  getUpload(id: string): Promise<Upload | undefined>;

  getCampaign(id: string): Promise<Campaign | undefined>;
  listCampaigns(page: PageRequest): Promise<Page<Campaign>>;
  putCampaign(campaign: Campaign, expectedVersion?: number): Promise<void>;
  /** Stores a campaign's evaluation for its date (a repeated run that day overwrites it). */
  putEvaluation(record: EvaluationRecord): Promise<void>;
  /** The campaign's latest stored evaluation, or the latest from a date before `beforeDate`. */
  latestEvaluation(campaignId: string, beforeDate?: string): Promise<EvaluationRecord | undefined>;

  /**
   * Writes `mark` (conditional put) unless a live mark under its key is held by another owner —
   * other than `takeFrom`, when given, whose mark may be replaced. Returns false when it lost.
   */
  putMark(mark: Mark, now: string, takeFrom?: string): Promise<boolean>;
  /** The live mark under `key`; undefined when there is none or it has expired. */
  getMark(key: string, now: string): Promise<Mark | undefined>;
  /** Removes the mark under `key` if `owner` holds it; does nothing otherwise. */
  deleteMark(key: string, owner: string): Promise<void>;

  /** Writes a digest (a repeated run overwrites it with the same numbers). */
  putDigest(digest: DigestRecord): Promise<void>;
  getDigest(id: string): Promise<DigestRecord | undefined>;
}
