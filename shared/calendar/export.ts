import { DateTime } from 'luxon';
import type { Post, PostStatus } from '../domain/index.ts';
import { MEDIA_SEPARATOR, NATIVE_COLUMNS, TAG_SEPARATOR } from './csv.ts';

/**
 * The calendar going out again: as iCalendar (RFC 5545) for any calendar app, and as CSV in the
 * native layout so a marketer can edit it in a spreadsheet and upload it back unchanged.
 */

export interface IcsOptions {
  /** The export time, written as every event's DTSTAMP (ISO-8601). */
  now: string;
  calendarName?: string;
}

export interface CsvOptions {
  /**
   * Start with a UTF-8 byte order mark (default true): Excel opens a CSV without one in the
   * system's legacy code page and turns every emoji and accent into mojibake. Our parser strips it.
   */
  bom?: boolean;
}

/** Columns of the CSV export: the native calendar, then what only the system knows. */
export const EXPORT_COLUMNS = [
  ...NATIVE_COLUMNS,
  'status',
  'platform_url',
  'published_at',
  'approval_trail',
] as const;

const EVENT_MINUTES = 15;
const SUMMARY_GRAPHEMES = 60;
const FOLD_OCTETS = 75;
const CRLF = '\r\n';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

// ---------------------------------------------------------------------------------------------
// iCalendar
// ---------------------------------------------------------------------------------------------

/** One VEVENT per post, at its scheduled time in UTC, in a VCALENDAR (CRLF lines, folded at 75 octets). */
export function toIcs(posts: readonly Post[], options: IcsOptions): string {
  const stamp = icsDateTime(options.now, 'now');
  const name = options.calendarName ?? 'Pulsecast';
  const lines: string[] = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Pulsecast//Content Calendar//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `NAME:${escapeText(name)}`,
    `X-WR-CALNAME:${escapeText(name)}`,
  ];
  for (const post of posts) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(post.id)}@pulsecast`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${icsDateTime(post.scheduledAt, `scheduledAt of post ${post.id}`)}`,
      `DURATION:PT${EVENT_MINUTES}M`,
      `SUMMARY:${escapeText(summaryOf(post))}`,
      `DESCRIPTION:${escapeText(descriptionOf(post))}`,
      `STATUS:${eventStatus(post.status)}`,
      // Calendar apps replace an event they already have when SEQUENCE grows; our version does.
      `SEQUENCE:${Math.max(0, post.version - 1)}`,
      `LAST-MODIFIED:${icsDateTime(post.updatedAt, `updatedAt of post ${post.id}`)}`,
    );
    if (post.tags.length > 0) lines.push(`CATEGORIES:${post.tags.map(escapeText).join(',')}`);
    if (post.status === 'PUBLISHED' && post.platformUrl && isWebUrl(post.platformUrl)) {
      // URL is a URI value, not TEXT: it is not escaped, only kept on one logical line.
      lines.push(`URL:${post.platformUrl}`);
    }
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

function summaryOf(post: Post): string {
  const oneLine = post.text.replace(/\s+/g, ' ').trim();
  return `[${post.channel}] ${oneLine === '' ? '(no text)' : truncateGraphemes(oneLine, SUMMARY_GRAPHEMES)}`;
}

