import { DateTime } from 'luxon';

/**
 * Calendar days in a time zone. Goal windows are whole local days
 * (docs/architecture.md#goals-and-recommendations), and a local day is not always 24 hours long
 * (DST), so every conversion between instants and days goes through the zone.
 */

/** The local date (`2026-04-01`) of an instant in a zone. */
export function localDate(instant: Date | string, zone: string): string {
  const at = typeof instant === 'string' ? new Date(instant) : instant;
  return DateTime.fromJSDate(at, { zone }).toISODate() as string;
}

/** The instant (epoch ms) a local date starts at in a zone. */
export function dayStartMs(date: string, zone: string): number {
  return DateTime.fromISO(date, { zone }).startOf('day').toMillis();
}

/** The instant (epoch ms) a local date reaches `hour`:00 in a zone (DST-aware). */
export function localHourMs(date: string, hour: number, zone: string): number {
  return DateTime.fromISO(date, { zone }).set({ hour, minute: 0, second: 0, millisecond: 0 }).toMillis();
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() as string;
}

/** Calendar days from `a` to `b` (`b − a`; negative when `b` is earlier). */
export function daysBetween(a: string, b: string): number {
  return Math.round(
    DateTime.fromISO(b, { zone: 'UTC' }).diff(DateTime.fromISO(a, { zone: 'UTC' }), 'days').days,
  );
}

/** Length of a window of inclusive dates, in days. */
export function windowDays(window: { from: string; to: string }): number {
  return daysBetween(window.from, window.to) + 1;
}

/** The share of its local day that has passed at `now` (0 at midnight; DST-aware). */
export function fractionOfDay(now: Date, zone: string): number {
  const date = localDate(now, zone);
  const start = dayStartMs(date, zone);
  const end = dayStartMs(addDays(date, 1), zone);
  return (now.getTime() - start) / (end - start);
}

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Hour of the week in a zone: 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00. */
export function hourOfWeek(instant: Date | string, zone: string): number {
  const at = typeof instant === 'string' ? new Date(instant) : instant;
  const local = DateTime.fromJSDate(at, { zone });
  return (local.weekday - 1) * 24 + local.hour;
}
