import type { Channel } from '../domain/index.ts';
import type { AccountReader } from '../platforms/account.ts';
import { errorMessage } from '../platforms/http.ts';
import type { AuditDeps } from './import.ts';
import type { Audience } from './model.ts';

/**
 * The daily audience snapshot: each channel's follower count (and the breakdowns its platform
 * gives) once per UTC day. A day's snapshot is written once; a later run that day keeps it.
 */
export async function snapshotAudience(
  deps: Pick<AuditDeps, 'store' | 'audits' | 'readerFor' | 'credentials' | 'now'>,
  only?: readonly string[],
): Promise<{
  stored: string[];
  unchanged: string[];
  /** Channels whose breakdowns (or the record that their platform offers none) were stored today. */
  breakdowns: string[];
  failed: { channel: string; error: string }[];
  anyFailed: boolean;
}> {
  const channels = only
    ? (await Promise.all(only.map((id) => deps.store.getChannel(id)))).filter(
        (c): c is Channel => c !== undefined,
      )
    : await everyChannel(deps);
  const result = {
    stored: [] as string[],
    unchanged: [] as string[],
    breakdowns: [] as string[],
    failed: [] as { channel: string; error: string }[],
  };
  for (const channel of channels) {
    const reader = deps.readerFor(channel.platform);
    try {
      const reading = await reader.readAudience(channel, deps.credentials);
      const now = deps.now();
      const snapshot: Audience = {
        channel: channel.id,
        date: now.toISOString().slice(0, 10),
        collectedAt: now.toISOString(),
        followers: reading.followers,
        ...(reading.breakdowns ? { breakdowns: reading.breakdowns } : {}),
      };
      ((await deps.audits.putAudience(snapshot)) ? result.stored : result.unchanged).push(channel.id);
    } catch (error) {
      result.failed.push({ channel: channel.id, error: errorMessage(error) });
      continue;
    }
    try {
      if (await snapshotBreakdowns(deps, channel, reader)) result.breakdowns.push(channel.id);
    } catch (error) {
      result.failed.push({ channel: channel.id, error: `audience breakdowns: ${errorMessage(error)}` });
    }
  }
  return { ...result, anyFailed: result.failed.length > 0 };
}

/**
 * The day's breakdown snapshot of a channel: read once a day (a later run that day keeps the
 * first), stored also for a platform that offers none, so the report can say what is not offered.
 */
async function snapshotBreakdowns(
  deps: Pick<AuditDeps, 'audits' | 'credentials' | 'now'>,
  channel: Channel,
  reader: AccountReader,
): Promise<boolean> {
  const now = deps.now();
  const date = now.toISOString().slice(0, 10);
  if ((await deps.audits.latestAudienceBreakdown(channel.id, date))?.date === date) return false;
  const reading =
    reader.breakdowns.offers.length > 0
      ? await reader.readBreakdowns(channel, deps.credentials)
      : { breakdowns: {}, unavailable: [] };
  return deps.audits.putAudienceBreakdown({
    channel: channel.id,
    platform: channel.platform,
    date,
    collectedAt: now.toISOString(),
    breakdowns: reading.breakdowns,
    notOffered: reader.breakdowns.notOffered,
    unavailable: reading.unavailable,
  });
}

/** Every channel of the account, across pages. */
export async function everyChannel(deps: {
  store: Pick<AuditDeps['store'], 'listChannels'>;
}): Promise<Channel[]> {
  const channels: Channel[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listChannels({ limit: 100, ...(cursor ? { cursor } : {}) });
    channels.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return channels;
}