function descriptionOf(post: Post): string {
  const details = [
    `Channel: ${post.channel}`,
    `Status: ${post.status}`,
    post.link ? `Link: ${post.link}` : undefined,
    post.media.length > 0 ? `Media: ${post.media.join(' ')}` : undefined,
    post.campaign ? `Campaign: ${post.campaign}` : undefined,
    post.tags.length > 0 ? `Tags: ${post.tags.join(', ')}` : undefined,
    post.platformUrl ? `Published at: ${post.platformUrl}` : undefined,
    post.failureReason ? `Failure: ${post.failureReason}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return post.text === '' ? details.join('\n') : `${post.text}\n\n${details.join('\n')}`;
}

/** Cancelled posts stay visible but struck through; published ones are fixed; the rest may move. */
function eventStatus(status: PostStatus): 'CANCELLED' | 'CONFIRMED' | 'TENTATIVE' {
  if (status === 'CANCELLED') return 'CANCELLED';
  if (status === 'PUBLISHED') return 'CONFIRMED';
  return 'TENTATIVE';
}

/** `20260329T070000Z` from an ISO instant. */
function icsDateTime(iso: string, what: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new RangeError(`${what} is not an ISO date-time: '${iso}'`);
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * RFC 5545 TEXT escaping: backslash, semicolon and comma are escaped, every line break becomes
 * `\n`, and other control characters (not allowed in TEXT) are dropped.
 */
export function escapeText(value: string): string {
  return (
    value
      .replace(/\\/g, '\\\\')
      .replace(/;/g, '\\;')
      .replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 5545 TEXT forbids these control characters; matching them is the point.
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
  );
}

/**
 * Fold a content line so that no physical line is longer than 75 octets (RFC 5545 §3.1),
 * continuation lines starting with a space. Splits fall between code points, never inside a
 * UTF-8 sequence or a surrogate pair.
 */
export function foldLine(line: string): string {
  if (line.length * 3 <= FOLD_OCTETS && !/[\uD800-\uDFFF]/.test(line)) return line;
  const out: string[] = [];
  let current = '';
  let octets = 0;
  let budget = FOLD_OCTETS;
  for (const char of line) {
    const size = utf8Size(char.codePointAt(0) ?? 0);
    if (octets + size > budget) {
      out.push(current);
      current = ' ';
      octets = 1;
      budget = FOLD_OCTETS;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join(CRLF);
}

function utf8Size(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

function truncateGraphemes(text: string, max: number): string {
  let out = '';
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (count === max) return `${out.trimEnd()}…`;
    out += segment;
    count += 1;
  }
  return out;
}

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !/[\s]/.test(value);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/**
 * The native calendar columns then `status, platform_url, published_at, approval_trail`, RFC 4180 quoted, CRLF
 * line ends. `scheduled_at` is written as local time with its offset in the post's own zone
 * (`2026-03-29T09:00:00+02:00`): readable for the marketer and exact on re-upload. Cells a
 * spreadsheet would run as a formula are neutralised (see `neutraliseFormula`).
 */
export function toCsv(posts: readonly Post[], options: CsvOptions = {}): string {
  const lines = [EXPORT_COLUMNS.join(',')];
  for (const post of posts) {
    const cells: Record<(typeof EXPORT_COLUMNS)[number], string> = {
      id: post.id,
      channel: post.channel,
      scheduled_at: localWithOffset(post.scheduledAt, post.timezone),
      timezone: post.timezone,
      text: post.text,
      link: post.link ?? '',
      // A `|` in a URL would split it on re-upload; %7C is the same URL.
      media: post.media.map((url) => url.replaceAll(MEDIA_SEPARATOR, '%7C')).join(MEDIA_SEPARATOR),
      campaign: post.campaign ?? '',
      tags: post.tags.join(TAG_SEPARATOR),
      utm: post.utm === false ? 'false' : '',
      status: post.status,
      platform_url: post.platformUrl ?? '',
      published_at: post.publishedAt ?? '',
      approval_trail: approvalTrail(post),
    };
    lines.push(EXPORT_COLUMNS.map((column) => csvCell(neutraliseFormula(cells[column]))).join(','));
  }
  return `${options.bom === false ? '' : '\uFEFF'}${lines.join(CRLF)}${CRLF}`;
}

/** The approval audit trail, one entry a line: when, what, who, which step, why or what was said. */
function approvalTrail(post: Post): string {
  return (post.approvalLog ?? [])
    .map((entry) =>
      [
        entry.at,
        entry.action,
        `by ${entry.by}`,
        entry.step ? `step ${entry.step}` : '',
        entry.via ? `via ${entry.via}` : '',
        entry.comment ? `"${entry.comment.replace(/\s+/g, ' ')}"` : '',
        entry.reason ? `(${entry.reason})` : '',
      ]
        .filter(Boolean)
        .join(' '),
    )
    .join('\n');
}

function localWithOffset(instant: string, timezone: string): string {
  const local = DateTime.fromISO(instant, { zone: timezone });
  // A zone this runtime does not know (should not happen: it was validated on the way in) falls
  // back to the UTC instant, which is just as exact.
  return local.isValid ? (local.toISO({ suppressMilliseconds: true }) ?? instant) : instant;
}

/**
 * OWASP's CSV injection advice: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return
 * is prefixed with `'` so that Excel, LibreOffice and Google Sheets show it as text instead of
 * running it. Cells that already start with `'`s before such a character get one more, so that
 * the parser's `unescapeFormula` (which removes one) gives back exactly what was exported.
 */
export function neutraliseFormula(value: string): string {
  return /^'*[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180: quote a cell holding a comma, quote or line break (or edge spaces, to keep them). */
function csvCell(value: string): string {
  if (/[",\r\n]|^\s|\s$/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}
