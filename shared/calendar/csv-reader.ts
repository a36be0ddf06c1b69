// The CSV reader (RFC 4180, with CRLF, LF and lone CR line endings), apart from the three calendar
// layouts in csv.ts that read with it: it knows records and cells, nothing about posts.

/** The whole file cannot be read; `row` and `column` point at the cause where known. */
export class CalendarParseError extends Error {
  override readonly name = 'CalendarParseError';
  readonly row?: number;
  readonly column?: string;

  constructor(message: string, details: { row?: number; column?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.row !== undefined) this.row = details.row;
    if (details.column !== undefined) this.column = details.column;
  }
}

export interface CsvRecord {
  /** Physical line where the record starts. */
  line: number;
  cells: string[];
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Read up to `limit` non-blank records. Linear in the input: quoted cells are found with
 * indexOf and every character is looked at a bounded number of times. Line breaks inside a
 * quoted cell are kept, normalised to `\n`.
 */
export function readRecords(text: string, limit: number): { records: CsvRecord[] } {
  const records: CsvRecord[] = [];
  const length = text.length;
  let pos = 0;
  let line = 1;

  while (pos < length && records.length < limit) {
    const recordLine = line;
    const cells: string[] = [];
    for (;;) {
      let cell: string;
      if (text.charCodeAt(pos) === QUOTE) {
        const openedOn = line;
        const parts: string[] = [];
        let from = pos + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1) {
            throw new CalendarParseError(
              `A quoted cell that starts on line ${openedOn} is never closed: a closing " is missing. A " inside a quoted cell must be written twice ("").`,
              { row: openedOn },
            );
          }
          const segment = text.slice(from, close);
          line += countLineBreaks(segment);
          parts.push(segment);
          if (text.charCodeAt(close + 1) === QUOTE) {
            parts.push('"');
            from = close + 2;
            continue;
          }
          pos = close + 1;
          break;
        }
        cell = normaliseLineBreaks(parts.join(''));
        const next = text.charCodeAt(pos);
        if (pos < length && next !== COMMA && next !== LF && next !== CR) {
          throw new CalendarParseError(
            `Line ${line} has text right after a closing quote (${JSON.stringify(text.slice(Math.max(0, pos - 10), pos + 10))}). Put the whole cell in double quotes and write any " inside it twice ("").`,
            { row: line },
          );
        }
      } else {
        // An unquoted cell runs to the next comma or line break; a stray " inside it is kept as
        // text (people type quotes in unquoted cells and spreadsheets accept that).
        let end = pos;
        while (end < length) {
          const code = text.charCodeAt(end);
          if (code === COMMA || code === LF || code === CR) break;
          end += 1;
        }
        cell = text.slice(pos, end);
        pos = end;
      }
      cells.push(cell);

      const code = text.charCodeAt(pos);
      if (code === COMMA) {
        pos += 1;
        continue;
      }
      // End of the record: a line break (CRLF, LF or a lone CR) or the end of the file.
      if (code === CR || code === LF) {
        pos += code === CR && text.charCodeAt(pos + 1) === LF ? 2 : 1;
        line += 1;
      }
      break;
    }
    // Fully blank lines (and lines of only commas or spaces) are not posts.
    if (cells.some((cell) => cell.trim() !== '')) records.push({ line: recordLine, cells });
  }
  return { records };
}

function countLineBreaks(segment: string): number {
  let count = 0;
  for (let i = 0; i < segment.length; i += 1) {
    const code = segment.charCodeAt(i);
    if (code === LF) count += 1;
    else if (code === CR && segment.charCodeAt(i + 1) !== LF) count += 1;
  }
  return count;
}

function normaliseLineBreaks(value: string): string {
  return value.includes('\r') ? value.replace(/\r\n?/g, '\n') : value;
}

export function stripBom(input: string): string {
  return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
}

/**
 * Refuse binary files early with a message that says what probably happened (an Excel workbook
 * or a file in another encoding uploaded as CSV), instead of a confusing row error later.
 */
export function assertLooksLikeText(text: string): void {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    throw new CalendarParseError(
      'The file contains NUL bytes, so it is not a CSV text file (is it an Excel workbook? Save it as "CSV UTF-8" and upload that).',
      { row: lineOf(text, nul) },
    );
  }
  if (text.startsWith('PK\u0003\u0004')) {
    throw new CalendarParseError(
      'The file is a zip archive (an Excel .xlsx workbook?), not CSV; save it as "CSV UTF-8" and upload that.',
    );
  }
  // Control characters and U+FFFD (bytes that were not valid UTF-8) in the first few kilobytes.
  const sample = text.slice(0, 8192);
  let suspicious = 0;
  for (let i = 0; i < sample.length; i += 1) {
    const code = sample.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffd) suspicious += 1;
  }
  if (suspicious > 8 && suspicious / sample.length > 0.02) {
    throw new CalendarParseError(
      'The file does not look like text: it has binary content or is not UTF-8. Save it as "CSV UTF-8" and upload that.',
    );
  }
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x0a || (code === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) line += 1;
  }
  return line;
}
