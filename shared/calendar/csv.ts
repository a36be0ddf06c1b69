import type { CalendarFormat, RowIssue } from '../domain/index.ts';
import {
  assertLooksLikeText,
  CalendarParseError,
  type CsvRecord,
  readRecords,
  stripBom,
} from './csv-reader.ts';
import { checkDatePattern, formatExample, parseLocalDate, parseLocalDateTime } from './time.ts';

/**
 * Reading an uploaded CSV calendar into rows keyed by Pulsecast's own (native) column names.
 *
 * Three layouts are accepted (docs/architecture.md#calendar-upload):
 * - native: a header line naming `id, channel, scheduled_at, timezone, text, link, media,
 *   campaign, tags` in any order (only channel, scheduled_at and text are required);
 * - Hootsuite's bulk composer file: no header, one post per line as `date-time, message[, link]`;
 *   the channel and the date format are chosen by the uploader, not written in the file;
 * - Sprout Social's bulk scheduling file: a header with `date`, `time_24hr`, `message_text` and
 *   optional `link`, `image_url` and `tags`.
 *
 * This module only reads: it does not validate channels, URLs or time zones and does not turn
 * local times into instants (see time.ts); the upload planner does that per row. Problems that
 * make the whole file unreadable throw CalendarParseError; problems with one row are returned as
 * `issues` (the caller rejects the upload if there are any) so the marketer sees all of them at once.
 *
 * The CSV reader is a small RFC 4180 state machine rather than csv-parse: a row number in an
 * error must be the physical line where the record *starts* (csv-parse reports where a record
 * ends, and an unclosed quote at the end of the file), and the reader must stop as soon as a file
 * is over the row limit instead of reading 50 MB first.
 */

export { CalendarParseError };

export const NATIVE_COLUMNS = [
  'id',
  'channel',
  'scheduled_at',
  'timezone',
  'text',
  'link',
  'media',
  'campaign',
  'tags',
  /** `false` (or no, 0, off) keeps the link exactly as given: no UTM parameters. */
  'utm',
] as const;
export type NativeColumn = (typeof NATIVE_COLUMNS)[number];

export const REQUIRED_NATIVE_COLUMNS = [
  'channel',
  'scheduled_at',
  'text',
] as const satisfies readonly NativeColumn[];

/** Sprout Social's required headers (its help centre: "How do I use bulk scheduling?"). */
export const SPROUT_REQUIRED_COLUMNS = ['date', 'time_24hr', 'message_text'] as const;

/** More rows than a person can review is a mistake (Hootsuite and Sprout cap a file at 350). */
export const MAX_CALENDAR_ROWS = 10_000;

/** Hootsuite lets the uploader pick the date format; day-first is its default outside the US. */
export const HOOTSUITE_DEFAULT_DATE_FORMAT = 'dd/MM/yyyy HH:mm';
/** Sprout reads `date` as mm/dd/yyyy or dd/mm/yyyy depending on the import preference. */
export const SPROUT_DEFAULT_DATE_FORMAT = 'MM/dd/yyyy';

/** Separators inside the `media` and `tags` cells. */
export const MEDIA_SEPARATOR = '|';
export const TAG_SEPARATOR = ';';

export interface RawRow {
  /** 1-based physical line in the file where the record starts, counting the header line. */
  row: number;
  /** Cells by native column; empty cells are left out. */
  fields: Partial<Record<NativeColumn, string>>;
}

export interface ParsedCalendar {
  format: CalendarFormat;
  rows: RawRow[];
  /** Row problems: any of these makes the upload invalid. */
  issues: RowIssue[];
  /** Things the uploader should know but that do not block the upload (ignored columns). */
  warnings: RowIssue[];
}

