import type { Audience, AudienceBreakdownSnapshot, Audit } from '../audit/model.ts';
import { type DynamoTable, PK, SK } from './table.ts';

/**
 * History audits and the daily audience snapshots of each channel:
 * - an audit is `AUDIT#<channel>` / `AUDIT#<audit id>` (ids sort by the time they were asked for,
 *   so the latest is the last of the partition);
 * - a follower snapshot is `AUDIENCE#<channel>` / `DAY#<UTC date>`, written once per day;
 * - a breakdown snapshot is `AUDIENCE#<channel>` / `BREAKDOWN#<UTC date>`, written once per day
 *   (it sorts before every `DAY#`, so the follower range reads never meet it).
 */
export interface AuditStore {
  putAudit(audit: Audit): Promise<void>;
  getAudit(channel: string, id: string): Promise<Audit | undefined>;
  latestAudit(channel: string): Promise<Audit | undefined>;
  /** Writes the day's snapshot unless the channel has one for that day; true when written. */
  putAudience(snapshot: Audience): Promise<boolean>;
  /** The channel's snapshots with `from <= date <= to`, oldest first. */
  listAudience(channel: string, from: string, to: string): Promise<Audience[]>;
  /** Writes the day's breakdowns unless the channel has them for that day; true when written. */
  putAudienceBreakdown(snapshot: AudienceBreakdownSnapshot): Promise<boolean>;
  /** The channel's latest breakdowns on or before `date` (UTC date). */
  latestAudienceBreakdown(channel: string, date: string): Promise<AudienceBreakdownSnapshot | undefined>;
}

const auditKey = (channel: string, id: string) => ({ [PK]: `AUDIT#${channel}`, [SK]: `AUDIT#${id}` });
const audienceKey = (channel: string, date: string) => ({ [PK]: `AUDIENCE#${channel}`, [SK]: `DAY#${date}` });
const breakdownKey = (channel: string, date: string) => ({
  [PK]: `AUDIENCE#${channel}`,
  [SK]: `BREAKDOWN#${date}`,
});

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { [PK]: _pk, [SK]: _sk, ...rest } = item;
  return rest as T;
}

export class DynamoAuditStore implements AuditStore {
  constructor(private readonly table: DynamoTable) {}

  async putAudit(audit: Audit): Promise<void> {
    await this.table.put({ ...auditKey(audit.channel, audit.id), ...audit });
  }

  async getAudit(channel: string, id: string): Promise<Audit | undefined> {
    return strip<Audit>(await this.table.getItem(auditKey(channel, id)));
  }

  async latestAudit(channel: string): Promise<Audit | undefined> {
    const [latest] = await this.table.queryAll<Record<string, unknown>>({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :audit)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': `AUDIT#${channel}`, ':audit': 'AUDIT#' },
      ScanIndexForward: false,
      Limit: 1,
    });
    return strip<Audit>(latest);
  }

  putAudience(snapshot: Audience): Promise<boolean> {
    return this.table.putIfAbsent({ ...audienceKey(snapshot.channel, snapshot.date), ...snapshot });
  }

  async listAudience(channel: string, from: string, to: string): Promise<Audience[]> {
    const items = await this.table.queryAll<Record<string, unknown>>({
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': `AUDIENCE#${channel}`, ':from': `DAY#${from}`, ':to': `DAY#${to}` },
    });
    return items.map((item) => strip<Audience>(item) as Audience);
  }

  putAudienceBreakdown(snapshot: AudienceBreakdownSnapshot): Promise<boolean> {
    return this.table.putIfAbsent({ ...breakdownKey(snapshot.channel, snapshot.date), ...snapshot });
  }

  async latestAudienceBreakdown(
    channel: string,
    date: string,
  ): Promise<AudienceBreakdownSnapshot | undefined> {
    const [latest] = await this.table.queryAll<Record<string, unknown>>({
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: {
        ':pk': `AUDIENCE#${channel}`,
        ':from': 'BREAKDOWN#',
        ':to': `BREAKDOWN#${date}`,
      },
      ScanIndexForward: false,
      Limit: 1,
    });
    return strip<AudienceBreakdownSnapshot>(latest);
  }
}
