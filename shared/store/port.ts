import type { Campaign, Channel, Page, Post, PostStatus, Upload } from '../domain/index.ts';
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

/** A post waiting in the due index. */
export interface DueEntry {
  postId: string;
  dueAt: string;
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
  /** Writes posts that did not exist when the caller planned them, in batches. */
  createPosts(posts: readonly Post[]): Promise<void>;
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

  putUpload(upload: Upload): Promise<void>;
  getUpload(id: string): Promise<Upload | undefined>;

  getCampaign(id: string): Promise<Campaign | undefined>;
  listCampaigns(page: PageRequest): Promise<Page<Campaign>>;
  putCampaign(campaign: Campaign, expectedVersion?: number): Promise<void>;
}
