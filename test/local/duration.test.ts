import { describe, expect, it } from 'vitest';
import { DurationError, parseDuration } from '../../local/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['PT24H', 86_400_000],
    ['P7D', 604_800_000],
    ['P1W', 604_800_000],
    ['P1DT12H', 129_600_000],
    ['PT90M', 5_400_000],
    ['PT1.5S', 1500],
    ['7d', 604_800_000],
    ['24h', 86_400_000],
    ['90m', 5_400_000],
    ['30s', 30_000],
  ])('reads %s', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each(['P1M', 'P1Y', 'PT', 'P', '24', 'tomorrow', '-PT1H'])('refuses %s', (value) => {
    expect(() => parseDuration(value)).toThrow(DurationError);
  });
});
