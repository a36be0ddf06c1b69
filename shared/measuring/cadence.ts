/**
 * When a published post's numbers are read (docs/architecture.md#collector): at fixed checkpoints of
 * its age, so that every post has a reading "at 24 h" to compare with every other post's, plus the
 * rules that make the schedule cheaper and sturdier:
 *
 * - **Stable posts are read less often.** While consecutive readings come back unchanged, the
 *   next reading skips ahead (2×, 4×, then at most 8× the usual gap), but only among the early,
 *   hourly checkpoints; the milestone checkpoints (24 h and later by default) are always taken,
 *   because reports compare posts at exactly those ages.
 * - **Late readings collapse.** A reading taken after several checkpoints have passed (the
 *   platform was rate-limited for hours) counts for the latest of them and says which earlier
 *   ones it stands in for (`covers`), instead of inventing several readings of one moment.
 * - **Batches fill up early.** When a channel is being read anyway, posts of that channel whose
 *   checkpoint is only a little way off (5 % of its age, at most 30 minutes) join the same
 *   request: one request for 1 post costs the platform budget as much as one for 100.
 * - **Failures back off.** A platform error moves the post's reading later (5 minutes, doubling,
 *   at most 6 hours); a 429 moves it to when the platform says. Neither changes which checkpoint
 *   is pending, so nothing is lost, only late.
 */

export interface Checkpoint {
  /** How the checkpoint is named in snapshots and events: `1h`, `24h`, `7d`. */
  name: string;
  /** The post's age at the checkpoint, in ms. */
  ageMs: number;
}

