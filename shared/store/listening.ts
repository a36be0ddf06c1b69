import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Platform } from '../domain/index.ts';
import { StoreUnavailableError } from '../errors.ts';
import type { ListenerCursors, Mention, OwnReply, SpikeState } from '../listening/model.ts';
import type { ListeningSettings, StoredListeningSettings } from '../listening/settings.ts';
import { LIST_INDEX } from './keys.ts';
import { type DynamoTable, listedKeys, PK, primaryKey } from './table.ts';

/**
 * What listening keeps: its settings, the mentions and our own replies it collected, where the
 * Listener stopped on each platform, and the spike episodes. A port of its own (not part of
 * `Store`): only the listening functions use it.
 */
export interface ListeningStore {
  getListeningSettings(): Promise<StoredListeningSettings | undefined>;
  /** Replaces the settings if they are still at `expectedVersion` (undefined: none yet). */
  putListeningSettings(
    settings: ListeningSettings,
    now: string,
    expectedVersion: number | undefined,
  ): Promise<StoredListeningSettings>;
  /** Stores a mention unless one with its platform and id is there; true when it was new. */
  putMention(mention: Mention): Promise<boolean>;
  /**
   * Marks a stored mention as addressed to one of our channels (a search found it before the
   * inbound read saw it was a reply to us): only if it is stored and has no inbound flag yet, so
   * a repeat changes nothing. Also fills its thread root when it has none. True when it changed.
   */
  markInbound(mention: Pick<Mention, 'platform' | 'id' | 'inbound' | 'threadRoot'>): Promise<boolean>;
  putOwnReply(reply: OwnReply): Promise<boolean>;
  /** Mentions created in [from, to), oldest first. */
  mentionsBetween(from: string, to: string): Promise<Mention[]>;
  ownRepliesBetween(from: string, to: string): Promise<OwnReply[]>;
  getListenerCursors(platform: Platform): Promise<ListenerCursors | undefined>;
  putListenerCursors(cursors: ListenerCursors): Promise<void>;
  getSpikeState(key: string): Promise<SpikeState | undefined>;
  /** Writes the state if it is still at `expectedVersion` (undefined: new); VersionConflictError otherwise. */
  putSpikeState(state: SpikeState, expectedVersion: number | undefined): Promise<void>;
}

const SETTINGS_ID = 'listening';
const cursorsId = (platform: Platform) => `listener-${platform}`;
const spikeId = (key: string) => `spike-${key}`;
/** Mentions and replies are listed in `byType` by creation time, then platform and id. */
const listed = (item: { createdAt: string; platform: string; id: string }) =>
  `${item.createdAt}#${item.platform}#${item.id}`;

export class DynamoListeningStore implements ListeningStore {
  constructor(private readonly table: DynamoTable) {}

  async getListeningSettings(): Promise<StoredListeningSettings | undefined> {
    return this.table.getOne<StoredListeningSettings>('CONFIG', SETTINGS_ID);
  }

  async putListeningSettings(
    settings: ListeningSettings,
    now: string,
    expectedVersion: number | undefined,
  ): Promise<StoredListeningSettings> {
    const stored: StoredListeningSettings = {
      settings,
      version: (expectedVersion ?? 0) + 1,
      updatedAt: now,
    };
    await this.table.putVersioned(
      { ...primaryKey('CONFIG', SETTINGS_ID), ...stored },
      'listening settings',
      SETTINGS_ID,
      expectedVersion,
    );
    return stored;
  }

  putMention(mention: Mention): Promise<boolean> {
    return this.table.putIfAbsent({
      ...listedKeys('MENTION', `${mention.platform}#${mention.id}`, listed(mention)),
      ...mention,
    });
  }

  async markInbound(mention: Pick<Mention, 'platform' | 'id' | 'inbound' | 'threadRoot'>): Promise<boolean> {
    if (!mention.inbound) return false;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: primaryKey('MENTION', `${mention.platform}#${mention.id}`),
          UpdateExpression: mention.threadRoot
            ? 'SET #inbound = :inbound, #root = if_not_exists(#root, :root)'
            : 'SET #inbound = :inbound',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#inbound)',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#inbound': 'inbound',
            ...(mention.threadRoot ? { '#root': 'threadRoot' } : {}),
          },
          ExpressionAttributeValues: {
            ':inbound': mention.inbound,
            ...(mention.threadRoot ? { ':root': mention.threadRoot } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  putOwnReply(reply: OwnReply): Promise<boolean> {
    return this.table.putIfAbsent({
      ...listedKeys('OWNREPLY', `${reply.platform}#${reply.id}`, listed(reply)),
      ...reply,
    });
  }

  mentionsBetween(from: string, to: string): Promise<Mention[]> {
    return this.between<Mention>('MENTION', from, to);
  }

  ownRepliesBetween(from: string, to: string): Promise<OwnReply[]> {
    return this.between<OwnReply>('OWNREPLY', from, to);
  }

  /** One Query on `byType`; `to` is exclusive (`<to>` sorts before `<to>#…`). */
  private between<T>(entity: 'MENTION' | 'OWNREPLY', from: string, to: string): Promise<T[]> {
    return this.table.queryAll<T>({
      IndexName: LIST_INDEX.name,
      KeyConditionExpression: '#lpk = :type AND #lsk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#lpk': LIST_INDEX.partitionKey, '#lsk': LIST_INDEX.sortKey },
      ExpressionAttributeValues: { ':type': entity, ':from': from, ':to': to },
    });
  }

  getListenerCursors(platform: Platform): Promise<ListenerCursors | undefined> {
    return this.table.getOne<ListenerCursors>('CONFIG', cursorsId(platform));
  }

  /** A plain put: one Listener iteration per platform writes it, after storing what it read. */
  async putListenerCursors(cursors: ListenerCursors): Promise<void> {
    await this.table.put({ ...primaryKey('CONFIG', cursorsId(cursors.platform)), ...cursors });
  }

  getSpikeState(key: string): Promise<SpikeState | undefined> {
    return this.table.getOne<SpikeState>('CONFIG', spikeId(key));
  }

  async putSpikeState(state: SpikeState, expectedVersion: number | undefined): Promise<void> {
    if (state.version !== (expectedVersion ?? 0) + 1) {
      throw new StoreUnavailableError(
        `spike state ${state.key} must move to version ${(expectedVersion ?? 0) + 1}`,
      );
    }
    await this.table.putVersioned(
      { ...primaryKey('CONFIG', spikeId(state.key)), ...state },
      'spike state',
      state.key,
      expectedVersion,
    );
  }
}
