import { DateTime } from 'luxon';
import * as z from 'zod';
import { Platform, Slug, UtcInstant } from '../domain/index.ts';
import { BadRequestError } from '../errors.ts';
import type { Mention, OwnReply } from './model.ts';
import type { BusinessHours, ListeningSettings } from './settings.ts';
import { subjectsOf } from './settings.ts';

/**
 * Share of voice and response figures over stored mentions (GET /v1/listening/share-of-voice and
 * /v1/listening/responses, the goal metrics and the digest section all read these).
 */

const MAX_DAYS = 366;

export const ShareOfVoiceQuery = z.strictObject({
  from: UtcInstant,
  to: UtcInstant,
  platform: Platform.optional(),
  interval: z.enum(['day', 'week']).default('day'),
});
export type ShareOfVoiceQuery = z.infer<typeof ShareOfVoiceQuery>;

export const ResponsesQuery = z.strictObject({
  from: UtcInstant,
  to: UtcInstant,
  channel: Slug.optional(),
});
export type ResponsesQuery = z.infer<typeof ResponsesQuery>;

/** `from` before `to`, at most a year apart: anything else is the caller's mistake. */
export function checkPeriod(query: { from: string; to: string }): void {
  const days = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000;
  if (!(days > 0)) {
    throw new BadRequestError('from must be before to', [{ column: 'to', message: 'must be after from' }]);
  }
  if (days > MAX_DAYS) {
    throw new BadRequestError(`the period may be at most ${MAX_DAYS} days`, [
      { column: 'to', message: `is ${Math.ceil(days)} days after from` },
    ]);
  }
}

export interface Shares {
  total: number;
  counts: Record<string, number>;
  /** Per subject, its count ÷ the total of all subjects (0..1); absent when nothing was counted. */
  shares: Record<string, number>;
}

export interface ShareOfVoice extends Shares {
  from: string;
  to: string;
  interval: 'day' | 'week';
  platform?: Platform;
  subjects: { id: string; name: string }[];
  intervals: (Shares & { from: string; to: string })[];
  assumptions: string[];
}

