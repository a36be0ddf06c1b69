import { formatIssue, type Issue, type Problem } from './errors.ts';
import { println, type TextSink } from './io.ts';

/**
 * Columns padded to their widest cell, two spaces apart. The last column is not padded (no
 * trailing blanks), which is why free text such as a post's text goes last.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => displayWidth(row[column] ?? ''))));
  return all
    .map((row) =>
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - displayWidth(cell)),
        )
        .join('  '),
    )
    .join('\n');
}

/** A list for people: `empty` when there are no items, else a table with one row an item. */
export function listTable<T>(
  items: readonly T[],
  empty: string,
  header: readonly string[],
  row: (item: T) => readonly string[],
): string {
  return items.length === 0 ? empty : renderTable(header, items.map(row));
}

function displayWidth(text: string): number {
  return Array.from(text).length;
}

/** One line of at most `max` characters (code points, so emoji are never split): for table cells. */
export function truncate(text: string, max: number): string {
  const flat = Array.from(text.replace(/\s+/g, ' ').trim());
  return flat.length <= max ? flat.join('') : `${flat.slice(0, max - 1).join('')}…`;
}

export function printJson(sink: TextSink, value: unknown): void {
  println(sink, JSON.stringify(value, null, 2));
}

export function printIssues(sink: TextSink, issues: readonly Issue[]): void {
  for (const issue of issues) println(sink, `  ${formatIssue(issue)}`);
}

/** An API error: title and status, the detail, then every row-level error. */
export function printProblem(sink: TextSink, problem: Problem): void {
  // A title we made up from the status line ("HTTP 502 Bad Gateway") already names the status.
  const status =
    problem.status === undefined || problem.title?.startsWith('HTTP ') ? '' : ` (${problem.status})`;
  println(sink, `error: ${problem.title ?? 'request failed'}${status}`);
  if (problem.detail) println(sink, problem.detail);
  if (problem.errors && problem.errors.length > 0) printIssues(sink, problem.errors);
}
