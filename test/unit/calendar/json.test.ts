import { describe, expect, it } from 'vitest';
import { parseCalendarCsv } from '../../../shared/calendar/csv.ts';
import { parseCalendarJson } from '../../../shared/calendar/json.ts';

describe('parseCalendarJson', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'treats a row key named %s like any unknown field',
    (key) => {
      // JSON.parse makes `__proto__` an own key, as a request body would.
      const body = JSON.parse(
        `{"posts":[{"channel":"x-main","scheduledAt":"2030-01-01T09:00:00Z","text":"hi","${key}":"x"}]}`,
      );
      const { issues, rows } = parseCalendarJson(body);
      expect(issues).toEqual([{ row: 1, column: key, message: expect.stringMatching(/^unknown field/) }]);
      expect(Object.keys(rows[0]?.fields ?? {}).sort()).toEqual(['channel', 'scheduled_at', 'text']);
    },
  );
});

describe('parseCalendarCsv (Sprout)', () => {
  it('ignores a header named constructor instead of mapping it', () => {
    const parsed = parseCalendarCsv('date,time_24hr,message_text,constructor\n2030-01-01,09:00,hi,x\n', {
      format: 'sprout',
      channel: 'x-main',
    });
    expect(parsed.warnings.map((warning) => warning.column)).toEqual(['constructor']);
    expect(parsed.rows[0]?.fields).not.toHaveProperty('constructor');
  });
});
