import type { Channel, Page } from '../domain/index.ts';
import type { PageRequest } from './port.ts';
import { type DynamoTable, listedKeys, primaryKey } from './table.ts';

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

/** Channels (the accounts posts go to) and, per channel, the rate-limit ledger of its platform. */
export interface ChannelStore {
  getChannel(id: string): Promise<Channel | undefined>;
  getChannels(ids: readonly string[]): Promise<Map<string, Channel>>;
  listChannels(page: PageRequest): Promise<Page<Channel>>;
  /** Creates the channel, or replaces it if `expectedVersion` matches the stored one. */
  putChannel(channel: Channel, expectedVersion?: number): Promise<void>;

  getRateLedger(channel: string): Promise<RateLedger | undefined>;
  putRateLedger(ledger: RateLedger): Promise<void>;
}

/** The DynamoDB adapter of ChannelStore: channels listed in `byType` by id, one ledger item per channel. */
export class DynamoChannelStore implements ChannelStore {
  constructor(private readonly table: DynamoTable) {}

  getChannel(id: string): Promise<Channel | undefined> {
    return this.table.getOne<Channel>('CHANNEL', id);
  }

  getChannels(ids: readonly string[]): Promise<Map<string, Channel>> {
    return this.table.getMany<Channel>('CHANNEL', ids);
  }

  listChannels(page: PageRequest): Promise<Page<Channel>> {
    return this.table.listByType<Channel>('CHANNEL', page);
  }

  putChannel(channel: Channel, expectedVersion?: number): Promise<void> {
    const item = { ...listedKeys('CHANNEL', channel.id, channel.id), ...channel };
    return this.table.putVersioned(item, 'channel', channel.id, expectedVersion);
  }

  /**
   * An eventually consistent read (half the units): the ledger is advice, and one a moment old
   * costs at most a platform call that answers 429, which moves the post (never publishes it).
   */
  getRateLedger(channel: string): Promise<RateLedger | undefined> {
    return this.table.getOne<RateLedger>('LEDGER', channel, false);
  }

  /** Last writer wins: the ledger is advice refreshed by every platform answer, not a lock. */
  putRateLedger(ledger: RateLedger): Promise<void> {
    return this.table.put({ ...primaryKey('LEDGER', ledger.channel), ...ledger });
  }
}
