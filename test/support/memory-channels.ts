import type { Channel, Page } from '../../shared/domain/index.ts';
import { VersionConflictError } from '../../shared/errors.ts';
import type { ChannelStore, RateLedger } from '../../shared/store/channels.ts';
import { clone, cloneMany, type WriteHook } from './memory-base.ts';

/** ChannelStore in memory: a channel write is conditional on its version, a ledger write is not. */
export class MemoryChannelStore implements ChannelStore {
  readonly channels = new Map<string, Channel>();
  readonly ledgers = new Map<string, RateLedger>();

  constructor(private readonly hook: WriteHook) {}

  async getChannel(id: string) {
    return clone(this.channels.get(id));
  }
  async getChannels(ids: readonly string[]) {
    return cloneMany(this.channels, ids);
  }
  async listChannels(): Promise<Page<Channel>> {
    return { items: [...this.channels.values()].map((c) => clone(c) as Channel) };
  }
  async putChannel(channel: Channel, expectedVersion?: number) {
    this.hook.beforeWrite('putChannel');
    const current = this.channels.get(channel.id);
    if (expectedVersion === undefined ? current : current?.version !== expectedVersion) {
      throw new VersionConflictError('channel', channel.id);
    }
    this.channels.set(channel.id, clone(channel) as Channel);
  }
  async getRateLedger(channel: string) {
    return clone(this.ledgers.get(channel));
  }
  async putRateLedger(ledger: RateLedger) {
    this.hook.beforeWrite('putRateLedger');
    this.ledgers.set(ledger.channel, clone(ledger) as RateLedger);
  }
}
