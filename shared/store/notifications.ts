import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type DynamoTable, listedKeys, PK, primaryKey } from './table.ts';

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

/** Marks: deduplication of messages and cool-downs of alerts. */
export interface MarkStore {
  /**
   * Writes `mark` (conditional put) unless a live mark under its key is held by another owner —
   * other than `takeFrom`, when given, whose mark may be replaced. Returns false when it lost.
   */
  putMark(mark: Mark, now: string, takeFrom?: string): Promise<boolean>;
  /** The live mark under `key`; undefined when there is none or it has expired. */
  getMark(key: string, now: string): Promise<Mark | undefined>;
  /** Removes the mark under `key` if `owner` holds it; does nothing otherwise. */
  deleteMark(key: string, owner: string): Promise<void>;
}

/** The digests the notify stage wrote. */
export interface DigestStore {
  /** Writes a digest (a repeated run overwrites it with the same numbers). */
  putDigest(digest: DigestRecord): Promise<void>;
  getDigest(id: string): Promise<DigestRecord | undefined>;
}

/** One email recipient's choice, keyed by the lower-cased address. */
export interface RecipientPreference {
  address: string;
  /** Digests (bulk mail) are not sent to this address. */
  unsubscribed: boolean;
  updatedAt: string;
}

/** Per-recipient email preferences (the unsubscribe endpoint writes them, the notifier reads them). */
export interface PreferenceStore {
  getRecipientPreference(address: string): Promise<RecipientPreference | undefined>;
  putRecipientPreference(preference: RecipientPreference): Promise<void>;
}

/** What the notify stage keeps: its marks, its digests and the recipients' preferences. */
export interface NotificationStore extends MarkStore, DigestStore, PreferenceStore {}

/** The DynamoDB adapter of NotificationStore: one item per mark, digests listed in `byType` by period start. */
export class DynamoNotificationStore implements NotificationStore {
  constructor(private readonly table: DynamoTable) {}

  /**
   * One conditional put: it wins when no mark exists, the existing one has expired (compared as
   * ISO strings, which sort as instants), or the caller already holds it (or may take it over).
   */
  async putMark(mark: Mark, now: string, takeFrom?: string): Promise<boolean> {
    const values: Record<string, unknown> = { ':now': now, ':owner': mark.owner };
    let condition = 'attribute_not_exists(#pk) OR #expiresAt <= :now OR #owner = :owner';
    if (takeFrom !== undefined) {
      condition += ' OR #owner = :takeFrom';
      values[':takeFrom'] = takeFrom;
    }
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.name,
          // `ttl` (epoch seconds) lets DynamoDB's TTL delete expired marks once the table enables
          // it; correctness never depends on that (dynalite has no TTL): expiry is checked here.
          Item: {
            ...primaryKey('MARK', mark.key),
            ...mark,
            ttl: Math.ceil(Date.parse(mark.expiresAt) / 1000),
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#pk': PK, '#expiresAt': 'expiresAt', '#owner': 'owner' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getMark(key: string, now: string): Promise<Mark | undefined> {
    const found = await this.table.getOne<Mark & { ttl?: number }>('MARK', key);
    if (!found || found.expiresAt <= now) return undefined;
    const { ttl: _ttl, ...mark } = found;
    return mark;
  }

  async deleteMark(key: string, owner: string): Promise<void> {
    try {
      await this.table.client.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: primaryKey('MARK', key),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now (ours expired and was taken over): theirs stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  putDigest(digest: DigestRecord): Promise<void> {
    return this.table.put({ ...listedKeys('DIGEST', digest.id, `${digest.from}#${digest.id}`), ...digest });
  }

  getDigest(id: string): Promise<DigestRecord | undefined> {
    return this.table.getOne<DigestRecord>('DIGEST', id);
  }

  getRecipientPreference(address: string): Promise<RecipientPreference | undefined> {
    return this.table.getOne<RecipientPreference>('RECIPIENT', address.toLowerCase());
  }

  putRecipientPreference(preference: RecipientPreference): Promise<void> {
    const address = preference.address.toLowerCase();
    return this.table.put({ ...primaryKey('RECIPIENT', address), ...preference, address });
  }
}
