import type { Channel, Post } from '../domain/index.ts';
import { makeEvent, type PulsecastEvent } from '../events.ts';

// The events a post's publishing outcome raises, and the post fields every one of them carries.

/**
 * Tells one round's events apart from the next's: a post rescheduled by a person may fail again,
 * and that failure must not be dropped as a repeat of the first.
 */
export const roundTag = (round: number | undefined) => (round ? `:r${round}` : '');

export type Ref = {
  postId: string;
  channel: string;
  platform: Channel['platform'];
  scheduledAt: string;
  campaign?: string;
};

/** What every post event says of its post. */
export function postRef(post: Post, platform: Channel['platform']): Ref {
  return {
    postId: post.id,
    channel: post.channel,
    platform,
    scheduledAt: post.scheduledAt,
    ...(post.campaign ? { campaign: post.campaign } : {}),
  };
}

export function publishedEvent(post: Post, ref: Ref): PulsecastEvent {
  const publishedAt = post.publishedAt ?? post.updatedAt;
  return makeEvent('Post Published', {
    ...ref,
    eventId: `${post.id}:published`,
    occurredAt: publishedAt,
    platformPostId: post.platformPostId ?? '',
    platformUrl: post.platformUrl ?? '',
    publishedAt,
    latenessSeconds: (Date.parse(publishedAt) - Date.parse(post.scheduledAt)) / 1000,
  });
}

export function failedEvents(
  outcome: { reason: string; errorKind: string; needsAttention?: boolean },
  ref: Ref,
  now: string,
  round: number | undefined,
): PulsecastEvent[] {
  const events: PulsecastEvent[] = [
    makeEvent('Post Failed', {
      ...ref,
      eventId: `${ref.postId}:failed${roundTag(round)}`,
      occurredAt: now,
      reason: outcome.reason,
      errorKind: outcome.errorKind,
    }),
  ];
  if (outcome.needsAttention) {
    events.push(
      makeEvent('Channel Needs Attention', {
        eventId: `${ref.channel}:attention:${ref.postId}`,
        occurredAt: now,
        channel: ref.channel,
        platform: ref.platform,
        reason: outcome.reason,
        postId: ref.postId,
      }),
    );
  }
  return events;
}

export function unknownEvent(post: Post, ref: Ref, now: string): PulsecastEvent {
  return makeEvent('Post Outcome Unknown', {
    ...ref,
    eventId: `${post.id}:unknown${roundTag(post.publishRound)}`,
    occurredAt: now,
    reason: post.failureReason ?? 'outcome unknown',
    reconcilable: post.reconcileAt !== undefined,
  });
}
