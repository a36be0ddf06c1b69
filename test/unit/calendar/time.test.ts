import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDatePattern,
  formatExample,
  formatOffset,
  parseLocalDate,
  parseLocalDateTime,
  resolveScheduledTime,
} from '../../../shared/calendar/time.ts';

function instantOf(value: string, timezone?: string): string {
  const result = resolveScheduledTime(value, timezone);
  if (!result.ok) throw new Error(`expected ${value} to resolve, got: ${result.message}`);
  return result.instant;
}

function errorOf(value: string, timezone?: string): string {
  const result = resolveScheduledTime(value, timezone);
  if (result.ok) throw new Error(`expected ${value} to be refused, got ${result.instant}`);
  return result.message;
}

describe('resolveScheduledTime', () => {
  describe('with an explicit offset', () => {
    it('reads Z and numeric offsets without needing a time zone', () => {
      expect(instantOf('2026-03-29T09:00:00Z')).toBe('2026-03-29T09:00:00.000Z');
      expect(instantOf('2026-03-29T09:00:00+02:00')).toBe('2026-03-29T07:00:00.000Z');
      expect(instantOf('2026-03-29T09:00:00-03:30')).toBe('2026-03-29T12:30:00.000Z');
      expect(instantOf('2026-03-29T09:00+0530')).toBe('2026-03-29T03:30:00.000Z');
      expect(instantOf('2026-03-29 09:00:00+05:45')).toBe('2026-03-29T03:15:00.000Z');
    });

    it('keeps milliseconds and ignores the time zone when an offset is given', () => {
      expect(instantOf('2026-03-29T09:00:00.123Z', 'Asia/Tokyo')).toBe('2026-03-29T09:00:00.123Z');
      // Even a time that would be in Berlin's DST gap is exact once its offset is written.
      expect(instantOf('2026-03-29T02:30:00+01:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    });

    it('crosses the date line when the offset says so', () => {
      expect(instantOf('2026-01-01T00:30:00+14:00')).toBe('2025-12-31T10:30:00.000Z');
      expect(instantOf('2026-12-31T23:30:00-12:00')).toBe('2027-01-01T11:30:00.000Z');
    });

    it('refuses offsets that no place uses', () => {
      expect(errorOf('2026-01-01T10:00+15:00')).toMatch(/offset \+15:00.*-12:00 to \+14:00/);
      expect(errorOf('2026-01-01T10:00-13:00')).toMatch(/offset -13:00/);
      expect(errorOf('2026-01-01T10:00+05:75')).toMatch(/offset/);
    });
  });

  describe('with a local time', () => {
    it('needs a time zone and says how to give one', () => {
      expect(errorOf('2026-06-01T09:00')).toMatch(/local time but no time zone.*Europe\/Berlin.*offset/);
      expect(errorOf('2026-06-01 09:00', '  ')).toMatch(/no time zone/);
    });

    it('refuses a time zone it does not know, naming it', () => {
      expect(errorOf('2026-06-01T09:00', 'Europe/Berln')).toMatch(/'Europe\/Berln' is not a time zone/);
    });

    it('accepts T or a space, with or without seconds', () => {
      expect(instantOf('2026-06-01T09:00', 'Europe/Berlin')).toBe('2026-06-01T07:00:00.000Z');
      expect(instantOf('2026-06-01 09:00', 'Europe/Berlin')).toBe('2026-06-01T07:00:00.000Z');
      expect(instantOf('2026-06-01 09:00:30', 'Europe/Berlin')).toBe('2026-06-01T07:00:30.000Z');
      expect(instantOf('  2026-06-01T09:00  ', 'UTC')).toBe('2026-06-01T09:00:00.000Z');
    });

    it('handles half-hour and 45-minute zones exactly', () => {
      expect(instantOf('2026-06-01T09:00', 'Asia/Kolkata')).toBe('2026-06-01T03:30:00.000Z');
      expect(instantOf('2026-06-01T09:00', 'Asia/Kathmandu')).toBe('2026-06-01T03:15:00.000Z');
      expect(instantOf('2026-06-01T09:00', 'America/St_Johns')).toBe('2026-06-01T11:30:00.000Z');
      expect(instantOf('2026-06-01T09:00', 'Australia/Eucla')).toBe('2026-06-01T00:15:00.000Z');
      // Midnight in Kolkata is the previous day in UTC.
      expect(instantOf('2026-06-01T00:00', 'Asia/Kolkata')).toBe('2026-05-31T18:30:00.000Z');
    });

    it('uses summer and winter offsets on either side of a transition', () => {
      expect(instantOf('2026-03-29T01:59', 'Europe/Berlin')).toBe('2026-03-29T00:59:00.000Z');
      expect(instantOf('2026-03-29T03:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
      expect(instantOf('2026-10-25T03:00', 'Europe/Berlin')).toBe('2026-10-25T02:00:00.000Z');
    });
  });

  describe('in a DST gap', () => {
    it('rejects a row whose local time falls in a DST gap, naming the zone and the jump', () => {
      const message = errorOf('2026-03-29 02:30', 'Europe/Berlin');

      expect(message).toContain('2026-03-29 02:30 does not exist in Europe/Berlin');
      expect(message).toContain('jumps from 02:00 straight to 03:00');
      expect(message).toContain('nearest valid times are 01:59 and 03:00');
    });

    it('finds the gap in the northern hemisphere spring (New York)', () => {
      expect(errorOf('2026-03-08T02:30', 'America/New_York')).toMatch(/jumps from 02:00 straight to 03:00/);
    });

    it('finds the gap in the southern hemisphere spring (Sydney, in October)', () => {
      expect(errorOf('2026-10-04T02:30', 'Australia/Sydney')).toMatch(
        /Australia\/Sydney.*02:00 straight to 03:00/,
      );
    });

    it('finds a 30-minute gap on Lord Howe Island', () => {
      const message = errorOf('2026-10-04T02:15', 'Australia/Lord_Howe');
      expect(message).toContain('jumps from 02:00 straight to 02:30');
      expect(message).toContain('01:59 and 02:30');
      expect(instantOf('2026-10-04T02:30', 'Australia/Lord_Howe')).toBe('2026-10-03T15:30:00.000Z');
    });

    it('finds a gap at midnight and names the other day (Santiago)', () => {
      expect(errorOf('2026-09-06T00:30', 'America/Santiago')).toContain(
        'nearest valid times are 2026-09-05 23:59 and 01:00',
      );
    });

    it('finds a whole skipped day (Samoa, December 2011)', () => {
      expect(errorOf('2011-12-30T12:00', 'Pacific/Apia')).toContain('2011-12-31 00:00');
    });
  });

  describe('in a DST overlap', () => {
    it('takes the earlier instant and warns that the time happens twice', () => {
      const result = resolveScheduledTime('2026-10-25 02:30', 'Europe/Berlin');

      expect(result).toMatchObject({ ok: true, instant: '2026-10-25T00:30:00.000Z' });
      const warning = result.ok ? result.warning : undefined;
      expect(warning).toContain('happens twice in Europe/Berlin');
      expect(warning).toContain('UTC+02:00');
      expect(warning).toContain('2026-10-25T02:30:00+01:00');
    });

    it('takes the earlier instant in New York and Sydney', () => {
      expect(resolveScheduledTime('2026-11-01T01:30', 'America/New_York')).toMatchObject({
        instant: '2026-11-01T05:30:00.000Z',
        warning: expect.stringContaining('UTC-04:00'),
      });
      expect(resolveScheduledTime('2026-04-05T02:30', 'Australia/Sydney')).toMatchObject({
        instant: '2026-04-04T15:30:00.000Z',
        warning: expect.stringContaining('UTC+11:00'),
      });
    });

    it('handles the 30-minute overlap on Lord Howe Island', () => {
      const result = resolveScheduledTime('2026-04-05T01:45', 'Australia/Lord_Howe');
      expect(result).toMatchObject({ ok: true, instant: '2026-04-04T14:45:00.000Z' });
      expect(result.ok && result.warning).toContain('goes back from 02:00 to 01:30');
    });

    it('gives no warning just outside the overlap', () => {
      expect(resolveScheduledTime('2026-10-25T03:00', 'Europe/Berlin')).toEqual({
        ok: true,
        instant: '2026-10-25T02:00:00.000Z',
      });
    });
  });

  describe('with values that are not date-times', () => {
    it('explains a day-first date in marketer terms', () => {
      const message = errorOf('31/02/2026 10:00', 'UTC');
      expect(message).toMatch(/^'31\/02\/2026 10:00' is not a date-time; use 2026-02-03T10:00/);
      expect(message).toContain('with an offset');
      expect(message).toContain('year first');
    });

    it('rejects impossible dates and times', () => {
      expect(errorOf('2026-02-30T10:00', 'UTC')).toContain('February 2026 has 28 days');
      expect(errorOf('2026-02-29T10:00', 'UTC')).toContain('February 2026 has 28 days');
      expect(instantOf('2028-02-29T10:00', 'UTC')).toBe('2028-02-29T10:00:00.000Z');
      expect(errorOf('2026-13-01T10:00', 'UTC')).toContain('no month 13');
      expect(errorOf('2026-04-31T10:00', 'UTC')).toContain('April 2026 has 30 days');
      expect(errorOf('2026-01-01T24:00', 'UTC')).toContain('hours run from 00 to 23');
      expect(errorOf('2026-01-01T10:60', 'UTC')).toContain('minutes');
      expect(errorOf('2026-01-01T10:00:60Z')).toContain('seconds');
    });

    it('rejects years out of range', () => {
      expect(errorOf('0026-01-01T10:00', 'UTC')).toMatch(/year 0026.*1970 to 2100/);
      expect(errorOf('2999-01-01T10:00Z')).toMatch(/year 2999/);
      expect(errorOf('20260-01-01T10:00', 'UTC')).toMatch(/is not a date-time/);
    });

    it('rejects garbage, empty cells and dates without a time', () => {
      expect(errorOf('next tuesday', 'UTC')).toMatch(/'next tuesday' is not a date-time/);
      expect(errorOf('', 'UTC')).toMatch(/empty/);
      expect(errorOf('2026-06-01', 'UTC')).toMatch(/is not a date-time/);
      expect(errorOf('2026-06-01T9:00', 'UTC')).toMatch(/is not a date-time/);
    });

    it('shortens very long values in messages', () => {
      const message = errorOf('x'.repeat(10_000), 'UTC');
      expect(message.length).toBeLessThan(300);
    });

    it('answers quickly on long hostile input', () => {
      const start = performance.now();
      errorOf(`2026-01-01T10:00${' '.repeat(100_000)}x`, 'UTC');
      expect(performance.now() - start).toBeLessThan(200);
    });
  });

  it('round-trips every instant through its own local time and zone (property)', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'America/Santiago',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const instant = new Date(Math.floor(ms / 60_000) * 60_000);
          const local = new Intl.DateTimeFormat('sv-SE', {
            timeZone: zone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          })
            .format(instant)
            .replace(' ', 'T');
          const result = resolveScheduledTime(local, zone);
          // Every real wall-clock reading resolves; in an overlap it may be the earlier twin.
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          if (result.warning === undefined) expect(result.instant).toBe(instant.toISOString());
          else expect(Date.parse(result.instant)).toBeLessThanOrEqual(instant.getTime());
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('formatOffset', () => {
  it('writes offsets the way ISO-8601 does', () => {
    expect(formatOffset(120)).toBe('+02:00');
    expect(formatOffset(-210)).toBe('-03:30');
    expect(formatOffset(345)).toBe('+05:45');
    expect(formatOffset(0)).toBe('+00:00');
  });
});

describe('parseLocalDateTime', () => {
  it('reads day-first and month-first Hootsuite formats strictly', () => {
    expect(parseLocalDateTime('25/03/2026 09:30', 'dd/MM/yyyy HH:mm')).toBe('2026-03-25T09:30:00');
    expect(parseLocalDateTime('03/25/2026 09:30', 'MM/dd/yyyy HH:mm')).toBe('2026-03-25T09:30:00');
    expect(parseLocalDateTime('2026-03-25 09:30', 'yyyy-MM-dd HH:mm')).toBe('2026-03-25T09:30:00');
    expect(parseLocalDateTime('2026-03-25T09:30:15', "yyyy-MM-dd'T'HH:mm:ss")).toBe('2026-03-25T09:30:15');
  });

  it('refuses values that do not match the pattern or are not real', () => {
    expect(parseLocalDateTime('03/25/2026 09:30', 'dd/MM/yyyy HH:mm')).toBeUndefined();
    expect(parseLocalDateTime('31/02/2026 09:30', 'dd/MM/yyyy HH:mm')).toBeUndefined();
    expect(parseLocalDateTime('25/03/2026 9:30', 'dd/MM/yyyy HH:mm')).toBeUndefined();
    expect(parseLocalDateTime('25/03/2026 09:30 extra', 'dd/MM/yyyy HH:mm')).toBeUndefined();
    expect(parseLocalDateTime('25/03/2026 24:00', 'dd/MM/yyyy HH:mm')).toBeUndefined();
    expect(parseLocalDateTime('25-03-2026 09:30', 'dd/MM/yyyy HH:mm')).toBeUndefined();
  });

  it('accepts single-digit fields where the pattern allows them', () => {
    expect(parseLocalDateTime('3/5/2026 9:05', 'M/d/yyyy H:mm')).toBe('2026-03-05T09:05:00');
    expect(parseLocalDateTime('03/05/2026 09:05', 'M/d/yyyy H:mm')).toBe('2026-03-05T09:05:00');
  });

  it('throws on a pattern it cannot read', () => {
    expect(() => parseLocalDateTime('x', 'dd/MM/yyyy hh:mm a')).toThrow(RangeError);
    expect(() => parseLocalDateTime('x', 'dd/MM/yyyy')).toThrow(/no hour, minute/);
  });
});

describe('parseLocalDate and checkDatePattern', () => {
  it('reads a date-only pattern', () => {
    expect(parseLocalDate('03/25/2026', 'MM/dd/yyyy')).toBe('2026-03-25');
    expect(parseLocalDate('25/03/2026', 'MM/dd/yyyy')).toBeUndefined();
  });

  it('explains unusable patterns', () => {
    expect(checkDatePattern('dd/MM/yyyy HH:mm', 'date-time')).toBeUndefined();
    expect(checkDatePattern('dd/MM/yyyy HH:mm', 'date')).toMatch(/date only/);
    expect(checkDatePattern('dd/MM/yyyy hh:mm', 'date-time')).toMatch(/'h'/);
    expect(checkDatePattern('dd/dd/yyyy HH:mm', 'date-time')).toMatch(/twice/);
  });

  it('writes an example in the pattern for messages', () => {
    expect(formatExample('dd/MM/yyyy HH:mm')).toBe('25/03/2026 09:30');
    expect(formatExample("yyyy-MM-dd'T'HH:mm")).toBe('2026-03-25T09:30');
  });
});
