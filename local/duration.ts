/**
 * ISO-8601 durations as the local clock API takes them (`PT24H`, `P7D`, `P1W`, `PT90M`,
 * `P1DT12H`), plus the CLI's short forms (`7d`, `24h`, `90m`, `30s`). Months and years are
 * refused: their length depends on the date, and a clock jump must be exact.
 */
export function parseDuration(value: string): number {
  const short = /^(\d+(?:\.\d+)?)(w|d|h|m|s)$/i.exec(value.trim());
  if (short) {
    const unit = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[
      short[2]!.toLowerCase() as 'w'
    ];
    return Math.round(Number(short[1]) * unit);
  }
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
    value.trim(),
  );
  if (!iso || value.trim() === 'P' || value.trim().toUpperCase().endsWith('T')) {
    throw new DurationError(`'${value}' is not a duration; use ISO-8601 like PT24H or P7D (or 7d, 24h, 90m)`);
  }
  const [, weeks, days, hours, minutes, seconds] = iso;
  return Math.round(
    Number(weeks ?? 0) * 604_800_000 +
      Number(days ?? 0) * 86_400_000 +
      Number(hours ?? 0) * 3_600_000 +
      Number(minutes ?? 0) * 60_000 +
      Number(seconds ?? 0) * 1000,
  );
}

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}
