import type { Post } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { announcing, type EventPublisher, makeEvent, type PulsecastEvent } from '../events.ts';
import type { PlatformAdapter } from '../platforms/port.ts';
import { DUE_KINDS } from '../store/keys.ts';
import { postRef, roundTag } from './post-events.ts';
import { type PublishDeps, RECONCILE_DELAYS_MS, withoutClaim, write } from './publish.ts';

export interface RecoverDeps extends PublishDeps {
  events: EventPublisher;
}

export interface RecoverSummary {
  released: number;
  unknown: number;
  reconciled: number;
  stillUnknown: number;
}

/**
 * The sweep that keeps posts from getting stuck (the peers' "stuck at Publishing"):
 * - a claim whose lease ran out while QUEUED made no platform call: release it to SCHEDULED,
 *   and the same sweep's claim picks it up again;
 * - one that ran out while PUBLISHING may have reached the platform: UNKNOWN, announced;
 * - UNKNOWN posts due for reconciliation are looked up on the platform: found → PUBLISHED;
 *   not found → looked up again later, and after the last try left to a person.
 */
export async function recoverStalled(deps: RecoverDeps, limit = 500): Promise<RecoverSummary> {
  const now = deps.now();
  const summary: RecoverSummary = { released: 0, unknown: 0, reconciled: 0, stillUnknown: 0 };
  // A write that landed is announced even if a later one failed (throttling, say): the event
  // would otherwise be lost, since the next sweep no longer sees that post as due.
  await announcing(deps.events, (events) => sweep(deps, limit, now, summary, events));
  return summary;
}

async function sweep(
  deps: RecoverDeps,
  limit: number,
  now: Date,
  summary: RecoverSummary,
  events: PulsecastEvent[],
): Promise<void> {
  const nowIso = now.toISOString();
  const expired = await deps.store.dueWork(DUE_KINDS.lease, nowIso, { limit });
  for (const stale of expired.items) {
    const post = await deps.store.getPost(stale.id);
    if (!post?.leaseUntil || post.leaseUntil > nowIso) continue;
    try {
      if (post.status === 'QUEUED') {
        await write(
          deps.store,
          { ...withoutClaim(post), status: 'SCHEDULED', version: post.version + 1, updatedAt: nowIso },
          post,
          ['QUEUED'],
        );
        summary.released++;
      } else if (post.status === 'PUBLISHING') {
        const channel = await deps.store.getChannel(post.channel);
        const adapter = channel ? deps.adapterFor(channel.platform) : undefined;
        const reconcilable = adapter?.capabilities.lookup === true && adapter.lookup !== undefined;
        const unknown: Post = {
          ...withoutClaim(post),
          status: 'UNKNOWN',
          failureReason: 'the Dispatcher stopped during the platform call; the post may or may not be live',
          ...(reconcilable ? { reconcileAt: nowIso, reconcileAttempts: 0 } : {}),
          version: post.version + 1,
          updatedAt: nowIso,
        };
        await write(deps.store, unknown, post, ['PUBLISHING']);
        summary.unknown++;
        events.push(
          makeEvent('Post Outcome Unknown', {
            ...postRef(post, channel?.platform ?? 'x'),
            eventId: `${post.id}:unknown${roundTag(post.publishRound)}`,
            occurredAt: nowIso,
            reason: unknown.failureReason ?? '',
            reconcilable,
          }),
        );
      }
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }

  const due = await deps.store.dueWork(DUE_KINDS.reconcile, nowIso, { limit });
  for (const candidate of due.items) {
    const post = await deps.store.getPost(candidate.id);
    if (post?.status !== 'UNKNOWN' || !post.reconcileAt || post.reconcileAt > nowIso) continue;
    const channel = await deps.store.getChannel(post.channel);
    const adapter = channel ? deps.adapterFor(channel.platform) : undefined;
    if (!channel || !adapter?.lookup) continue;
    let found: Awaited<ReturnType<NonNullable<PlatformAdapter['lookup']>>>;
    try {
      found = await adapter.lookup(post, channel, deps.credentials);
    } catch {
      found = undefined; // a failed lookup is a miss for now; it is tried again later
    }
    try {
      if (found) {
        const publishedAt = post.updatedAt;
        const published: Post = {
          ...post,
          status: 'PUBLISHED',
          platformPostId: found.platformPostId,
          platformUrl: found.platformUrl,
          publishedAt,
          reconcileAt: undefined,
          failureReason: undefined,
          version: post.version + 1,
          updatedAt: nowIso,
        };
        await write(deps.store, published, post, ['UNKNOWN']);
        summary.reconciled++;
        events.push(
          makeEvent('Post Published', {
            ...postRef(post, channel.platform),
            eventId: `${post.id}:published`,
            occurredAt: nowIso,
            platformPostId: found.platformPostId,
            platformUrl: found.platformUrl,
            publishedAt,
            latenessSeconds: (Date.parse(publishedAt) - Date.parse(post.scheduledAt)) / 1000,
          }),
        );
      } else {
        const attempts = (post.reconcileAttempts ?? 0) + 1;
        const delay = RECONCILE_DELAYS_MS[attempts];
        // After the last look, a person decides (retry or give up): no further automatic lookups.
        const next: Post = {
          ...post,
          reconcileAttempts: attempts,
          reconcileAt: delay === undefined ? undefined : new Date(now.getTime() + delay).toISOString(),
          version: post.version + 1,
          updatedAt: nowIso,
        };
        await write(deps.store, next, post, ['UNKNOWN']);
        summary.stillUnknown++;
      }
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}