export interface Cadence {
  /** Ascending by age, at least one. */
  checkpoints: readonly Checkpoint[];
  /** Checkpoints younger than this may be skipped while a post's numbers stand still. @default 24 h */
  skippableBeforeMs: number;
  /** The most a run of unchanged readings stretches the gap to the next checkpoint. @default 8 */
  maxStretch: number;
  /** How early a post may join a request made anyway, as a share of its checkpoint's age. @default 0.05 */
  earlyShare: number;
  /** …and at most this early. @default 30 minutes */
  earlyMaxMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The default: hourly for the first 6 hours, then at 24 h, 72 h, 7 days and 30 days. */
export const DEFAULT_CHECKPOINTS = ['1h', '2h', '3h', '4h', '5h', '6h', '24h', '72h', '7d', '30d'] as const;

/** After the last checkpoint, a post that could never be read is given up this much later. */
export const GIVE_UP_AFTER_LAST_MS = 7 * DAY;
/** Backoff after a failed reading: 5 minutes, doubling, at most 6 hours. */
export const FAILURE_BACKOFF_MS = { base: 5 * MINUTE, max: 6 * HOUR } as const;

const DURATION = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS = { m: MINUTE, h: HOUR, d: DAY } as const;

/** `90m`, `6h`, `7d` → ms; anything else is undefined. */
export function parseCheckpointAge(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  if (amount <= 0) return undefined;
  return amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * Builds a cadence from checkpoint names (`['1h', '24h', '7d']`, or one comma-separated string
 * as the `METRICS_CHECKPOINTS` variable holds). Throws, naming the problem, on an empty list, an
 * unreadable age, or ages that do not strictly increase — a configuration error stops the synth
 * or the cold start, never a sweep.
 */
export function cadenceFrom(
  names: readonly string[] | string = DEFAULT_CHECKPOINTS,
  options: Partial<Omit<Cadence, 'checkpoints'>> = {},
): Cadence {
  const list = typeof names === 'string' ? names.split(',').map((n) => n.trim()) : [...names];
  if (list.length === 0 || (list.length === 1 && list[0] === '')) {
    throw new Error('metrics checkpoints: give at least one, e.g. 1h,24h,7d');
  }
  const checkpoints: Checkpoint[] = [];
  for (const name of list) {
    const ageMs = parseCheckpointAge(name);
    if (ageMs === undefined) {
      throw new Error(`metrics checkpoints: "${name}" is not an age like 30m, 6h or 7d`);
    }
    const previous = checkpoints.at(-1);
    if (previous && ageMs <= previous.ageMs) {
      throw new Error(`metrics checkpoints must increase: "${name}" does not come after "${previous.name}"`);
    }
    checkpoints.push({ name: name.trim(), ageMs });
  }
  return {
    checkpoints,
    skippableBeforeMs: options.skippableBeforeMs ?? DAY,
    maxStretch: options.maxStretch ?? 8,
    earlyShare: options.earlyShare ?? 0.05,
    earlyMaxMs: options.earlyMaxMs ?? 30 * MINUTE,
  };
}

export const DEFAULT_CADENCE: Cadence = cadenceFrom();

/** When checkpoint `index` of a post published at `publishedAt` is due (ISO). */
export function checkpointDueAt(cadence: Cadence, publishedAt: string, index: number): string {
  const checkpoint = cadence.checkpoints[index];
  if (!checkpoint) throw new RangeError(`no checkpoint #${index}`);
  return new Date(Date.parse(publishedAt) + checkpoint.ageMs).toISOString();
}

/** The index of a checkpoint by name; undefined when the cadence has no such checkpoint. */
export function checkpointIndex(cadence: Cadence, name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  const index = cadence.checkpoints.findIndex((c) => c.name === name);
  return index >= 0 ? index : undefined;
}

/** The first checkpoint of a post that has none planned yet. */
export function firstCheckpoint(cadence: Cadence, publishedAt: string): { index: number; dueAt: string } {
  return { index: 0, dueAt: checkpointDueAt(cadence, publishedAt, 0) };
}

/**
 * The checkpoint a pending checkpoint stands for when the cadence changed between deploys (its
 * name is gone): the first checkpoint due at or after the instant it was planned for.
 */
export function resolvePending(
  cadence: Cadence,
  publishedAt: string,
  pending: { name?: string; dueAt: string },
): number | undefined {
  const byName = checkpointIndex(cadence, pending.name);
  if (byName !== undefined) return byName;
  const index = cadence.checkpoints.findIndex(
    (_, i) => checkpointDueAt(cadence, publishedAt, i) >= pending.dueAt,
  );
  return index >= 0 ? index : undefined;
}

/**
 * Which checkpoint a reading taken at `now` records, starting from the pending one: the latest
 * checkpoint already due (a late reading collapses the ones it passed into `covers`), or the
 * pending one itself when it is not due yet (an early reading that joined a batch).
 */
export function readingCheckpoint(
  cadence: Cadence,
  publishedAt: string,
  pendingIndex: number,
  now: Date,
): { index: number; covers: string[] } {
  let index = pendingIndex;
  const nowIso = now.toISOString();
  while (
    index + 1 < cadence.checkpoints.length &&
    checkpointDueAt(cadence, publishedAt, index + 1) <= nowIso
  ) {
    index += 1;
  }
  const covers = cadence.checkpoints.slice(pendingIndex, index).map((c) => c.name);
  return { index, covers };
}

/**
 * The checkpoint after `index`, given how many readings in a row came back unchanged
 * (`stableCount`, this one included); undefined after the last checkpoint. A stable post's next
 * reading moves out to `stretch ×` the usual gap (2, 4, … up to `maxStretch`), but never past
 * the first checkpoint of `skippableBeforeMs` or later.
 */
export function nextCheckpointIndex(
  cadence: Cadence,
  index: number,
  stableCount: number,
): number | undefined {
  const { checkpoints } = cadence;
  const current = checkpoints[index];
  const next = checkpoints[index + 1];
  if (!current || !next) return undefined;
  if (stableCount <= 0) return index + 1;
  const stretch = Math.min(2 ** stableCount, cadence.maxStretch);
  const target = current.ageMs + (next.ageMs - current.ageMs) * stretch;
  let chosen = index + 1;
  while (
    chosen + 1 < checkpoints.length &&
    (checkpoints[chosen + 1]?.ageMs ?? Number.POSITIVE_INFINITY) <= target &&
    // Never skip a milestone: only a checkpoint younger than the threshold may be passed over.
    (checkpoints[chosen]?.ageMs ?? 0) < cadence.skippableBeforeMs
  ) {
    chosen += 1;
  }
  return chosen;
}

/** How early (ms) a post whose checkpoint `index` is pending may be read along with others. */
export function earlyToleranceMs(cadence: Cadence, index: number): number {
  const checkpoint = cadence.checkpoints[index];
  if (!checkpoint) return 0;
  return Math.min(checkpoint.ageMs * cadence.earlyShare, cadence.earlyMaxMs);
}

/** How long to wait after the `failures`-th failure in a row (1 = the first). */
export function failureBackoffMs(failures: number): number {
  return Math.min(FAILURE_BACKOFF_MS.base * 2 ** Math.max(0, failures - 1), FAILURE_BACKOFF_MS.max);
}

/** Past this instant a post that could not be read at its last checkpoint is given up. */
export function giveUpAt(cadence: Cadence, publishedAt: string): string {
  const last = cadence.checkpoints.at(-1);
  return new Date(Date.parse(publishedAt) + (last?.ageMs ?? 0) + GIVE_UP_AFTER_LAST_MS).toISOString();
}
