import { describe, expect, it } from 'vitest';
import {
  cadenceFrom,
  DEFAULT_CADENCE,
  earlyToleranceMs,
  failureBackoffMs,
  nextCheckpointIndex,
  readingCheckpoint,
  resolvePending,
} from '../../shared/measuring/cadence.ts';

const MINUTE = 60_000;
const names = (indexes: (number | undefined)[]) =>
  indexes.map((i) => (i === undefined ? 'end' : DEFAULT_CADENCE.checkpoints[i]?.name));

describe('the metrics cadence', () => {
  it('by default reads hourly for 6 hours, then at 24 h, 72 h, 7 days and 30 days', () => {
    expect(DEFAULT_CADENCE.checkpoints.map((c) => [c.name, c.ageMs / 3_600_000])).toEqual([
      ['1h', 1],
      ['2h', 2],
      ['3h', 3],
      ['4h', 4],
      ['5h', 5],
      ['6h', 6],
      ['24h', 24],
      ['72h', 72],
      ['7d', 168],
      ['30d', 720],
    ]);
  });

  it('is configurable, and refuses ages that are unreadable or do not increase', () => {
    expect(cadenceFrom('30m, 2h,1d').checkpoints.map((c) => c.ageMs / MINUTE)).toEqual([30, 120, 1440]);
    expect(() => cadenceFrom(['2h', '1h'])).toThrow('"1h" does not come after "2h"');
    expect(() => cadenceFrom(['1 week'])).toThrow('"1 week" is not an age like 30m, 6h or 7d');
    expect(() => cadenceFrom('')).toThrow('give at least one');
  });

  it('goes checkpoint by checkpoint while the numbers change, and ends after the last', () => {
    const sequence: (number | undefined)[] = [0];
    while (sequence.at(-1) !== undefined)
      sequence.push(nextCheckpointIndex(DEFAULT_CADENCE, sequence.at(-1) as number, 0));
    expect(names(sequence)).toEqual(['1h', '2h', '3h', '4h', '5h', '6h', '24h', '72h', '7d', '30d', 'end']);
  });

  it('stretches the gap 2×, 4×, 8× while the numbers stand still, but never past a milestone', () => {
    expect(names([nextCheckpointIndex(DEFAULT_CADENCE, 1, 1)])).toEqual(['4h']); // 2h + 2 × 1h
    expect(names([nextCheckpointIndex(DEFAULT_CADENCE, 3, 2)])).toEqual(['6h']); // 4h + 4 × 1h → at most 6h
    expect(names([nextCheckpointIndex(DEFAULT_CADENCE, 5, 3)])).toEqual(['24h']); // would pass 24h: stops there
    expect(names([nextCheckpointIndex(DEFAULT_CADENCE, 6, 9)])).toEqual(['72h']); // milestones are never skipped
  });

  it('counts a late reading for the latest checkpoint that passed, naming the ones it covers', () => {
    const publishedAt = '2026-12-01T09:00:00.000Z';
    expect(readingCheckpoint(DEFAULT_CADENCE, publishedAt, 0, new Date('2026-12-01T12:30:00.000Z'))).toEqual({
      index: 2,
      covers: ['1h', '2h'],
    });
    expect(readingCheckpoint(DEFAULT_CADENCE, publishedAt, 0, new Date('2026-12-01T09:58:00.000Z'))).toEqual({
      index: 0,
      covers: [],
    });
  });

  it('finds the pending checkpoint again after the cadence changed between deploys', () => {
    const publishedAt = '2026-12-01T09:00:00.000Z';
    expect(
      resolvePending(DEFAULT_CADENCE, publishedAt, { name: '90m', dueAt: '2026-12-01T10:30:00.000Z' }),
    ).toBe(1);
    expect(
      resolvePending(DEFAULT_CADENCE, publishedAt, { name: '90d', dueAt: '2027-03-01T09:00:00.000Z' }),
    ).toBeUndefined();
  });

  it('lets a post join a batch early by 5 % of its checkpoint age, at most 30 minutes', () => {
    expect(earlyToleranceMs(DEFAULT_CADENCE, 0)).toBe(3 * MINUTE);
    expect(earlyToleranceMs(DEFAULT_CADENCE, 6)).toBe(30 * MINUTE);
  });

  it('backs off 5 minutes after a failure, doubling, at most 6 hours', () => {
    expect([1, 2, 3, 4, 10].map((n) => failureBackoffMs(n) / MINUTE)).toEqual([5, 10, 20, 40, 360]);
  });
});
