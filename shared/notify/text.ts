/**
 * Length-safe text helpers shared by the Slack and email renderers. Lengths are counted in
 * UTF-16 code units (what Slack's limits and JavaScript's `length` count), and truncation never
 * splits a surrogate pair or an escape sequence.
 */

/** `text` cut to at most `max` code units, ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? '…' : '';
  let cut = max - 1;
  // Do not leave half of a surrogate pair behind.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/**
 * Escapes then truncates so the escaped result fits `max`: the raw text is cut before escaping,
 * so an entity (`&amp;`) is never cut in half.
 */
export function escapeWithin(text: string, max: number, escapeText: (raw: string) => string): string {
  let escaped = escapeText(text);
  if (escaped.length <= max) return escaped;
  let keep = Math.min(text.length, max);
  for (;;) {
    escaped = escapeText(truncate(text, keep));
    if (escaped.length <= max || keep <= 1) return escaped.length <= max ? escaped : '…';
    keep -= Math.max(1, escaped.length - max);
  }
}

/** One line: newlines and other control characters become spaces (header-injection safe). */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/** A text progress bar: `▓▓▓▓░░░░░░` for 40 %. */
export function bar(ratio: number, width = 10): string {
  const clamped = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  const filled = Math.round(clamped * width);
  return '▓'.repeat(filled) + '░'.repeat(width - filled);
}

const SPARKS = '▁▂▃▄▅▆▇█';
/** A sparkline of `values` scaled to `[min, max]`. */
export function sparkline(values: readonly number[], min: number, max: number): string {
  const span = max - min || 1;
  return values
    .map((value) => SPARKS[Math.min(7, Math.max(0, Math.round(((value - min) / span) * 7)))] ?? SPARKS[0])
    .join('');
}