export interface ParseCalendarOptions {
  /** Skip detection; needed for Hootsuite files, which have no header to detect. */
  format?: CalendarFormat;
  /** The channel every row goes to (Hootsuite; Sprout rows without a profile). */
  channel?: string;
  /** Hootsuite: the date-time pattern (default dd/MM/yyyy HH:mm); Sprout: the `date` pattern (default MM/dd/yyyy). */
  dateFormat?: string;
  /** Written into `timezone` of Hootsuite and Sprout rows, whose files carry no zone. */
  timezone?: string;
}

/** Split a `media` cell into URLs. */
export function splitMediaCell(value: string | undefined): string[] {
  return splitCell(value, MEDIA_SEPARATOR);
}

/** Split a `tags` cell into tags. */
export function splitTagsCell(value: string | undefined): string[] {
  return splitCell(value, TAG_SEPARATOR);
}

function splitCell(value: string | undefined, separator: string): string[] {
  if (value === undefined) return [];
  return value
    .split(separator)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/**
 * Guess the layout from the first record: a native or Sprout header, or a Hootsuite line that
 * starts with a date-time. Undefined when it looks like none of them.
 */
export function detectCalendarFormat(input: string): CalendarFormat | undefined {
  let first: CsvRecord | undefined;
  try {
    first = readRecords(stripBom(input), 1).records[0];
  } catch {
    return undefined;
  }
  if (first === undefined) return undefined;
  const names = new Set(first.cells.map(normaliseHeader));
  // Two or more of a layout's own names is enough to say which layout was meant; the parser then
  // names whatever required column is missing, which helps more than "unknown format".
  const nativeHits = NATIVE_COLUMNS.filter((column) => names.has(column)).length;
  const sproutHits = [...SPROUT_REQUIRED_COLUMNS, 'image_url'].filter((column) => names.has(column)).length;
  if (names.has('time_24hr') || names.has('message_text') || (sproutHits >= 2 && sproutHits > nativeHits)) {
    return 'sprout';
  }
  if (nativeHits >= 2) return 'native';
  const firstCell = first.cells[0]?.trim() ?? '';
  if (/^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ T]+\d{1,2}:\d{2}/.test(firstCell)) return 'hootsuite';
  return undefined;
}

/** Parse a calendar file (already decoded from UTF-8) into native rows. */
export function parseCalendarCsv(input: string, options: ParseCalendarOptions = {}): ParsedCalendar {
  const text = stripBom(input);
  if (text.trim() === '') throw new CalendarParseError('The file is empty: there are no posts in it.');
  assertLooksLikeText(text);

  const format = options.format ?? detectCalendarFormat(text);
  if (format === undefined) {
    const first = safeFirstLine(text);
    throw new CalendarParseError(
      `The calendar's format was not recognised. A Pulsecast calendar starts with a header line naming at least the columns ${REQUIRED_NATIVE_COLUMNS.join(', ')}` +
        `${first ? ` (the first line is ${first})` : ''}. For a Hootsuite or Sprout Social file, choose that format when uploading.`,
      { row: 1, column: REQUIRED_NATIVE_COLUMNS.join(', ') },
    );
  }
  switch (format) {
    case 'native':
      return parseNative(text);
    case 'sprout':
      return parseSprout(text, options);
    case 'hootsuite':
      return parseHootsuite(text, options);
  }
}

// ---------------------------------------------------------------------------------------------
// The three layouts
// ---------------------------------------------------------------------------------------------

function parseNative(text: string): ParsedCalendar {
  const { header, data } = readWithHeader(text);
  const warnings: RowIssue[] = [];
  const columns = header.cells.map((raw, index) => {
    const name = normaliseHeader(raw);
    const known = (NATIVE_COLUMNS as readonly string[]).includes(name) ? (name as NativeColumn) : undefined;
    if (!known) warnings.push(ignoredColumnWarning(header.line, raw, index, NATIVE_COLUMNS));
    return known;
  });
  assertNoDuplicates(header, columns);
  const missing = REQUIRED_NATIVE_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new CalendarParseError(
      `The header line is missing the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(a calendar needs ${REQUIRED_NATIVE_COLUMNS.join(', ')}; the header has ${listNames(header.cells)}).`,
      { row: header.line, column: missing.join(', ') },
    );
  }

  const rows: RawRow[] = [];
  const issues: RowIssue[] = [];
  for (const record of data) {
    if (!cellCountMatches(record, header.cells.length, issues)) continue;
    const fields: RawRow['fields'] = {};
    columns.forEach((column, index) => {
      if (column) setField(fields, column, record.cells[index]);
    });
    rows.push({ row: record.line, fields });
  }
  return { format: 'native', rows, issues, warnings };
}

