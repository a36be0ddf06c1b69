import type { Channel } from '../domain/index.ts';
import type { DigestSection, DigestSectionContext, DigestSectionProvider } from '../notify/digest.ts';
import type { AuditStore } from '../store/audits.ts';
import type { ChannelStore } from '../store/channels.ts';
import { everyChannel } from './audience.ts';
import { breakdownLine, breakdownSummary } from './breakdowns.ts';

/**
 * The digest's audience section: each channel's followers at the end of the period and how many
 * it gained (or lost) over it, from the daily snapshots; plus the audits that finished in the
 * period, and who the followers are and when they are online where the platform says (what it
 * does not offer is named). Channels without snapshots in the period are left out; nothing to
 * say, no section.
 */
export function audienceDigestSection(deps: {
  store: ChannelStore;
  audits: AuditStore;
}): DigestSectionProvider {
  return async (context: DigestSectionContext): Promise<DigestSection[]> => {
    const wanted = context.workspace.channels;
    const channels = (await everyChannel(deps)).filter((c: Channel) => !wanted || wanted.includes(c.id));
    const from = context.from.slice(0, 10);
    // The snapshot of the day before the period is its starting point.
    const before = new Date(Date.parse(context.from) - 86_400_000).toISOString().slice(0, 10);
    const to = context.to.slice(0, 10);
    const items: DigestSection['items'] = [];
    let total = 0;
    let gained = 0;
    for (const channel of channels) {
      const snapshots = await deps.audits.listAudience(channel.id, before, to);
      const last = snapshots.at(-1);
      if (!last) continue;
      const first = snapshots.find((s) => s.date <= from) ?? snapshots[0];
      const change = first && first !== last ? last.followers - first.followers : undefined;
      total += last.followers;
      gained += change ?? 0;
      const days = first && first !== last ? daysBetween(first.date, last.date) : 0;
      items.push({
        text:
          change === undefined
            ? `${channel.id}: ${last.followers} followers (first snapshot ${last.date}; growth shows from the next day)`
            : `${channel.id}: ${last.followers} followers, ${signed(change)} over ${days} day${days === 1 ? '' : 's'} (${signed(round(change / Math.max(days, 1)))} a day)`,
      });
      const breakdown = await deps.audits.latestAudienceBreakdown(channel.id, to);
      if (breakdown) {
        const line = breakdownLine(breakdownSummary(breakdown, channel.timezone));
        if (line) items.push({ text: `${channel.id} audience (${breakdown.date}): ${line}` });
      }
      const audit = await deps.audits.latestAudit(channel.id);
      if (audit?.finishedAt && audit.finishedAt >= context.from && audit.finishedAt < context.to) {
        items.push({
          text: `${channel.id}: history audit ${audit.status.toLowerCase()}, ${audit.imported} past posts imported${audit.limitations.length > 0 ? ` (not available: ${audit.limitations.length} item${audit.limitations.length === 1 ? '' : 's'}, see the audit report)` : ''}`,
        });
      }
    }
    if (items.length === 0) return [];
    return [
      {
        id: 'audience',
        title: 'Audience',
        summary: `${total} followers across ${channels.length} channel${channels.length === 1 ? '' : 's'}, ${signed(gained)} in this period (daily snapshots)`,
        items,
      },
    ];
  };
}

const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));
const round = (n: number) => Math.round(n * 10) / 10;
const daysBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
