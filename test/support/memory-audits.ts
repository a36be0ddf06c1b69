import type { Audience, AudienceBreakdownSnapshot, Audit } from '../../shared/audit/model.ts';
import type { AuditStore } from '../../shared/store/audits.ts';
import { clone } from './memory-base.ts';

/** AuditStore in memory, with the DynamoDB adapter's semantics (one audience snapshot per day). */
export class MemoryAuditStore implements AuditStore {
  readonly audits = new Map<string, Audit>();
  readonly audience = new Map<string, Audience>();
  readonly breakdowns = new Map<string, AudienceBreakdownSnapshot>();

  async putAudit(audit: Audit): Promise<void> {
    this.audits.set(`${audit.channel}#${audit.id}`, clone(audit));
  }

  async getAudit(channel: string, id: string): Promise<Audit | undefined> {
    return clone(this.audits.get(`${channel}#${id}`));
  }

  async latestAudit(channel: string): Promise<Audit | undefined> {
    const mine = [...this.audits.values()]
      .filter((a) => a.channel === channel)
      .sort((a, b) => a.id.localeCompare(b.id));
    return clone(mine.at(-1));
  }

  async putAudience(snapshot: Audience): Promise<boolean> {
    const key = `${snapshot.channel}#${snapshot.date}`;
    if (this.audience.has(key)) return false;
    this.audience.set(key, clone(snapshot));
    return true;
  }

  async listAudience(channel: string, from: string, to: string): Promise<Audience[]> {
    return [...this.audience.values()]
      .filter((s) => s.channel === channel && s.date >= from && s.date <= to)
      .sort((a, b) => a.date.localeCompare(b.date))
      .map(clone);
  }

  async putAudienceBreakdown(snapshot: AudienceBreakdownSnapshot): Promise<boolean> {
    const key = `${snapshot.channel}#${snapshot.date}`;
    if (this.breakdowns.has(key)) return false;
    this.breakdowns.set(key, clone(snapshot));
    return true;
  }

  async latestAudienceBreakdown(
    channel: string,
    date: string,
  ): Promise<AudienceBreakdownSnapshot | undefined> {
    const mine = [...this.breakdowns.values()]
      .filter((s) => s.channel === channel && s.date <= date)
      .sort((a, b) => a.date.localeCompare(b.date));
    return clone(mine.at(-1));
  }
}
