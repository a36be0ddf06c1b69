/**
 * EventBridge Scheduler schedule expressions, evaluated as the Scheduler documents them (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):
 *
 *  - `rate(value unit)`: a fixed duration (a day is 24 hours, whatever DST does), counted from the
 *    schedule's StartDate, or from when it starts (here: when local mode starts it).
 *  - `cron(minutes hours day-of-month month day-of-week year)` evaluated in
 *    `ScheduleExpressionTimezone`: wall-clock times that do not exist (spring forward) are skipped;
 *    wall-clock times that happen twice (fall back) run once, at the first occurrence.
 *    (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst; which of the two
 *    occurrences is not documented: the first is used.)
 *  - `at(yyyy-mm-ddThh:mm:ss)`: once, at that wall-clock time in the time zone.
 *
 * Cron fields follow https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
 * (`, - * / ?`, `L` and `W` in day-of-month, `L` and `#` in day-of-week; one of day-of-month and
 * day-of-week must be `?`). A cron or at fires exactly on its minute (the Scheduler's own precision
 * is a minute, and a flexible time window is not simulated); a rate fires exactly every interval.
 */

import type { WallClockTime } from '../../shared/calendar/time.ts';

export class ScheduleExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleExpressionError';
  }
}

interface ExpressionBase {
  expression: string;
  /** The first occurrence strictly after `instantMs`, or undefined when there is none. */
  nextAfter(instantMs: number): number | undefined;
}
export interface RateExpression extends ExpressionBase {
  kind: 'rate';
  intervalMs: number;
}
export interface CronExpression extends ExpressionBase {
  kind: 'cron';
  timezone: string;
}
export interface AtExpression extends ExpressionBase {
  kind: 'at';
  timezone: string;
  instantMs: number;
}
export type ScheduleExpression = RateExpression | CronExpression | AtExpression;

export interface ParseScheduleOptions {
  /** Where a rate's occurrences are counted from (its StartDate). @default 0 (the epoch) */
  anchorMs?: number;
}

/** Parses a Scheduler expression; throws {@link ScheduleExpressionError} naming what is wrong. */
export function parseScheduleExpression(
  expression: string,
  timezone = 'UTC',
  options: ParseScheduleOptions = {},
): ScheduleExpression {
  const match = /^\s*(rate|cron|at)\((.*)\)\s*$/.exec(expression);
  if (!match) {
    throw new ScheduleExpressionError(`"${expression}": expected rate(…), cron(…) or at(…)`);
  }
  const [, kind, body = ''] = match;
  if (kind === 'rate') return parseRate(expression, body, options.anchorMs ?? 0);
  const zone = checkTimezone(timezone, expression);
  if (kind === 'at') return parseAt(expression, body, zone);
  return parseCron(expression, body, zone);
}

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

function parseRate(expression: string, body: string, anchorMs: number): RateExpression {
  const match = /^\s*(\d+)\s+([a-z]+)\s*$/.exec(body);
  const unitMs = match ? UNIT_MS[match[2]!] : undefined;
  const value = Number(match?.[1]);
  if (!match || unitMs === undefined || !Number.isSafeInteger(value) || value < 1) {
    throw new ScheduleExpressionError(
      `"${expression}": a rate is a positive whole number and minute(s), hour(s) or day(s)`,
    );
  }
  const intervalMs = value * unitMs;
  return {
    kind: 'rate',
    expression,
    intervalMs,
    nextAfter: (instantMs) =>
      instantMs < anchorMs
        ? anchorMs
        : anchorMs + (Math.floor((instantMs - anchorMs) / intervalMs) + 1) * intervalMs,
  };
}

