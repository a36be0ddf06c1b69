import { describe, expect, it } from 'vitest';
import {
  autoHoldId,
  holdOnNegativeSpike,
  NEGATIVE_SPIKE_SHARE,
  SpikeEnvelope,
  type SpikeForHold,
} from '../../shared/holds/auto-hold.ts';
import { releaseHold } from '../../shared/holds/holds.ts';
import { RecordingEvents } from '../support/dispatcher-driver.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { brandSpike } from './spike.ts';

const NOW = new Date('2026-12-01T09:00:00.000Z');
const now = () => NOW;

const spike = (overrides: Partial<SpikeForHold> = {}) =>
  brandSpike({ episodeId: 'brand-bluesky-20261201T0800', ...overrides });

describe('autoHold', () => {
  it('starts one hold of every post per negative brand spike episode, however often the event arrives', async () => {
    const store = new MemoryStore();
    const events = new RecordingEvents();

    const first = await holdOnNegativeSpike(spike(), { store, events, now });
    const again = await holdOnNegativeSpike(spike(), { store, events, now });

    expect(first.outcome).toBe('started');
    expect(again.outcome).toBe('repeat');
    expect([...store.holdStore.holds.values()]).toEqual([
      expect.objectContaining({
        id: 'auto-brand-bluesky-20261201T0800',
        scope: 'all',
        createdBy: 'autoHold',
        episodeId: 'brand-bluesky-20261201T0800',
        reason: expect.stringMatching(
          /negative spike .* brand on bluesky \(84 .* usual 3; 80 % negative\), spike episode brand-bluesky-20261201T0800/,
        ),
      }),
    ]);
    // Announced each time under one id: the notifier sends it once.
    const started = events.events.filter((event) => event.type === 'Hold Started');
    expect(started.map((event) => event.detail.eventId)).toEqual([
      'hold-started:auto-brand-bluesky-20261201T0800',
      'hold-started:auto-brand-bluesky-20261201T0800',
    ]);
  });

  it('does not start the episode again once a person released its hold', async () => {
    const store = new MemoryStore();
    const events = new RecordingEvents();
    const { outcome } = await holdOnNegativeSpike(spike(), { store, events, now });
    expect(outcome).toBe('started');
    await releaseHold(autoHoldId(spike().episodeId), 'person', { store, now });

    await holdOnNegativeSpike(spike(), { store, events, now });

    expect([...store.holdStore.holds.values()].filter((hold) => !hold.releasedAt)).toEqual([]);
  });

  it.each([
    [spike({ negativeShare: NEGATIVE_SPIKE_SHARE - 0.01 }), /49 % of the spike is negative/],
    [spike({ subject: 'competitor-a' }), /about 'competitor-a'/],
    [spike({ autoHold: false }), /autoHold is off/],
  ])('leaves publishing alone for %j', async (input, why) => {
    const store = new MemoryStore();
    const result = await holdOnNegativeSpike(input, { store, events: new RecordingEvents(), now });
    expect(result).toMatchObject({ outcome: 'ignored', why: expect.stringMatching(why) });
    expect(store.holdStore.holds.size).toBe(0);
  });

  it('holds at exactly the threshold', async () => {
    const store = new MemoryStore();
    const result = await holdOnNegativeSpike(spike({ negativeShare: NEGATIVE_SPIKE_SHARE }), {
      store,
      events: new RecordingEvents(),
      now,
    });
    expect(result.outcome).toBe('started');
  });

  it('gives an episode id that is no valid hold id a stable hashed one', () => {
    const id = autoHoldId('brand/bluesky 2026-12-01T08:00Z');
    expect(id).toMatch(/^auto-[0-9a-f]{32}$/);
    expect(autoHoldId('brand/bluesky 2026-12-01T08:00Z')).toBe(id);
  });

  it('reads only the fields it needs from the event, and refuses one without them', () => {
    const envelope = {
      source: 'pulsecast',
      'detail-type': 'Mention Spike Detected',
      detail: { ...spike(), samples: [{ text: 'anything' }], somethingNew: 1, version: 1 },
    };
    expect(SpikeEnvelope.parse(envelope).detail.negativeShare).toBe(0.8);
    expect(SpikeEnvelope.safeParse({ ...envelope, detail: { ...spike(), negativeShare: 1.5 } }).success).toBe(
      false,
    );
  });
});