/** Sprout's optional columns, with the names people give them, mapped to native columns. */
const SPROUT_ALIASES: Record<string, NativeColumn | 'date' | 'time'> = {
  date: 'date',
  time_24hr: 'time',
  message_text: 'text',
  link: 'link',
  url: 'link',
  image_url: 'media',
  public_image_url: 'media',
  media_url: 'media',
  tags: 'tags',
  // Sprout picks profiles in its upload dialog; a profile column lets one file feed several channels.
  profile: 'channel',
  profile_name: 'channel',
  channel: 'channel',
};

function parseSprout(text: string, options: ParseCalendarOptions): ParsedCalendar {
  const dateFormat = options.dateFormat ?? SPROUT_DEFAULT_DATE_FORMAT;
  const patternProblem = checkDatePattern(dateFormat, 'date');
  if (patternProblem) throw new CalendarParseError(`Sprout Social ${patternProblem}.`, { column: 'date' });

  const { header, data } = readWithHeader(text);
  const warnings: RowIssue[] = [];
  const columns = header.cells.map((raw, index) => {
    const name = normaliseHeader(raw);
    // Own keys only: a header named `constructor` or `__proto__` is an unknown column.
    const target = Object.hasOwn(SPROUT_ALIASES, name) ? SPROUT_ALIASES[name] : undefined;
    if (!target) warnings.push(ignoredColumnWarning(header.line, raw, index, Object.keys(SPROUT_ALIASES)));
    return target;
  });
  assertNoDuplicates(header, columns);
  const missing = SPROUT_REQUIRED_COLUMNS.filter((name) => !columns.includes(SPROUT_ALIASES[name]));
  if (missing.length > 0) {
    throw new CalendarParseError(
      `This Sprout Social file is missing the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(Sprout files need ${SPROUT_REQUIRED_COLUMNS.join(', ')}; the header has ${listNames(header.cells)}).`,
      { row: header.line, column: missing.join(', ') },
    );
  }
  const channel = nonEmpty(options.channel);
  if (channel === undefined && !columns.includes('channel')) {
    throw new CalendarParseError(
      'A Sprout Social file does not say which channel its posts are for: choose the channel when uploading, or add a profile column.',
      { column: 'channel' },
    );
  }
  const headerName = (target: string) =>
    header.cells[columns.indexOf(target as NativeColumn)]?.trim() ?? target;

  const rows: RawRow[] = [];
  const issues: RowIssue[] = [];
  for (const record of data) {
    if (!cellCountMatches(record, header.cells.length, issues)) continue;
    const fields: RawRow['fields'] = {};
    let date: string | undefined;
    let time: string | undefined;
    columns.forEach((target, index) => {
      const value = record.cells[index];
      if (target === 'date') date = value;
      else if (target === 'time') time = value;
      // Sprout separates tags with commas; ours are separated by semicolons.
      else if (target === 'tags') setField(fields, 'tags', value?.replaceAll(',', TAG_SEPARATOR));
      else if (target) setField(fields, target, value);
    });
    if (fields.channel === undefined && channel !== undefined) fields.channel = channel;
    if (fields.channel === undefined) {
      issues.push({ row: record.line, column: headerName('channel'), message: 'the profile is empty' });
    }

    const localDate = parseLocalDate(unescapeFormula(date ?? ''), dateFormat);
    const localTime = parseTime24(unescapeFormula(time ?? ''));
    if (localDate === undefined) {
      issues.push({
        row: record.line,
        column: headerName('date'),
        message: `${show(date)} is not a date in the format ${dateFormat} (for example ${formatExample(dateFormat)})`,
      });
    }
    if (localTime === undefined) {
      issues.push({
        row: record.line,
        column: headerName('time'),
        message: `${show(time)} is not a 24-hour time (for example 09:30 or 17:45)`,
      });
    }
    if (localDate !== undefined && localTime !== undefined) fields.scheduled_at = `${localDate}T${localTime}`;
    const timezone = nonEmpty(options.timezone);
    if (timezone !== undefined) fields.timezone = timezone;
    rows.push({ row: record.line, fields });
  }
  return { format: 'sprout', rows, issues, warnings };
}

