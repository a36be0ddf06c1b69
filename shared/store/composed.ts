import type { Hold } from '../domain/hold.ts';
import type { Campaign, Channel, Post, PostStatus, Upload } from '../domain/index.ts';
import type { CampaignStore, EvaluationRecord } from './campaigns.ts';
import type { ChannelStore, RateLedger } from './channels.ts';
import type { HoldStore } from './holds.ts';
import type { DueKind } from './keys.ts';
import type { Conversion, MeasurementStore, MetricSnapshot } from './measurements.ts';
import type { DigestRecord, Mark, NotificationStore, RecipientPreference } from './notifications.ts';
import type { PageRequest, Store } from './port.ts';
import type { PostFilter, PostStore, PostWrite } from './posts.ts';

/** One adapter per port: what a whole Store is made of. */
export interface StoreAdapters {
  posts: PostStore;
  channels: ChannelStore;
  campaigns: CampaignStore;
  measurements: MeasurementStore;
  notifications: NotificationStore;
  holds: HoldStore;
}

/**
 * A Store made of one adapter per port, each call passed to the adapter of its port. Both the
 * DynamoDB store and the tests' in-memory one are this, over their own adapters.
 */
export class ComposedStore implements Store {
  constructor(protected readonly ports: StoreAdapters) {}

  // --- posts and uploads ------------------------------------------------------------------------

  getPost(id: string) {
    return this.ports.posts.getPost(id);
  }
  getPosts(ids: readonly string[]) {
    return this.ports.posts.getPosts(ids);
  }
  createPosts(posts: readonly Post[]) {
    return this.ports.posts.createPosts(posts);
  }
  writePosts(writes: readonly PostWrite[]) {
    return this.ports.posts.writePosts(writes);
  }
  replacePost(post: Post, expectedVersion: number, allowedStatuses?: readonly PostStatus[]) {
    return this.ports.posts.replacePost(post, expectedVersion, allowedStatuses);
  }
  listPosts(filter: PostFilter, page: PageRequest) {
    return this.ports.posts.listPosts(filter, page);
  }
  postsScheduledBetween(from: string, to: string) {
    return this.ports.posts.postsScheduledBetween(from, to);
  }
  duePosts(until: string, page: PageRequest) {
    return this.ports.posts.duePosts(until, page);
  }
  dueWork(kind: DueKind, until: string, page: PageRequest) {
    return this.ports.posts.dueWork(kind, until, page);
  }
  putUpload(upload: Upload) {
    return this.ports.posts.putUpload(upload);
  }
  getUpload(id: string) {
    return this.ports.posts.getUpload(id);
  }

  // --- channels and rate ledgers ----------------------------------------------------------------

  getChannel(id: string) {
    return this.ports.channels.getChannel(id);
  }
  getChannels(ids: readonly string[]) {
    return this.ports.channels.getChannels(ids);
  }
  listChannels(page: PageRequest) {
    return this.ports.channels.listChannels(page);
  }
  putChannel(channel: Channel, expectedVersion?: number) {
    return this.ports.channels.putChannel(channel, expectedVersion);
  }
  getRateLedger(channel: string) {
    return this.ports.channels.getRateLedger(channel);
  }
  putRateLedger(ledger: RateLedger) {
    return this.ports.channels.putRateLedger(ledger);
  }

  // --- campaigns and evaluations ----------------------------------------------------------------

  getCampaign(id: string) {
    return this.ports.campaigns.getCampaign(id);
  }
  listCampaigns(page: PageRequest) {
    return this.ports.campaigns.listCampaigns(page);
  }
  putCampaign(campaign: Campaign, expectedVersion?: number) {
    return this.ports.campaigns.putCampaign(campaign, expectedVersion);
  }
  putEvaluation(record: EvaluationRecord) {
    return this.ports.campaigns.putEvaluation(record);
  }
  latestEvaluation(campaignId: string, beforeDate?: string) {
    return this.ports.campaigns.latestEvaluation(campaignId, beforeDate);
  }

  // --- measurements -----------------------------------------------------------------------------

  putSnapshot(snapshot: MetricSnapshot) {
    return this.ports.measurements.putSnapshot(snapshot);
  }
  listSnapshots(postId: string) {
    return this.ports.measurements.listSnapshots(postId);
  }
  recordConversion(conversion: Conversion) {
    return this.ports.measurements.recordConversion(conversion);
  }
  listConversions(postId: string | null, page: PageRequest) {
    return this.ports.measurements.listConversions(postId, page);
  }
  conversionsBetween(from: string, to: string) {
    return this.ports.measurements.conversionsBetween(from, to);
  }

  // --- notifications ----------------------------------------------------------------------------

  putMark(mark: Mark, now: string, takeFrom?: string) {
    return this.ports.notifications.putMark(mark, now, takeFrom);
  }
  getMark(key: string, now: string) {
    return this.ports.notifications.getMark(key, now);
  }
  deleteMark(key: string, owner: string) {
    return this.ports.notifications.deleteMark(key, owner);
  }
  putDigest(digest: DigestRecord) {
    return this.ports.notifications.putDigest(digest);
  }
  getDigest(id: string) {
    return this.ports.notifications.getDigest(id);
  }

  // --- crisis holds -----------------------------------------------------------------------------

  listHolds() {
    return this.ports.holds.listHolds();
  }
  getHold(id: string) {
    return this.ports.holds.getHold(id);
  }
  createHold(hold: Hold) {
    return this.ports.holds.createHold(hold);
  }
  replaceHold(hold: Hold, expectedVersion: number) {
    return this.ports.holds.replaceHold(hold, expectedVersion);
  }

  // --- recipients' preferences ------------------------------------------------------------------

  getRecipientPreference(address: string) {
    return this.ports.notifications.getRecipientPreference(address);
  }
  putRecipientPreference(preference: RecipientPreference) {
    return this.ports.notifications.putRecipientPreference(preference);
  }
}
