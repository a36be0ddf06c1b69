import { randomUUID } from 'node:crypto';
import type { MarkStore } from '../store/notifications.ts';
import { GOAL_STATUS_SEVERITY } from './config.ts';

/** Another invocation is sending the same message right now; retry later (it may fail). */
export class DeliveryInProgressError extends Error {
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`message ${key} is being sent by another invocation; retry later`, options);
    this.name = 'DeliveryInProgressError';
  }
}

export interface OnceOptions {
  now: () => Date;
  /**
   * How long a claim protects a send in flight. Longer than the function's timeout, so a claim
   * is only ever taken over from an invocation that has died.
   */
  leaseMs: number;
  /** How long a sent message is remembered (a later re-delivery of the event is still caught). */
  keepMs: number;
}

/**
 * Sends a message at most once per key, like Powertools' idempotency: a conditional put claims
 * the key (`SENDING`, with a lease), the send runs, the mark becomes `SENT`. A second delivery
 * of the same event finds `SENT` and sends nothing. A failed send gives the claim back, so the
 * retry (or the dead-letter queue) still has the message: nothing is lost by being deduplicated.
 * A delivery that arrives while the first is still sending gets DeliveryInProgressError and is
 * retried later, by which time the mark says how the first one went.
 */
export async function sendOnce(
  store: MarkStore,
  key: string,
  options: OnceOptions,
  send: () => Promise<void>,
): Promise<'sent' | 'duplicate'> {
  const owner = randomUUID();
  const at = options.now();
  const now = at.toISOString();
  const claimed = await store.putMark(
    { key, owner, state: 'SENDING', expiresAt: new Date(at.getTime() + options.leaseMs).toISOString() },
    now,
  );
  if (!claimed) {
    const mark = await store.getMark(key, now);
    if (mark?.state === 'SENT') return 'duplicate';
    throw new DeliveryInProgressError(key);
  }
  try {
    await send();
  } catch (error) {
    await store.deleteMark(key, owner).catch(() => undefined); // the lease expires anyway
    throw error;
  }
  await store.putMark(
    {
      key,
      owner,
      state: 'SENT',
      expiresAt: new Date(options.now().getTime() + options.keepMs).toISOString(),
    },
    options.now().toISOString(),
  );
  return 'sent';
}

/**
 * The cool-down of a goal's pages: a goal that paged does not page again within `cooldownMs`
 * unless its status got worse (AT_RISK → OFF_TRACK). A status that flaps every hourly evaluation
 * (AT_RISK, ON_TRACK, AT_RISK…) pages once; the digest still shows every change.
 *
 * The mark is owned by the event that paged, so a re-delivery of that same event passes (the
 * per-message dedup then decides), and a failed send is retried rather than cooled down.
 */
export async function goalMayPage(
  store: MarkStore,
  goal: { campaignId: string; goalId: string; status: string; eventId: string },
  cooldownMs: number,
  now: Date,
): Promise<boolean> {
  if (cooldownMs <= 0) return true;
  const key = `cooldown#goal#${goal.campaignId}#${goal.goalId}`;
  const at = now.toISOString();
  const severity = GOAL_STATUS_SEVERITY[goal.status] ?? 1;
  const current = await store.getMark(key, at);
  if (current?.owner === goal.eventId) return true;
  if (current && (GOAL_STATUS_SEVERITY[current.state ?? ''] ?? 1) >= severity) return false;
  // Conditional on what was read: of two events racing for the same goal, one pages.
  return store.putMark(
    {
      key,
      owner: goal.eventId,
      state: goal.status,
      expiresAt: new Date(now.getTime() + cooldownMs).toISOString(),
    },
    at,
    current?.owner,
  );
}