function parseHootsuite(text: string, options: ParseCalendarOptions): ParsedCalendar {
  const channel = nonEmpty(options.channel);
  if (channel === undefined) {
    throw new CalendarParseError(
      'A Hootsuite file does not say which channel its posts are for: choose the channel when uploading.',
      { column: 'channel' },
    );
  }
  const dateFormat = options.dateFormat ?? HOOTSUITE_DEFAULT_DATE_FORMAT;
  const patternProblem = checkDatePattern(dateFormat, 'date-time');
  if (patternProblem) throw new CalendarParseError(`Hootsuite ${patternProblem}.`, { column: 'date' });
  const timezone = nonEmpty(options.timezone);

  const { records } = readRecords(text, MAX_CALENDAR_ROWS + 1);
  if (records.length > MAX_CALENDAR_ROWS) throw tooManyRows(records[MAX_CALENDAR_ROWS]?.line);

  const rows: RawRow[] = [];
  const issues: RowIssue[] = [];
  records.forEach((record, index) => {
    // date-time, message and an optional link; blank cells after them (trailing commas that
    // spreadsheets add) lose nothing and are tolerated.
    const used = lastNonBlankIndex(record.cells) + 1;
    if (used < 2 || used > 3) {
      issues.push({
        row: record.line,
        column: '',
        message:
          used < 2
            ? 'the row has no message after its date-time; a Hootsuite row is date-time, message and an optional link'
            : `the row has ${used} cells but a Hootsuite row has at most 3 (date-time, message, link); put a message that contains commas in double quotes`,
      });
      return;
    }
    const [when = '', message, link] = record.cells;
    const scheduled = parseLocalDateTime(unescapeFormula(when), dateFormat);
    if (scheduled === undefined) {
      const looksLikeHeader = index === 0 && !/\d/.test(when);
      issues.push({
        row: record.line,
        column: 'date',
        message: looksLikeHeader
          ? `${show(when)} is not a date-time: a Hootsuite file has no header line, so remove it`
          : `${show(when)} is not a date-time in the format ${dateFormat} (for example ${formatExample(dateFormat)})`,
      });
    }
    const fields: RawRow['fields'] = { channel };
    if (scheduled !== undefined) fields.scheduled_at = scheduled;
    if (timezone !== undefined) fields.timezone = timezone;
    setField(fields, 'text', message);
    setField(fields, 'link', link);
    rows.push({ row: record.line, fields });
  });
  return { format: 'hootsuite', rows, issues, warnings: [] };
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the layouts
// ---------------------------------------------------------------------------------------------

function readWithHeader(text: string): { header: CsvRecord; data: CsvRecord[] } {
  // One more than allowed, so that "too many" is detected without reading the rest of the file.
  const { records } = readRecords(text, MAX_CALENDAR_ROWS + 2);
  const [header, ...data] = records;
  if (header === undefined) throw new CalendarParseError('The file is empty: there are no posts in it.');
  if (data.length === 0) {
    throw new CalendarParseError('The file has a header line but no posts under it.', { row: header.line });
  }
  if (data.length > MAX_CALENDAR_ROWS) throw tooManyRows(data[MAX_CALENDAR_ROWS]?.line);
  return { header, data };
}

function tooManyRows(row: number | undefined): CalendarParseError {
  return new CalendarParseError(
    `The file has more than ${MAX_CALENDAR_ROWS.toLocaleString('en-US')} posts; split it into smaller files.`,
    row === undefined ? {} : { row },
  );
}

/** Header names are matched trimmed, case-insensitively, with spaces read as underscores. */
function normaliseHeader(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '_');
}

