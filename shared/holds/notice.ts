import type { EventDetail } from '../events.ts';
import { type Fact, localTime, type Notice } from '../notify/notice.ts';

/** Posts one message lists by name; the rest are counted (the digest and the API list them all). */
const LISTED = 10;

export function describeScope(scope: EventDetail<'Hold Started'>['scope']): string {
  if (scope === 'all') return 'every post on every channel';
  const parts = [
    ...(scope.channels.length > 0 ? [`channels ${scope.channels.join(', ')}`] : []),
    ...(scope.campaigns.length > 0 ? [`campaigns ${scope.campaigns.join(', ')}`] : []),
  ];
  return `posts on ${parts.join(' and posts of ')}`;
}

/** The message for `Hold Started`: who stopped what, why, and how to lift it. */
export function holdStartedNotice(
  d: EventDetail<'Hold Started'>,
  base: Pick<Notice, 'id' | 'footer' | 'links'>,
  timezone: string,
): Notice {
  return {
    ...base,
    severity: 'critical',
    title: `Publishing is on hold: ${describeScope(d.scope)}`,
    summary: [
      d.reason,
      'Nothing in this scope is published while the hold lasts; posts that fall due meanwhile become HELD and wait for a person (they are not published on release).',
      `Lift it: pulsecast release ${d.holdId}  (API: DELETE /v1/holds/${d.holdId})`,
    ].join('\n'),
    facts: [
      { label: 'Hold', value: d.holdId },
      { label: 'Started', value: localTime(d.createdAt, timezone) },
      { label: 'By', value: d.createdBy },
      ...(d.episodeId ? [{ label: 'Spike episode', value: d.episodeId }] : []),
    ],
  };
}

/** The message for `Posts Held`: which posts did not go out, and what a person does with each. */
export function postsHeldNotice(
  d: EventDetail<'Posts Held'>,
  base: Pick<Notice, 'id' | 'footer' | 'links'>,
  timezone: string,
): Notice {
  const count = d.posts.length;
  const listed: Fact[] = d.posts.slice(0, LISTED).map((post) => ({
    label: post.postId,
    value: `${post.channel}, due ${localTime(post.scheduledAt, timezone)}${post.campaign ? `, ${post.campaign}` : ''}`,
  }));
  return {
    ...base,
    severity: 'warning',
    title: `${count} post${count === 1 ? '' : 's'} held by ${d.holdIds.join(', ')}`,
    summary: [
      `${count === 1 ? 'This post was' : 'These posts were'} due while a crisis hold covered ${count === 1 ? 'it' : 'them'} and did not go out. ${count === 1 ? 'It stays' : 'They stay'} HELD, even after the hold is released, until a person decides:`,
      '  still right: pulsecast posts reschedule <post> --at <ISO time>',
      '  not any more: pulsecast posts cancel <post>',
      ...(count > LISTED ? [`${count - LISTED} more: pulsecast posts list --status HELD`] : []),
    ].join('\n'),
    facts: listed,
  };
}
