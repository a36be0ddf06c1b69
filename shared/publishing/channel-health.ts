import { makeEvent, type PulsecastEvent } from '../events.ts';
import type { PlatformAdapter } from '../platforms/port.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { RecoverDeps } from './recover.ts';

/** The recovery sweep's dependencies, with only the channels of the store. */
export interface ChannelHealthDeps extends Omit<RecoverDeps, 'store'> {
  store: ChannelStore;
}

export interface ChannelHealthSummary {
  checked: number;
  needsAttention: string[];
  refreshed: string[];
}

/** Channels whose platform answered this, people must act on (reconnect, re-authorise). */
const ATTENTION = new Set(['expiring', 'expired', 'invalid']);

/**
 * The hourly credential sweep: asks each channel's adapter how its credentials stand (refreshing
 * them where the platform allows) and raises `Channel Needs Attention` for a token that is about
 * to expire or already has — before posts start failing. A check that cannot reach the platform
 * is not an alarm (`unknown`); the next sweep asks again.
 */
export async function checkChannelHealth(deps: ChannelHealthDeps): Promise<ChannelHealthSummary> {
  const summary: ChannelHealthSummary = { checked: 0, needsAttention: [], refreshed: [] };
  const events: PulsecastEvent[] = [];
  const now = deps.now().toISOString();
  let cursor: string | undefined;
  do {
    const page = await deps.store.listChannels({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const channel of page.items) {
      const adapter = deps.adapterFor(channel.platform);
      if (!adapter.checkCredentials) continue;
      summary.checked++;
      let health: Awaited<ReturnType<NonNullable<PlatformAdapter['checkCredentials']>>>;
      try {
        health = await adapter.checkCredentials(channel, deps.credentials);
      } catch (error) {
        // A missing or unreadable secret is for a person to fix as much as an expired token.
        health = { status: 'invalid', message: error instanceof Error ? error.message : String(error) };
      }
      if (health.status === 'refreshed') summary.refreshed.push(channel.id);
      if (!ATTENTION.has(health.status)) continue;
      summary.needsAttention.push(channel.id);
      events.push(
        makeEvent('Channel Needs Attention', {
          // One announcement per channel, condition and day: the hourly sweep does not page hourly.
          eventId: `${channel.id}:credentials:${health.status}:${now.slice(0, 10)}`,
          occurredAt: now,
          channel: channel.id,
          platform: channel.platform,
          reason: health.message,
        }),
      );
    }
    cursor = page.nextCursor;
  } while (cursor);
  await deps.events.publish(events);
  return summary;
}
