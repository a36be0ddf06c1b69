import { randomBytes } from 'node:crypto';
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

/**
 * Starts a hold: validated, written (visible to the next Dispatcher read the moment this
 * returns), then announced with `Hold Started`.
 */
export async function startHold(input: HoldInput, createdBy: string, deps: HoldDeps): Promise<Hold> {
  await checkScope(input.scope, deps.store);
  const now = deps.now();
  const hold: Hold = {
    id: newHoldId(now),
    scope: input.scope,
    reason: input.reason,
    createdAt: now.toISOString(),
    createdBy,
    version: 1,
  };
  if (!(await deps.store.createHold(hold))) throw new VersionConflictError('hold', hold.id);
  await deps.events.publish([holdStartedEvent(hold)]);
  return hold;
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
