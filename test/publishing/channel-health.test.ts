import { describe, expect, it } from 'vitest';
import type { CredentialHealth, PlatformAdapter } from '../../shared/platforms/port.ts';
import { checkChannelHealth } from '../../shared/publishing/channel-health.ts';
import { noCredentials, RecordingEvents } from '../support/dispatcher-driver.ts';
import { makeChannel } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';

function adapterAnswering(byChannel: Record<string, CredentialHealth | Error>): PlatformAdapter {
  return {
    platform: 'x',
    capabilities: { lookup: false, metricsBatchSize: 1 },
    validate: () => [],
    publish: async () => {
      throw new Error('not used');
    },
    lookup: async () => undefined,
    fetchMetrics: async () => [],
    checkCredentials: async (channel) => {
      const answer = byChannel[channel.id];
      if (answer instanceof Error) throw answer;
      return answer ?? { status: 'ok', message: 'fine' };
    },
  };
}

describe('checkChannelHealth', () => {
  it('raises Channel Needs Attention for expiring, expired and unreadable credentials, once per day', async () => {
    const store = new MemoryStore();
    for (const id of ['fine', 'soon', 'gone', 'nosecret', 'fresh'])
      await store.putChannel(makeChannel({ id }));
    const events = new RecordingEvents();
    const adapter = adapterAnswering({
      soon: {
        status: 'expiring',
        expiresAt: '2026-12-02T10:00:00.000Z',
        message: 'the token expires in 20 hours; reconnect',
      },
      gone: { status: 'expired', message: 'the token expired; reconnect the channel' },
      nosecret: new Error("credentials 'pulsecast/nosecret': no such secret"),
      fresh: { status: 'refreshed', message: 'refreshed' },
    });

    const summary = await checkChannelHealth({
      store,
      events,
      adapterFor: () => adapter,
      credentials: noCredentials,
      now: () => new Date('2026-12-01T10:00:00.000Z'),
    });

    expect(summary).toEqual({
      checked: 5,
      needsAttention: ['soon', 'gone', 'nosecret'],
      refreshed: ['fresh'],
    });
    expect(events.events.map((event) => event.detail)).toEqual([
      expect.objectContaining({
        channel: 'soon',
        eventId: 'soon:credentials:expiring:2026-12-01',
        reason: expect.stringContaining('expires'),
      }),
      expect.objectContaining({ channel: 'gone', eventId: 'gone:credentials:expired:2026-12-01' }),
      expect.objectContaining({ channel: 'nosecret', reason: expect.stringContaining('no such secret') }),
    ]);
  });
});