function parseAt(expression: string, body: string, timezone: string): AtExpression {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  const [y, mo, d, h, mi, s] = (match?.slice(1) ?? []).map(Number) as number[];
  const wall = match ? Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) : Number.NaN;
  // Date.UTC rolls 25:00 or 02-30 over into the next day: a real wall time reads back unchanged.
  if (!match || Number.isNaN(wall) || new Date(wall).toISOString().slice(0, 19) !== body.trim()) {
    throw new ScheduleExpressionError(`"${expression}": an at expression is at(yyyy-mm-ddThh:mm:ss)`);
  }
  const instantMs = wallToInstant(wall, timezone);
  if (instantMs === undefined) {
    throw new ScheduleExpressionError(
      `"${expression}": ${body.trim()} does not exist in ${timezone} (the clocks skip it for daylight saving time)`,
    );
  }
  return {
    kind: 'at',
    expression,
    timezone,
    instantMs,
    nextAfter: (after) => (instantMs > after ? instantMs : undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// cron

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}
const MINUTES: FieldSpec = { name: 'minutes', min: 0, max: 59 };
const HOURS: FieldSpec = { name: 'hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
const YEAR: FieldSpec = { name: 'year', min: 1970, max: 2199 };

/** A test of one calendar day: (year, month 1-12, day 1-31, day-of-week 1=SUN…7=SAT, days in month). */
type DayTest = (year: number, month: number, day: number, weekday: number, daysInMonth: number) => boolean;

function parseCron(expression: string, body: string, timezone: string): CronExpression {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      `"${expression}": a cron expression has six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const [minuteField, hourField, domField, monthField, dowField, yearField] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const fail = (reason: string): never => {
    throw new ScheduleExpressionError(`"${expression}": ${reason}`);
  };
  if ((domField === '?') === (dowField === '?')) {
    fail('one of day-of-month and day-of-week must be ? (and only one)');
  }
  const minutes = [...valueSet(minuteField, MINUTES, fail)].sort((a, b) => a - b);
  const hours = [...valueSet(hourField, HOURS, fail)].sort((a, b) => a - b);
  const months = valueSet(monthField, MONTH, fail);
  const years = valueSet(yearField, YEAR, fail);
  const dayTest: DayTest = domField === '?' ? dayOfWeekTest(dowField, fail) : dayOfMonthTest(domField, fail);
  const lastYear = Math.max(...years);

  const nextAfter = (instantMs: number): number | undefined => {
    const start = wallParts(instantMs, timezone);
    // Walk local calendar days from the day of `instantMs`; a wall time earlier that day can still
    // be later as an instant only across a DST change, which the earliest-instant rule covers.
    let year = start.year;
    let month = start.month;
    let day = start.day;
    while (year <= lastYear) {
      if (!years.has(year)) {
        year += 1;
        month = 1;
        day = 1;
        continue;
      }
      if (!months.has(month)) {
        [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
        day = 1;
        continue;
      }
      const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
      if (day > daysInMonth) {
        [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
        day = 1;
        continue;
      }
      const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
      if (dayTest(year, month, day, weekday, daysInMonth)) {
        const found = firstInstantOfDay(year, month, day, hours, minutes, timezone, instantMs);
        if (found !== undefined) return found;
      }
      day += 1;
    }
    return undefined;
  };
  return { kind: 'cron', expression, timezone, nextAfter };
}

/** The earliest instant after `afterMs` among the day's matching wall times. */
function firstInstantOfDay(
  year: number,
  month: number,
  day: number,
  hours: readonly number[],
  minutes: readonly number[],
  timezone: string,
  afterMs: number,
): number | undefined {
  const midnight = Date.UTC(year, month - 1, day);
  const zone = dayOffsets(midnight, timezone);
  for (const hour of hours) {
    for (const minute of minutes) {
      const instant = earliestInstant(midnight + hour * 3_600_000 + minute * 60_000, zone);
      if (instant !== undefined && instant > afterMs) return instant;
    }
  }
  return undefined;
}

function valueSet(field: string, spec: FieldSpec, fail: (reason: string) => never): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(part);
    if (!match) fail(`${spec.name}: "${part}" is not a value, a range, * or a step`);
    const [, from = '', to, step] = match!;
    let low: number;
    let high: number;
    if (from === '*') {
      if (to !== undefined) fail(`${spec.name}: "${part}" is not a valid range`);
      low = spec.min;
      high = spec.max;
    } else {
      low = fieldValue(from, spec, fail);
      // "a/s" starts at a and steps to the end of the field; "a" alone is one value.
      high = to !== undefined ? fieldValue(to, spec, fail) : step !== undefined ? spec.max : low;
    }
    if (low > high) fail(`${spec.name}: "${part}" runs backwards (wrap-around ranges are not supported)`);
    const increment = step === undefined ? 1 : Number(step);
    if (increment < 1) fail(`${spec.name}: "${part}" has a step of zero`);
    for (let value = low; value <= high; value += increment) values.add(value);
  }
  return values;
}

function fieldValue(text: string, spec: FieldSpec, fail: (reason: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + spec.min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= spec.min && value <= spec.max)) {
    fail(
      `${spec.name}: "${text}" is outside ${spec.min}-${spec.max}${spec.names ? ` (or ${spec.names[0]}-${spec.names.at(-1)})` : ''}`,
    );
  }
  return value;
}

/** Day-of-month: values, ranges, steps, `L` (last day), `LW` (last weekday), `nW` (weekday nearest n). */
function dayOfMonthTest(field: string, fail: (reason: string) => never): DayTest {
  const special = (part: string, upper: string): DayTest | undefined => {
    if (upper === 'L') return (_y, _m, d, _w, last) => d === last;
    if (upper === 'LW') return (y, m, d, _w, last) => d === nearestWeekday(y, m, last, last);
    if (/^\d+W$/.test(upper)) {
      const target = fieldValue(upper.slice(0, -1), DAY_OF_MONTH, fail);
      return (y, m, d, _w, last) => target <= last && d === nearestWeekday(y, m, target, last);
    }
    if (/[LW#]/.test(upper)) fail(`day-of-month: "${part}" is not supported (L, LW and nW are)`);
    return undefined;
  };
  return dayFieldTest(field, DAY_OF_MONTH, fail, special, (day) => day);
}

/**
 * A day field's test: each comma-separated part is either one `special` makes a test of (L, W,
 * #…) or a plain value, range or step, matched against `pick(day, weekday)`; any part may match.
 */
function dayFieldTest(
  field: string,
  spec: FieldSpec,
  fail: (reason: string) => never,
  special: (part: string, upper: string) => DayTest | undefined,
  pick: (day: number, weekday: number) => number,
): DayTest {
  const tests: DayTest[] = [];
  const plain: string[] = [];
  for (const part of field.split(',')) {
    const test = special(part, part.toUpperCase());
    if (test) tests.push(test);
    else plain.push(part);
  }
  if (plain.length > 0) {
    const values = valueSet(plain.join(','), spec, fail);
    tests.push((_y, _m, d, w) => values.has(pick(d, w)));
  }
  return (...args) => tests.some((test) => test(...args));
}

/** The weekday (Mon-Fri) nearest to day `target` without leaving the month. */
function nearestWeekday(year: number, month: number, target: number, last: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay(); // 0 = Sunday
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

/** Day-of-week (1 = SUN … 7 = SAT): values, ranges, steps, `L` (Saturday), `nL` (last n of the month), `n#k`. */
function dayOfWeekTest(field: string, fail: (reason: string) => never): DayTest {
  const special = (part: string, upper: string): DayTest | undefined => {
    const nth = /^([A-Z0-9]+)#([1-5])$/.exec(upper);
    const lastOf = /^([A-Z0-9]+)L$/.exec(upper);
    if (upper === 'L') return (_y, _m, _d, w) => w === 7;
    if (nth) {
      const target = fieldValue(nth[1]!, DAY_OF_WEEK, fail);
      const k = Number(nth[2]);
      return (_y, _m, d, w) => w === target && Math.ceil(d / 7) === k;
    }
    if (lastOf) {
      const target = fieldValue(lastOf[1]!, DAY_OF_WEEK, fail);
      return (_y, _m, d, w, last) => w === target && d + 7 > last;
    }
    if (upper.includes('#')) fail(`day-of-week: "${part}" is not n#k with k from 1 to 5`);
    return undefined;
  };
  return dayFieldTest(field, DAY_OF_WEEK, fail, special, (_day, weekday) => weekday);
}

// ---------------------------------------------------------------------------------------------
// time zones (Intl)

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, format);
  }
  return format;
}

