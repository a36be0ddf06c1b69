import type { Platform } from '../../shared/domain/index.ts';
import { VersionConflictError } from '../../shared/errors.ts';
import type { ListenerCursors, Mention, OwnReply, SpikeState } from '../../shared/listening/model.ts';
import type { ListeningSettings, StoredListeningSettings } from '../../shared/listening/settings.ts';
import type { ListeningStore } from '../../shared/store/listening.ts';
import { clone, stripUndefined } from './memory-base.ts';

/** ListeningStore in memory, with the DynamoDB adapter's conditional writes. */
export class MemoryListeningStore implements ListeningStore {
  settings: StoredListeningSettings | undefined;
  readonly mentions = new Map<string, Mention>();
  readonly ownReplies = new Map<string, OwnReply>();
  readonly cursors = new Map<Platform, ListenerCursors>();
  readonly spikes = new Map<string, SpikeState>();

  async getListeningSettings() {
    return clone(this.settings);
  }
  async putListeningSettings(settings: ListeningSettings, now: string, expectedVersion: number | undefined) {
    if (this.settings?.version !== expectedVersion) {
      throw new VersionConflictError('listening settings', 'listening');
    }
    this.settings = { settings: clone(settings), version: (expectedVersion ?? 0) + 1, updatedAt: now };
    return clone(this.settings);
  }
  async putMention(mention: Mention) {
    return putOnce(this.mentions, `${mention.platform}#${mention.id}`, mention);
  }
  async markInbound(mention: Pick<Mention, 'platform' | 'id' | 'inbound' | 'threadRoot'>) {
    const stored = this.mentions.get(`${mention.platform}#${mention.id}`);
    if (!stored || stored.inbound || !mention.inbound) return false;
    stored.inbound = clone(mention.inbound);
    if (mention.threadRoot && !stored.threadRoot) stored.threadRoot = mention.threadRoot;
    return true;
  }
  async putOwnReply(reply: OwnReply) {
    return putOnce(this.ownReplies, `${reply.platform}#${reply.id}`, reply);
  }
  async mentionsBetween(from: string, to: string) {
    return between([...this.mentions.values()], from, to);
  }
  async ownRepliesBetween(from: string, to: string) {
    return between([...this.ownReplies.values()], from, to);
  }
  async getListenerCursors(platform: Platform) {
    return clone(this.cursors.get(platform));
  }
  async putListenerCursors(cursors: ListenerCursors) {
    this.cursors.set(cursors.platform, clone(cursors));
  }
  async getSpikeState(key: string) {
    return clone(this.spikes.get(key));
  }
  async putSpikeState(state: SpikeState, expectedVersion: number | undefined) {
    if (this.spikes.get(state.key)?.version !== expectedVersion) {
      throw new VersionConflictError('spike state', state.key);
    }
    this.spikes.set(state.key, clone(stripUndefined(state)));
  }
}

function putOnce<T extends object>(map: Map<string, T>, key: string, value: T): boolean {
  if (map.has(key)) return false;
  map.set(key, clone(stripUndefined(value)));
  return true;
}

function between<T extends { createdAt: string; platform: string; id: string }>(
  items: T[],
  from: string,
  to: string,
): T[] {
  const order = (item: T) => `${item.createdAt}#${item.platform}#${item.id}`;
  return items
    .filter((item) => item.createdAt >= from && item.createdAt < to)
    .sort((a, b) => order(a).localeCompare(order(b)))
    .map((item) => clone(item));
}