function ignoredColumnWarning(row: number, raw: string, index: number, known: readonly string[]): RowIssue {
  const name = raw.trim();
  return {
    row,
    column: name === '' ? `column ${index + 1}` : name,
    message:
      name === ''
        ? `column ${index + 1} has no name and is ignored`
        : `the column '${name}' is not one Pulsecast reads, so it is ignored (known columns: ${known.join(', ')})`,
  };
}

function assertNoDuplicates(header: CsvRecord, columns: (string | undefined)[]): void {
  columns.forEach((column, index) => {
    if (column === undefined) return;
    const first = columns.indexOf(column);
    if (first !== index) {
      throw new CalendarParseError(
        `The header names '${header.cells[index]?.trim()}' twice (columns ${first + 1} and ${index + 1}); keep one of them.`,
        { row: header.line, column: header.cells[index]?.trim() ?? column },
      );
    }
  });
}

/** Records must have as many cells as the header; trailing blank cells are harmless. */
function cellCountMatches(record: CsvRecord, expected: number, issues: RowIssue[]): boolean {
  const count = record.cells.length;
  if (count === expected) return true;
  if (count > expected && lastNonBlankIndex(record.cells) < expected) return true;
  issues.push({
    row: record.line,
    column: '',
    message:
      count > expected
        ? `the row has ${count} cells but the header has ${expected} columns; put any text that contains commas in double quotes`
        : `the row has ${count} cell${count === 1 ? '' : 's'} but the header has ${expected} columns`,
  });
  return false;
}

function lastNonBlankIndex(cells: string[]): number {
  for (let i = cells.length - 1; i >= 0; i -= 1) if ((cells[i] ?? '').trim() !== '') return i;
  return -1;
}

/**
 * Store a cell: neutralised-formula prefixes from our own export are undone (see export.ts),
 * text is kept exactly as written, other cells are trimmed, and empty cells are left out.
 */
function setField(fields: RawRow['fields'], column: NativeColumn, raw: string | undefined): void {
  if (raw === undefined) return;
  const value = unescapeFormula(raw);
  if (value.trim() === '') return;
  fields[column] = column === 'text' ? value : value.trim();
}

/**
 * Our CSV export prefixes a cell that a spreadsheet would run as a formula with `'` (OWASP's
 * advice). Reading it back removes exactly one such prefix, so that export → import is lossless:
 * the export adds a `'` to any cell that is `'`* followed by a trigger character.
 */
export function unescapeFormula(value: string): string {
  return /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

function parseTime24(value: string): string | undefined {
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return undefined;
  const [, h = '', m = '', s = '00'] = match;
  if (Number(h) > 23 || Number(m) > 59 || Number(s) > 59) return undefined;
  return `${h.padStart(2, '0')}:${m}:${s}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function show(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  if (trimmed === '') return 'an empty cell';
  return `'${trimmed.length > 40 ? `${trimmed.slice(0, 37)}...` : trimmed}'`;
}

function listNames(cells: string[]): string {
  const names = cells.map((cell) => cell.trim()).filter((cell) => cell !== '');
  if (names.length === 0) return 'no names';
  const shown = names.slice(0, 12).map((name) => `'${name.length > 30 ? `${name.slice(0, 27)}...` : name}'`);
  return shown.join(', ') + (names.length > 12 ? ', ...' : '');
}

function safeFirstLine(text: string): string | undefined {
  const line = text
    .trimStart()
    .split(/\r\n|\r|\n/, 1)[0]
    ?.trim();
  if (!line) return undefined;
  return `'${line.length > 60 ? `${line.slice(0, 57)}...` : line}'`;
}
