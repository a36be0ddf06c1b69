import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { type Hold, HoldScope, isActive } from '../domain/hold.ts';
import type { Issue } from '../errors.ts';
import { NotFoundError, ValidationError, VersionConflictError } from '../errors.ts';
import { type EventPublisher, makeEvent, type PulsecastEvent } from '../events.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { HoldStore } from '../store/holds.ts';
import type { PostStore } from '../store/posts.ts';

/** What `POST /v1/holds` takes. */
export const HoldInput = z.strictObject({
  scope: HoldScope,
  reason: z.string().trim().min(1, 'say why publishing stops (the team sees it)').max(1000),
});
export type HoldInput = z.infer<typeof HoldInput>;

export interface HoldDeps {
  store: HoldStore & ChannelStore & CampaignStore & PostStore;
  events: EventPublisher;
  now: () => Date;
}

/** `hold-20270301t0930-3f9a1c`: sortable by start, readable in a CLI, unguessable enough to not collide. */
export function newHoldId(now: Date): string {
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').toLowerCase();
  return `hold-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Every channel and campaign a scope names must exist, or the hold would silently cover nothing
 * the caller meant (a typo in a crisis). A campaign exists when it was created through the API or
 * when a post carries it (calendars may name campaigns nobody registered).
 */
async function checkScope(scope: HoldScope, store: HoldDeps['store']): Promise<void> {
  if (scope === 'all') return;
  const issues: Issue[] = [];
  const channels = await store.getChannels(scope.channels);
  for (const id of scope.channels) {
    if (!channels.has(id)) issues.push({ column: 'scope.channels', message: `unknown channel '${id}'` });
  }
  for (const id of scope.campaigns) {
    if (await store.getCampaign(id)) continue;
    // Rare (a person starting a hold), so a filtered read of the post list is affordable here.
    const carried = await store.listPosts({ campaign: id }, { limit: 1 });
    if (carried.items.length === 0) {
      issues.push({
        column: 'scope.campaigns',
        message: `unknown campaign '${id}' (no campaign or post has it)`,
      });
    }
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `the hold names ${issues.length === 1 ? 'something that does' : 'things that do'} not exist; nothing was held`,
      issues,
    );
  }
}

export function holdStartedEvent(hold: Hold): PulsecastEvent {
  return makeEvent('Hold Started', {
    eventId: `hold-started:${hold.id}`,
    occurredAt: hold.createdAt,
    holdId: hold.id,
    scope: hold.scope,
    reason: hold.reason,
    createdAt: hold.createdAt,
    createdBy: hold.createdBy,
    ...(hold.episodeId ? { episodeId: hold.episodeId } : {}),
  });
}

/** A scope written one way: `{channels, campaigns}` sorted and without repeats. */
function canonicalScope(scope: HoldScope): string {
  if (scope === 'all') return 'all';
  const sorted = (ids: readonly string[]) => [...new Set(ids)].sort();
  return JSON.stringify({ channels: sorted(scope.channels), campaigns: sorted(scope.campaigns) });
}

const sameRequest = (hold: Hold, input: HoldInput) =>
  hold.reason === input.reason && canonicalScope(hold.scope) === canonicalScope(input.scope);

/**
 * The id a request's hold gets: its minute and a hash of its scope and reason, so two copies of
 * one request sent within the same minute (a client retrying at once, two tabs) race for the same
 * item and only one is written.
 */
export function requestHoldId(input: HoldInput, now: Date): string {
  const digest = createHash('sha256')
    .update(`${canonicalScope(input.scope)}\n${input.reason}`)
    .digest('hex');
  return newHoldId(now).replace(/-[0-9a-f]{6}$/, `-${digest.slice(0, 6)}`);
}

export interface StartedHold {
  hold: Hold;
  /** False when an active hold with the same scope and reason answered the request instead. */
  created: boolean;
  /** Whether `Hold Started` is on the bus now; when not, `deliveryError` says why. */
  eventDelivered: boolean;
  deliveryError?: unknown;
}

/**
 * Starts a hold: validated, written (visible to the next Dispatcher read the moment this
 * returns), then announced with `Hold Started`.
 *
 * The hold is what matters in a crisis, so a bus that refuses the event (after the publisher's
 * own retries with backoff) does not undo or hide it: the hold stays written with
 * `announced: false` and the answer says `eventDelivered: false`.
 *
 * Repeats: a request whose scope and reason match an active hold gets that hold back instead of
 * a second one (announcing it if its first announcement failed). Dedupe by content rather than by
 * an idempotency key because the retry to guard against is a person or a script re-sending the
 * same command in a hurry, which no key would accompany; and two active holds with one scope and
 * reason would hold nothing more than one, but would need two releases. A different reason is a
 * different hold.
 */
export async function startHold(input: HoldInput, createdBy: string, deps: HoldDeps): Promise<StartedHold> {
  await checkScope(input.scope, deps.store);
  const now = deps.now();
  const existing = (await deps.store.listHolds()).find((hold) => isActive(hold) && sameRequest(hold, input));
  if (existing) return { ...(await announce(existing, deps)), created: false };
  const hold: Hold = {
    id: requestHoldId(input, now),
    scope: input.scope,
    reason: input.reason,
    createdAt: now.toISOString(),
    createdBy,
    announced: false,
    version: 1,
  };
  if (!(await deps.store.createHold(hold))) {
    const raced = await deps.store.getHold(hold.id);
    if (raced && isActive(raced) && sameRequest(raced, input)) {
      return { ...(await announce(raced, deps)), created: false };
    }
    // The same request was held and released within this minute: this is a new hold.
    hold.id = newHoldId(now);
    if (!(await deps.store.createHold(hold))) throw new VersionConflictError('hold', hold.id);
  }
  return { ...(await announce(hold, deps)), created: true };
}

/**
 * Puts `Hold Started` on the bus unless the hold says it is there, then records that it is. The
 * event id is the hold's, so a second announcement (a retry racing this one) is sent once by the
 * notifier. A release between the put and the flag's write wins: the flag stays false on a
 * released hold, which no one announces again.
 */
async function announce(hold: Hold, deps: HoldDeps): Promise<Omit<StartedHold, 'created'>> {
  if (hold.announced !== false) return { hold, eventDelivered: true };
  try {
    await deps.events.publish([holdStartedEvent(hold)]);
  } catch (error) {
    return { hold, eventDelivered: false, deliveryError: error };
  }
  const announced: Hold = { ...hold, announced: true, version: hold.version + 1 };
  try {
    await deps.store.replaceHold(announced, hold.version);
    return { hold: announced, eventDelivered: true };
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    return { hold: (await deps.store.getHold(hold.id)) ?? hold, eventDelivered: true };
  }
}

/**
 * Releases a hold. Idempotent: releasing a released hold answers it as it is. Posts it HELD stay
 * HELD (a person reschedules or cancels each); posts not yet due go out on time again.
 */
export async function releaseHold(
  id: string,
  releasedBy: string,
  deps: Omit<HoldDeps, 'events'>,
): Promise<Hold> {
  for (let attempt = 0; ; attempt++) {
    const current = await deps.store.getHold(id);
    if (!current) throw new NotFoundError('hold', id);
    if (!isActive(current)) return current;
    const released: Hold = {
      ...current,
      releasedAt: deps.now().toISOString(),
      releasedBy,
      version: current.version + 1,
    };
    try {
      await deps.store.replaceHold(released, current.version);
      return released;
    } catch (error) {
      // Two releases at once: read again; the other one's release is the answer.
      if (!(error instanceof VersionConflictError) || attempt >= 2) throw error;
    }
  }
}

export const HoldListQuery = z.strictObject({
  status: z.enum(['active', 'released']).optional(),
});

/** Every hold, newest first, optionally only the active or the released ones. */
export async function listHolds(store: HoldStore, status?: 'active' | 'released'): Promise<Hold[]> {
  const holds = await store.listHolds();
  if (!status) return holds;
  return holds.filter((hold) => isActive(hold) === (status === 'active'));
}
