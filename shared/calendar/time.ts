import { IANAZone } from 'luxon';

/**
 * Turning what a marketer typed into a calendar cell into the UTC instant Pulsecast stores.
 *
 * Two shapes are accepted:
 * - an ISO-8601 date-time with `Z` or an offset (`2026-03-29T09:00:00+02:00`): unambiguous, the
 *   time zone is not needed;
 * - a local date-time (`2026-03-29T09:00`, `2026-03-29 09:00:00`) read in an IANA time zone.
 *
 * Local times are where scheduling tools go wrong (peers moved posts by an hour when a process
 * time zone setting failed, or saved a +05:30 user's post at the wrong time), so this module
 * never guesses silently: a time inside a DST gap is refused with the nearest valid times, and a
 * time inside a DST overlap takes the earlier instant and says so.
 */

export type ScheduledTimeResult =
  | { ok: true; instant: string; warning?: string }
  | { ok: false; message: string };

/** Years outside this range are almost always typos (0026, 20026) in a posting calendar. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2100;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The widest UTC offsets in use are -12:00 and +14:00. */
const MAX_OFFSET_MINUTES = 14 * 60;

const EXAMPLE_HINT =
  'use 2026-02-03T10:00 (with a time zone) or with an offset, e.g. 2026-02-03T10:00:00+01:00';

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * `YYYY-MM-DD`, then `T` or spaces, then `HH:mm[:ss[.fff]]`, then optionally `Z` or an offset
 * (`+02:00`, `+0200`, `+02`). Anchored, with no nested quantifiers, so it runs in linear time on
 * any input.
 */
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt]| +)(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: *([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

/** A date and time of day as a clock on the wall shows it, in no particular zone. */
export interface WallClockTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

interface LocalParts extends WallClockTime {
  millisecond: number;
}

/**
 * Resolve a calendar cell to a UTC instant (`2026-03-29T07:00:00.000Z`).
 *
 * `timezone` is only consulted when the value has no offset; it must then be an IANA name.
 */
export function resolveScheduledTime(value: string, timezone: string | undefined): ScheduledTimeResult {
  const trimmed = value.trim();
  if (trimmed === '') {
    return { ok: false, message: `the scheduled time is empty; ${EXAMPLE_HINT}` };
  }
  const match = DATE_TIME_RE.exec(trimmed);
  if (!match) {
    return {
      ok: false,
      message: `${quote(trimmed)} is not a date-time; ${EXAMPLE_HINT}${slashHint(trimmed)}`,
    };
  }
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const parts: LocalParts = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: s === undefined ? 0 : Number(s),
    millisecond: fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')),
  };
  if (parts.year < MIN_YEAR || parts.year > MAX_YEAR) {
    return {
      ok: false,
      message: `${quote(trimmed)} has the year ${y}, which is out of range; use a year from ${MIN_YEAR} to ${MAX_YEAR}`,
    };
  }
  const problem = checkParts(parts);
  if (problem) return { ok: false, message: `${quote(trimmed)} is not a real date-time: ${problem}` };

  if (offset !== undefined) {
    const offsetMinutes = parseOffset(offset);
    if (offsetMinutes === undefined) {
      return {
        ok: false,
        message: `${quote(trimmed)} has the offset ${offset}, which no place on Earth uses (offsets run from -12:00 to +14:00)`,
      };
    }
    return { ok: true, instant: new Date(wallClockMs(parts) - offsetMinutes * MINUTE_MS).toISOString() };
  }

  if (timezone === undefined || timezone.trim() === '') {
    return {
      ok: false,
      message: `${quote(trimmed)} is a local time but no time zone was given; add a timezone (for example Europe/Berlin) or write the time with an offset, e.g. ${trimmed.replace(' ', 'T')}+01:00`,
    };
  }
  const zoneName = timezone.trim();
  const zone = IANAZone.create(zoneName);
  if (!zone.isValid) {
    return {
      ok: false,
      message: `${quote(zoneName)} is not a time zone name we know; use an IANA name such as Europe/Berlin, America/New_York or Asia/Kolkata`,
    };
  }
  return resolveLocal(parts, zone, zoneName);
}

/**
 * Find every instant whose wall clock in `zone` reads `parts`.
 *
 * A zone's offset is constant except at transitions, so each candidate is "wall clock minus one
 * of the offsets in force around that time"; a candidate is real when the zone's offset at that
 * instant is the offset it was built from. None real: the time falls in a gap (clocks jumped
 * forward). Two real: it falls in an overlap (clocks went back) and happens twice.
 */
function resolveLocal(parts: LocalParts, zone: IANAZone, zoneName: string): ScheduledTimeResult {
  const wall = wallClockMs(parts);
  const offsets = new Set<number>();
  // Any instant with this wall clock lies within ±14 h of it; sampling every 6 h over ±18 h
  // sees the offsets on both sides of any transition that can matter.
  for (let hours = -18; hours <= 18; hours += 6) offsets.add(zone.offset(wall + hours * HOUR_MS));
  const candidates = [...offsets]
    .map((offset) => ({ offset, instant: wall - offset * MINUTE_MS }))
    .filter(({ offset, instant }) => zone.offset(instant) === offset)
    .sort((a, b) => a.instant - b.instant);

  const first = candidates[0];
  if (first === undefined) return gapError(parts, zone, zoneName, [...offsets]);

  const instant = new Date(first.instant).toISOString();
  const last = candidates[candidates.length - 1];
  if (last === undefined || last === first) return { ok: true, instant };

  // An overlap: the earlier instant is the one a person reading the calendar meets first.
  const transition = findTransition(zone, first.instant, last.instant);
  return {
    ok: true,
    instant,
    warning:
      `${formatLocal(parts)} happens twice in ${zoneName}: the clock goes back from ` +
      `${formatClock(transition + first.offset * MINUTE_MS)} to ${formatClock(transition + last.offset * MINUTE_MS)} that night. ` +
      `The first one was used, at UTC${formatOffset(first.offset)} (${instant}); ` +
      `to mean the second one, write ${isoLocal(parts)}${formatOffset(last.offset)}.`,
  };
}

function gapError(
  parts: LocalParts,
  zone: IANAZone,
  zoneName: string,
  offsets: number[],
): ScheduledTimeResult {
  const wall = wallClockMs(parts);
  const before = Math.min(...offsets);
  const after = Math.max(...offsets);
  // In a gap the instant built from the new (larger) offset is still on the old offset and the
  // one built from the old offset is already on the new one: the jump lies between them.
  const transition = findTransition(zone, wall - after * MINUTE_MS, wall - before * MINUTE_MS);
  const jumpFrom = transition + zone.offset(transition - MINUTE_MS) * MINUTE_MS;
  const jumpTo = transition + zone.offset(transition) * MINUTE_MS;
  const day = isoLocal(parts).slice(0, 10);
  // Name the date too when the jump crosses midnight (Pacific/Apia skipped a whole day in 2011).
  const show = (wallMs: number) =>
    new Date(wallMs).toISOString().slice(0, 10) === day ? formatClock(wallMs) : formatWall(wallMs);
  return {
    ok: false,
    message:
      `${formatLocal(parts)} does not exist in ${zoneName}: the clock jumps from ${show(jumpFrom)} straight to ${show(jumpTo)} that night. ` +
      `The nearest valid times are ${show(jumpFrom - MINUTE_MS)} and ${show(jumpTo)}; pick one, or write the time with an offset.`,
  };
}

/**
 * The first whole minute at which the zone's offset differs from its offset at `lo`, given that
 * the offsets at `lo` and `hi` (UTC milliseconds, lo < hi) differ. Zone transitions fall on whole
 * minutes, so bisection to one minute is exact.
 */
function findTransition(zone: IANAZone, lo: number, hi: number): number {
  const startOffset = zone.offset(lo);
  let low = lo;
  let high = hi;
  while (high - low > MINUTE_MS) {
    const mid = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (zone.offset(mid) === startOffset) low = mid;
    else high = mid;
  }
  return high;
}

/** Why a set of date-time parts is not a real date-time, or undefined when it is. */
function checkParts(parts: LocalParts): string | undefined {
  const { year, month, day, hour, minute, second } = parts;
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    return day < 1 ? 'days start at 01' : `${MONTH_NAMES[month - 1]} ${year} has ${days} days`;
  }
  if (hour > 23) return 'hours run from 00 to 23';
  if (minute > 59) return 'minutes run from 00 to 59';
  if (second > 59) return 'seconds run from 00 to 59';
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `+05:30` / `-0330` / `+02` / `Z` → minutes east of UTC, or undefined if impossible. */
function parseOffset(offset: string): number | undefined {
  if (offset === 'Z' || offset === 'z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (minutes > 59) return undefined;
  const total = hours * 60 + minutes;
  if (sign > 0 ? total > MAX_OFFSET_MINUTES : total > 12 * 60) return undefined;
  return sign * total;
}

/** The local wall-clock reading as if it were UTC: the base for "wall minus offset". */
function wallClockMs(parts: LocalParts): number {
  const date = new Date(0);
  // setUTCFullYear avoids Date.UTC's mapping of years 0–99 to 1900–1999.
  date.setUTCFullYear(parts.year, parts.month - 1, parts.day);
  date.setUTCHours(parts.hour, parts.minute, parts.second, parts.millisecond);
  return date.getTime();
}

/** `+02:00`, `-03:30`, `+05:45` from minutes east of UTC. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function isoLocal(parts: LocalParts): string {
  const date = `${String(parts.year).padStart(4, '0')}-${pad2(parts.month)}-${pad2(parts.day)}`;
  return `${date}T${pad2(parts.hour)}:${pad2(parts.minute)}:${pad2(parts.second)}`;
}

/** `2026-03-29 02:30` (seconds only when given) — how a person would write it back. */
function formatLocal(parts: LocalParts): string {
  const base = isoLocal(parts).replace('T', ' ');
  return parts.second === 0 ? base.slice(0, 16) : base;
}

/** `HH:mm` of a wall-clock value held as UTC milliseconds. */
function formatClock(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(11, 16);
}

/** `YYYY-MM-DD HH:mm` of a wall-clock value held as UTC milliseconds. */
function formatWall(wallMs: number): string {
  const iso = new Date(wallMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function quote(value: string): string {
  return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
}

/** Day-first and month-first dates look alike; tell the marketer which order we read. */
function slashHint(value: string): string {
  return /^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}/.test(value) ? ' (dates are written year first: YYYY-MM-DD)' : '';
}

// ---------------------------------------------------------------------------------------------
// Patterns for the date formats of other tools' exports (Hootsuite, Sprout Social).
// ---------------------------------------------------------------------------------------------

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

interface CompiledPattern {
  regex: RegExp;
  fields: Field[];
}

/** Tokens in the Unicode/luxon style that calendars exported by spreadsheets use. */
const TOKENS: { token: string; field: Field; digits: string }[] = [
  { token: 'yyyy', field: 'year', digits: '\\d{4}' },
  { token: 'MM', field: 'month', digits: '\\d{2}' },
  { token: 'M', field: 'month', digits: '\\d{1,2}' },
  { token: 'dd', field: 'day', digits: '\\d{2}' },
  { token: 'd', field: 'day', digits: '\\d{1,2}' },
  { token: 'HH', field: 'hour', digits: '\\d{2}' },
  { token: 'H', field: 'hour', digits: '\\d{1,2}' },
  { token: 'mm', field: 'minute', digits: '\\d{2}' },
  { token: 'ss', field: 'second', digits: '\\d{2}' },
];

const compiled = new Map<string, CompiledPattern | string>();

/** Compile a pattern once; a string result is the reason the pattern is not supported. */
function compilePattern(pattern: string): CompiledPattern | string {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  let source = '';
  const fields: Field[] = [];
  let problem: string | undefined;
  let i = 0;
  while (i < pattern.length && problem === undefined) {
    const rest = pattern.slice(i);
    if (rest.startsWith("'")) {
      // A quoted literal, as in yyyy-MM-dd'T'HH:mm.
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) problem = `the date format ${quote(pattern)} has an unclosed quote`;
      else {
        source += escapeRegex(pattern.slice(i + 1, end));
        i = end + 1;
      }
      continue;
    }
    const token = TOKENS.find((t) => rest.startsWith(t.token));
    if (token) {
      if (fields.includes(token.field))
        problem = `the date format ${quote(pattern)} names the ${token.field} twice`;
      fields.push(token.field);
      source += `(${token.digits})`;
      i += token.token.length;
      continue;
    }
    const char = pattern[i] ?? '';
    if (/[A-Za-z]/.test(char)) {
      problem = `the date format ${quote(pattern)} uses '${char}', which is not supported (use yyyy, MM, M, dd, d, HH, H, mm, ss)`;
    } else {
      // Be forgiving about the amount of white space between date and time, nothing else.
      source += char === ' ' ? ' +' : escapeRegex(char);
      i += 1;
    }
  }
  const result = problem ?? { regex: new RegExp(`^${source}$`), fields };
  compiled.set(pattern, result);
  return result;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Why `pattern` cannot be used for `kind`, or undefined when it can: a date-time pattern needs
 * year, month, day, hour and minute; a date pattern needs year, month and day and no time.
 */
export function checkDatePattern(pattern: string, kind: 'date-time' | 'date'): string | undefined {
  const result = compilePattern(pattern);
  if (typeof result === 'string') return result;
  const needed: Field[] =
    kind === 'date' ? ['year', 'month', 'day'] : ['year', 'month', 'day', 'hour', 'minute'];
  const missing = needed.filter((field) => !result.fields.includes(field));
  if (missing.length > 0) return `the date format ${quote(pattern)} has no ${missing.join(', ')}`;
  if (kind === 'date' && result.fields.some((f) => f === 'hour' || f === 'minute' || f === 'second')) {
    return `the date format ${quote(pattern)} should describe the date only (the time has its own column)`;
  }
  return undefined;
}

function matchPattern(value: string, pattern: string, kind: 'date-time' | 'date'): LocalParts | undefined {
  const problem = checkDatePattern(pattern, kind);
  if (problem !== undefined) throw new RangeError(problem);
  const compiledPattern = compilePattern(pattern) as CompiledPattern;
  const match = compiledPattern.regex.exec(value.trim());
  if (!match) return undefined;
  const parts: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0 };
  compiledPattern.fields.forEach((field, index) => {
    parts[field] = Number(match[index + 1]);
  });
  // The year's range is judged later, by resolveScheduledTime, with its own message.
  return checkParts(parts) === undefined ? parts : undefined;
}

/**
 * Read a local date-time written in `pattern` (e.g. `dd/MM/yyyy HH:mm`) strictly: the whole value
 * must match and be a real date-time. Returns `YYYY-MM-DDTHH:mm:ss` or undefined.
 * Throws a RangeError when the pattern itself is unsupported (see `checkDatePattern`).
 */
export function parseLocalDateTime(value: string, pattern: string): string | undefined {
  const parts = matchPattern(value, pattern, 'date-time');
  return parts && isoLocal(parts);
}

/** Like `parseLocalDateTime` for a date-only pattern (`MM/dd/yyyy`); returns `YYYY-MM-DD`. */
export function parseLocalDate(value: string, pattern: string): string | undefined {
  const parts = matchPattern(value, pattern, 'date');
  return parts && isoLocal(parts).slice(0, 10);
}

/** Write a sample date-time in `pattern`, for messages such as "use the format 25/03/2026 09:30". */
export function formatExample(pattern: string): string {
  const sample: Record<string, string> = {
    yyyy: '2026',
    MM: '03',
    M: '3',
    dd: '25',
    d: '25',
    HH: '09',
    H: '9',
    mm: '30',
    ss: '00',
  };
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const rest = pattern.slice(i);
    if (rest.startsWith("'")) {
      const end = pattern.indexOf("'", i + 1);
      out += pattern.slice(i + 1, end === -1 ? undefined : end);
      i = end === -1 ? pattern.length : end + 1;
      continue;
    }
    const token = TOKENS.find((t) => rest.startsWith(t.token));
    out += token ? sample[token.token] : rest[0];
    i += token ? token.token.length : 1;
  }
  return out;
}