function checkTimezone(timezone: string, expression: string): string {
  try {
    formatter(timezone);
  } catch {
    throw new ScheduleExpressionError(
      `"${expression}": unknown time zone "${timezone}" (an IANA name such as Europe/Berlin)`,
    );
  }
  return timezone;
}

function wallParts(instantMs: number, timezone: string): WallClockTime {
  const parts: Partial<Record<string, number>> = {};
  for (const part of formatter(timezone).formatToParts(instantMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The wall-clock time of an instant, written as if it were UTC (ms precision kept). */
function wallOf(instantMs: number, timezone: string): number {
  const p = wallParts(instantMs, timezone);
  const ms = ((instantMs % 1000) + 1000) % 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + ms;
}

/** The zone's offset from UTC at an instant (wall − instant). */
function offsetAt(instantMs: number, timezone: string): number {
  return wallOf(instantMs, timezone) - instantMs;
}

/** A zone around one local day: its offset before and after, and when it changes, if it does. */
interface DayOffsets {
  before: number;
  after: number;
  /** The first instant with the `after` offset (only when the offset changes). */
  changeMs?: number;
}

const dayOffsetCache = new Map<string, DayOffsets>();

/**
 * The local day starting at wall-clock `midnight` lies within [midnight - 14 h, midnight + 38 h]
 * as instants. The offsets a day before and two days after tell whether a DST change falls in
 * between (zones change at most twice a year); if one does, a binary search finds its instant.
 * Computed once per zone and day: every wall time of the day then maps to instants by arithmetic.
 */
function dayOffsets(midnight: number, timezone: string): DayOffsets {
  const key = `${timezone} ${midnight}`;
  let cached = dayOffsetCache.get(key);
  if (cached) return cached;
  let low = midnight - 86_400_000;
  let high = midnight + 2 * 86_400_000;
  const before = offsetAt(low, timezone);
  const after = offsetAt(high, timezone);
  if (before === after) {
    cached = { before, after };
  } else {
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offsetAt(middle, timezone) === before) low = middle;
      else high = middle;
    }
    cached = { before, after, changeMs: high };
  }
  if (dayOffsetCache.size > 10_000) dayOffsetCache.clear();
  dayOffsetCache.set(key, cached);
  return cached;
}

/**
 * The first instant whose wall-clock time is `wall`, or undefined when the clocks skip it (a
 * wall time that happens twice, when the clocks go back, gives its first instant).
 */
function earliestInstant(wall: number, zone: DayOffsets): number | undefined {
  if (zone.changeMs === undefined) return wall - zone.before;
  const underBefore = wall - zone.before;
  const underAfter = wall - zone.after;
  const candidates = [
    underBefore < zone.changeMs ? underBefore : undefined,
    underAfter >= zone.changeMs ? underAfter : undefined,
  ];
  const valid = candidates.filter((instant): instant is number => instant !== undefined);
  return valid.length === 0 ? undefined : Math.min(...valid);
}

function wallToInstant(wall: number, timezone: string): number | undefined {
  const midnight = wall - (((wall % 86_400_000) + 86_400_000) % 86_400_000);
  return earliestInstant(wall, dayOffsets(midnight, timezone));
}
