/**
 * Local mode's console: the handlers' structured log entries (the Powertools logger's JSON, which
 * Lambda and the tests keep) printed for a person instead — one line per entry, in one format:
 *
 *     04:05:52.678 WARN  publish-post  channel token expired  postId=p-1 channel=x-main
 *
 * and the same warning, repeated within a window, printed once, then once more as
 * "… (repeated 12 times in 60 s)" when the window closes.
 */

/** The keys every Powertools entry carries that say nothing to someone watching local mode. */
const NOISE = new Set([
  'timestamp',
  'level',
  'source',
  'message',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
]);

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'] as const;
const LEVEL_WIDTH = 5;

/** A value as `key=value` shows it: bare when it has no spaces or quotes, else JSON-quoted. */
function shown(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (isRecord(value) && typeof value.message === 'string') {
    // A serialized error ({ name, message, location, stack }): its name and message say enough.
    const name = typeof value.name === 'string' ? `${value.name}: ` : '';
    return JSON.stringify(`${name}${value.message}`);
  }
  return JSON.stringify(value) ?? String(value);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One log entry, as read by a person. */
export interface LogLine {
  /** TRACE … CRITICAL. */
  level: string;
  /** Who wrote it: an explicit `source` key, else the function (outside an invocation, the service). */
  source: string;
  message: string;
  /** The whole line, time first. */
  text: string;
}

/** Formats one Powertools entry (the parsed JSON object) as a single line. */
export function formatLogEntry(entry: Record<string, unknown>): LogLine {
  const level = String(entry.level ?? 'INFO').toUpperCase();
  // Locally a function is named by its logical id; its CDK hash suffix says nothing to a reader.
  const source = String(entry.source ?? entry.function_name ?? entry.service ?? 'pulsecast').replace(
    /(?<=[a-z])[0-9A-F]{8}$/,
    '',
  );
  const message = String(entry.message ?? '').replace(/\s*\n\s*/g, ' ');
  const time = clockTime(entry.timestamp);
  const pairs = Object.entries(entry)
    .filter(([key, value]) => !NOISE.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${shown(value)}`);
  const fields = pairs.length > 0 ? `  ${pairs.join(' ')}` : '';
  const text = `${time} ${level.padEnd(LEVEL_WIDTH)} ${source}  ${message}${fields}`;
  return { level, source, message, text };
}

/** HH:MM:SS.mmm of the entry's wall-clock time (local mode runs for hours, not days). */
function clockTime(timestamp: unknown): string {
  const date = typeof timestamp === 'string' ? new Date(timestamp) : new Date();
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toISOString().slice(11, 23);
}

/** Formats a line the logger printed: its JSON entry, or the text as it came when it is not JSON. */
export function formatLogText(level: string, printed: string): LogLine {
  try {
    const entry: unknown = JSON.parse(printed);
    if (isRecord(entry)) return formatLogEntry(entry);
  } catch {
    // not JSON: shown as it is
  }
  const upper = level.toUpperCase();
  return {
    level: upper,
    source: 'pulsecast',
    message: printed,
    text: `${clockTime(undefined)} ${upper.padEnd(LEVEL_WIDTH)} pulsecast  ${printed}`,
  };
}

export interface CoalescerOptions {
  /** Where lines go (one call per line, no newline). */
  write: (line: string) => void;
  /** How long the same warning stays quiet after it printed. @default 60_000 */
  windowMs?: number;
  now?: () => number;
}

/**
 * Prints every line, except that a warning or error whose level, source and message were printed
 * less than a window ago is only counted; when the window closes ({@link flush}, which local mode
 * calls on a timer and at stop), one summary line says how many were held back. The ids that
 * vary between repeats (postId=…) are in the first line; the summary is about the pattern.
 */
export class WarningCoalescer {
  readonly #write: (line: string) => void;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #open = new Map<string, { since: number; repeats: number; line: LogLine }>();

  constructor(options: CoalescerOptions) {
    this.#write = options.write;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  offer(line: LogLine): void {
    this.flush();
    if (LEVELS.indexOf(line.level as (typeof LEVELS)[number]) < LEVELS.indexOf('WARN')) {
      this.#write(line.text);
      return;
    }
    const key = `${line.level}\u0000${line.source}\u0000${line.message}`;
    const open = this.#open.get(key);
    if (open) {
      open.repeats += 1;
      return;
    }
    this.#open.set(key, { since: this.#now(), repeats: 0, line });
    this.#write(line.text);
  }

  /** Closes the windows that have run out (all of them with `all`), printing their summaries. */
  flush(all = false): void {
    const now = this.#now();
    for (const [key, open] of this.#open) {
      if (!all && now - open.since < this.#windowMs) continue;
      this.#open.delete(key);
      if (open.repeats === 0) continue;
      const seconds = Math.max(1, Math.round((now - open.since) / 1000));
      const { level, source, message } = open.line;
      this.#write(
        `${clockTime(new Date(now).toISOString())} ${level.padEnd(LEVEL_WIDTH)} ${source}  ${message} (repeated ${open.repeats} ${open.repeats === 1 ? 'time' : 'times'} in ${seconds} s)`,
      );
    }
  }
}
