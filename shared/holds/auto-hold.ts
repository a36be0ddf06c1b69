import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Hold } from '../domain/hold.ts';
import { Slug } from '../domain/index.ts';
import { EVENT_SOURCE, type EventPublisher, type EventType } from '../events.ts';
import type { HoldStore } from '../store/holds.ts';
import { holdStartedEvent } from './holds.ts';

/**
 * autoHold: a negative mention spike on the brand starts a hold of every post by itself
 * (docs/architecture.md#crisis-holds). The listening stage announces spikes; the event's name and
 * full schema are the listening stage's (shared/events.ts). This reaction reads only the fields
 * it needs, with its own small schema, so a change elsewhere in that event cannot break it.
 */
export const MENTION_SPIKE_DETECTED = 'Mention Spike Detected' satisfies EventType;

/**
 * A spike is negative — a crisis rather than good news going viral — when at least half of its
 * mentions score negative in the listening stage's sentiment. Half is the point where the
 * negative mentions are the majority of the surge: a launch that trends mostly positive never
 * stops publishing, a false claim spreading does. It is deliberately not lower: an automatic hold
 * silences every channel, and a person can always start one by hand.
 */
export const NEGATIVE_SPIKE_SHARE = 0.5;

/** Who starts an automatic hold, as `createdBy` shows it. */
export const AUTO_HOLD_ACTOR = 'autoHold';

/** The fields of `Mention Spike Detected` this reaction uses (others are ignored). */
export const SpikeForHold = z.looseObject({
  episodeId: z.string().min(1).max(500),
  subject: z.string(),
  platform: z.string(),
  count: z.number().nonnegative(),
  baseline: z.number().nonnegative(),
  negativeShare: z.number().min(0).max(1),
  autoHold: z.boolean(),
});
export type SpikeForHold = z.infer<typeof SpikeForHold>;

/** The EventBridge envelope the rule delivers. */
export const SpikeEnvelope = z.looseObject({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.literal(MENTION_SPIKE_DETECTED),
  detail: SpikeForHold,
});

/** One hold per episode: its id is derived from the episode, so a repeat finds it already there. */
export function autoHoldId(episodeId: string): string {
  const readable = `auto-${episodeId}`;
  if (Slug.safeParse(readable).success) return readable;
  return `auto-${createHash('sha256').update(episodeId).digest('hex').slice(0, 32)}`;
}

export type AutoHoldOutcome =
  | { outcome: 'started' | 'repeat'; hold: Hold }
  | { outcome: 'ignored'; why: string };

const percent = (share: number) => `${Math.round(share * 100)} %`;

/**
 * Starts the hold a negative brand spike calls for, at most once per episode (the bus delivers at
 * least once, and a released hold is not restarted by a late repeat). `Hold Started` tells the
 * team; a repeat announces it again under the same event id, which the notifier sends once — so
 * a first delivery that wrote the hold but failed to announce it is healed by the retry.
 */
export async function holdOnNegativeSpike(
  spike: SpikeForHold,
  deps: { store: HoldStore; events: EventPublisher; now: () => Date },
): Promise<AutoHoldOutcome> {
  if (spike.subject !== 'brand')
    return { outcome: 'ignored', why: `the spike is about '${spike.subject}', not the brand` };
  if (!spike.autoHold) return { outcome: 'ignored', why: 'autoHold is off in the listening settings' };
  if (spike.negativeShare < NEGATIVE_SPIKE_SHARE) {
    return {
      outcome: 'ignored',
      why: `${percent(spike.negativeShare)} of the spike is negative (a hold needs ${percent(NEGATIVE_SPIKE_SHARE)})`,
    };
  }
  const now = deps.now().toISOString();
  const candidate: Hold = {
    id: autoHoldId(spike.episodeId),
    scope: 'all',
    reason: `Automatic hold: a negative spike of mentions of the brand on ${spike.platform} (${spike.count} in the last hour against a usual ${spike.baseline}; ${percent(spike.negativeShare)} negative), spike episode ${spike.episodeId}. Check the conversation, then release the hold when it is safe to publish again.`,
    createdAt: now,
    createdBy: AUTO_HOLD_ACTOR,
    episodeId: spike.episodeId,
    version: 1,
  };
  const created = await deps.store.createHold(candidate);
  const hold = created ? candidate : await deps.store.getHold(candidate.id);
  if (!hold) throw new Error(`hold ${candidate.id} exists but could not be read back`);
  await deps.events.publish([holdStartedEvent(hold)]);
  return { outcome: created ? 'started' : 'repeat', hold };
}