function shares(mentions: readonly Mention[], ids: readonly string[]): Shares {
  const counts: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (const mention of mentions) {
    for (const subject of mention.subjects)
      if (subject in counts) counts[subject] = (counts[subject] ?? 0) + 1;
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const result: Record<string, number> = {};
  if (total > 0) for (const id of ids) result[id] = Math.round(((counts[id] ?? 0) / total) * 10_000) / 10_000;
  return { total, counts, shares: result };
}

/** Counts and shares per subject per interval (UTC days, or weeks from `from`), plus the totals. */
export function shareOfVoice(
  query: ShareOfVoiceQuery,
  settings: ListeningSettings,
  mentions: readonly Mention[],
): ShareOfVoice {
  checkPeriod(query);
  const subjects = subjectsOf(settings).map(({ id, name }) => ({ id, name }));
  const ids = subjects.map((s) => s.id);
  const kept = mentions.filter(
    (m) =>
      m.createdAt >= query.from &&
      m.createdAt < query.to &&
      (!query.platform || m.platform === query.platform),
  );
  const step = (query.interval === 'week' ? 7 : 1) * 86_400_000;
  const intervals: ShareOfVoice['intervals'] = [];
  for (let start = Date.parse(query.from); start < Date.parse(query.to); start += step) {
    const from = new Date(start).toISOString();
    const to = new Date(Math.min(start + step, Date.parse(query.to))).toISOString();
    intervals.push({
      from,
      to,
      ...shares(
        kept.filter((m) => m.createdAt >= from && m.createdAt < to),
        ids,
      ),
    });
  }
  return {
    from: query.from,
    to: query.to,
    interval: query.interval,
    ...(query.platform ? { platform: query.platform } : {}),
    subjects,
    ...shares(kept, ids),
    intervals,
    assumptions: [
      'Counts are posts found by platform search for each subject’s terms and handles, on the platforms listened on; a post about two subjects counts for both.',
      'Intervals are UTC days (or 7-day weeks from `from`); our own channels’ posts are not counted.',
      'Platforms whose search Pulsecast cannot use are not in these numbers (the Listener reports which).',
    ],
  };
}

export interface Responses {
  from: string;
  to: string;
  channel?: string;
  inbound: number;
  answered: number;
  /** answered ÷ inbound (absent with no inbound). */
  rate?: number;
  medianMinutes?: number;
  p90Minutes?: number;
  /** Whether some channel's minutes count business hours only. */
  businessHours: boolean;
  assumptions: string[];
}

/**
 * Whether `reply` answers `mention`: it sits below the mention in its thread — replies to it,
 * to a reply to it at any depth (Mastodon, where the chain above our reply was read), or in the
 * thread the mention started. A reply elsewhere in the same thread (to a different person's post
 * beside the mention) does not answer it.
 */
export function answers(reply: OwnReply, mention: Mention): boolean {
  if (reply.platform !== mention.platform || reply.createdAt <= mention.createdAt) return false;
  return (
    reply.replyTo === mention.id ||
    reply.threadRoot === mention.id ||
    (reply.ancestors?.includes(mention.id) ?? false)
  );
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return Math.round((a + (b - a) * (rank - low)) * 10) / 10;
}

/** Minutes between two instants that fall inside business hours (all minutes without them). */
export function responseMinutes(from: string, to: string, hours: BusinessHours | undefined): number {
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (!hours) return (end - start) / 60_000;
  let total = 0;
  let day = DateTime.fromMillis(start, { zone: hours.timezone }).startOf('day');
  const days = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
  while (day.toMillis() < end) {
    if (hours.days.includes(days[day.weekday - 1] as BusinessHours['days'][number])) {
      const [fh, fm] = hours.from.split(':').map(Number) as [number, number];
      const [th, tm] = hours.to.split(':').map(Number) as [number, number];
      const open = day.set({ hour: fh, minute: fm }).toMillis();
      const close = (th === 24 ? day.plus({ days: 1 }) : day.set({ hour: th, minute: tm })).toMillis();
      total += Math.max(0, Math.min(close, end) - Math.max(open, start));
    }
    day = day.plus({ days: 1 });
  }
  return total / 60_000;
}

/**
 * Inbound posts created in [from, to) and how our channels answered them: answered when a reply
 * from any of our channels on that platform answers it (see `answers`), whenever it came.
 */
export function responses(
  query: ResponsesQuery,
  settings: ListeningSettings | undefined,
  mentions: readonly Mention[],
  replies: readonly OwnReply[],
): Responses {
  checkPeriod(query);
  const inbound = mentions.filter(
    (m) =>
      m.inbound &&
      m.createdAt >= query.from &&
      m.createdAt < query.to &&
      (!query.channel || m.inbound.channel === query.channel),
  );
  const minutes: number[] = [];
  let usesHours = false;
  for (const mention of inbound) {
    const first = replies
      .filter((reply) => answers(reply, mention))
      .reduce<OwnReply | undefined>((a, b) => (!a || b.createdAt < a.createdAt ? b : a), undefined);
    if (!first) continue;
    const hours = settings?.channels[mention.inbound?.channel ?? '']?.businessHours;
    if (hours) usesHours = true;
    minutes.push(responseMinutes(mention.createdAt, first.createdAt, hours));
  }
  minutes.sort((a, b) => a - b);
  const median = percentile(minutes, 0.5);
  const p90 = percentile(minutes, 0.9);
  return {
    from: query.from,
    to: query.to,
    ...(query.channel ? { channel: query.channel } : {}),
    inbound: inbound.length,
    answered: minutes.length,
    ...(inbound.length ? { rate: Math.round((minutes.length / inbound.length) * 1000) / 1000 } : {}),
    ...(median !== undefined ? { medianMinutes: median } : {}),
    ...(p90 !== undefined ? { p90Minutes: p90 } : {}),
    businessHours: usesHours,
    assumptions: [
      'Inbound: replies, mentions and quotes addressed to our channels on platforms whose notifications Pulsecast reads.',
      'Answered: one of our channels (any of them) replied to the post or below it in its thread, or in the thread it started; replies are read up to now, so recent posts may still be answered.',
      usesHours
        ? 'Minutes count only the business hours set for the channel the post was addressed to.'
        : 'Minutes are wall-clock minutes (no business hours set).',
    ],
  };
}
