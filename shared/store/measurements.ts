import { gunzipSync, gzipSync } from 'node:zlib';
import type { NormalisedMetrics, Page } from '../domain/index.ts';
import { StoreUnavailableError } from '../errors.ts';
import { LIST_INDEX } from './keys.ts';
import type { PageRequest } from './port.ts';
import { type DynamoTable, fromItem, type Item, listedKeys, PK, primaryKey, SK } from './table.ts';

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

/** What was measured: posts' metric snapshots and the conversions attributed to them. */
export interface MeasurementStore {
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
}

function snapshotKey(snapshot: Pick<MetricSnapshot, 'postId' | 'dueAt' | 'checkpoint'>): Item {
  return { [PK]: `POST#${snapshot.postId}`, [SK]: `SNAPSHOT#${snapshot.dueAt}#${snapshot.checkpoint}` };
}

/** The item collection a conversion's copy lives in: its post's, or the unattributed one. */
function conversionOwner(postId: string | null | undefined): string {
  return postId ? `POST#${postId}` : 'CONVERSIONS#UNATTRIBUTED';
}

function conversionCopyKey(conversion: Conversion): Item {
  return {
    [PK]: conversionOwner(conversion.postId),
    [SK]: `CONVERSION#${conversion.occurredAt}#${conversion.eventId}`,
  };
}

/**
 * A snapshot as stored: the platform's own payload (read only when a user asks for it with
 * `?raw=true`) gzipped into one binary attribute. Raw payloads are most of a snapshot's size
 * (a Mastodon status with its account is about 1 KB of JSON), and a snapshot is written once per
 * post and checkpoint: compressed, one snapshot costs one write unit instead of two, and a post's
 * history reads in fewer read units.
 */
function toSnapshotItem(snapshot: MetricSnapshot): Item {
  const { raw, ...rest } = snapshot;
  if (raw === null || raw === undefined) return { ...rest, raw: null };
  return { ...rest, rawGzip: gzipSync(JSON.stringify(raw)) };
}

/** Reads both forms: `rawGzip` (written since) and a plain `raw` (written before). */
function fromSnapshotItem(item: Item): MetricSnapshot {
  const { rawGzip, ...rest } = item as Item & { rawGzip?: Uint8Array };
  const snapshot = fromItem<MetricSnapshot>(rest);
  if (rawGzip === undefined) return snapshot;
  return { ...snapshot, raw: JSON.parse(gunzipSync(rawGzip).toString('utf8')) as unknown };
}

/** The DynamoDB adapter of MeasurementStore: snapshots and conversion copies in their post's item collection. */
export class DynamoMeasurementStore implements MeasurementStore {
  constructor(private readonly table: DynamoTable) {}

  /**
   * Snapshots live in their post's item collection (`POST#<id>`, sort key `SNAPSHOT#<dueAt>#<checkpoint>`),
   * so a post's history is one Query, oldest first. The key holds nothing that changes between
   * attempts (not the collection time), so the conditional put is the idempotency check.
   */
  async putSnapshot(snapshot: MetricSnapshot): Promise<{ created: boolean; snapshot: MetricSnapshot }> {
    const key = snapshotKey(snapshot);
    const created = await this.table.putIfAbsent({ ...key, ...toSnapshotItem(snapshot) });
    if (created) return { created, snapshot };
    const item = await this.table.getItem(key);
    // Present a moment ago and never deleted: absent here would be a broken table.
    if (!item) throw new StoreUnavailableError(`snapshot ${key[SK]} of post ${snapshot.postId} vanished`);
    return { created, snapshot: fromSnapshotItem(item) };
  }

  async listSnapshots(postId: string): Promise<MetricSnapshot[]> {
    const items = await this.table.queryAll<Item>({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': `POST#${postId}`, ':prefix': 'SNAPSHOT#' },
      ConsistentRead: true,
    });
    return items.map(fromSnapshotItem);
  }

  /**
   * A conversion is one item keyed by the sender's event id (the conditional put is the
   * idempotency: a re-sent event finds it), listed by time in `byType`, plus a copy in its
   * post's item collection (or the unattributed one) for per-post reads. The copy is written
   * after the original, from the stored original, and rewritten on every re-delivery: a failure
   * between the two writes is healed by the sender's retry, and the copy can never disagree.
   */
  async recordConversion(conversion: Conversion): Promise<{ created: boolean; conversion: Conversion }> {
    const listed = `${conversion.occurredAt}#${conversion.eventId}`;
    const created = await this.table.putIfAbsent({
      ...listedKeys('CONVERSION', conversion.eventId, listed),
      ...conversion,
    });
    let stored = conversion;
    if (!created) {
      const item = await this.table.getItem(primaryKey('CONVERSION', conversion.eventId));
      if (!item) throw new StoreUnavailableError(`conversion ${conversion.eventId} vanished`);
      stored = fromItem<Conversion>(item);
    }
    await this.table.put({ ...conversionCopyKey(stored), ...stored });
    return { created, conversion: stored };
  }

  /** One Query on `byType` (`CONVERSION`, sorted by `<occurredAt>#<eventId>`); `to` is exclusive. */
  conversionsBetween(from: string, to: string): Promise<Conversion[]> {
    return this.table.queryAll<Conversion>({
      IndexName: LIST_INDEX.name,
      KeyConditionExpression: '#lpk = :type AND #lsk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#lpk': LIST_INDEX.partitionKey, '#lsk': LIST_INDEX.sortKey },
      ExpressionAttributeValues: { ':type': 'CONVERSION', ':from': from, ':to': to },
    });
  }

  listConversions(postId: string | null, page: PageRequest): Promise<Page<Conversion>> {
    return this.table.queryPage<Conversion>(
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': conversionOwner(postId), ':prefix': 'CONVERSION#' },
        ConsistentRead: true,
      },
      page,
      [PK, SK],
      `collection:${conversionOwner(postId)}:CONVERSION`,
    );
  }
}
