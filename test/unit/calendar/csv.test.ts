import { describe, expect, it } from 'vitest';
import {
  CalendarParseError,
  detectCalendarFormat,
  MAX_CALENDAR_ROWS,
  type ParseCalendarOptions,
  parseCalendarCsv,
  splitMediaCell,
  splitTagsCell,
} from '../../../shared/calendar/csv.ts';
import { thrownBy } from '../../support/errors.ts';

const HEADER = 'id,channel,scheduled_at,timezone,text,link,media,campaign,tags';

function parseError(input: string, options?: ParseCalendarOptions): CalendarParseError {
  return thrownBy(CalendarParseError, () => parseCalendarCsv(input, options));
}

describe('CalendarParser', () => {
  describe('native calendars', () => {
    it('reads rows into native fields with physical row numbers', () => {
      const input = [
        HEADER,
        'p1,x-main,2026-03-29T09:00,Europe/Berlin,Hello world,https://example.com,https://cdn.example.com/a.png|https://cdn.example.com/b.png,spring,launch;promo',
        'p2,bsky,2026-03-30T10:00:00+02:00,,Second post,,,,',
      ].join('\n');

      const result = parseCalendarCsv(input);

      expect(result.format).toBe('native');
      expect(result.issues).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.rows).toEqual([
        {
          row: 2,
          fields: {
            id: 'p1',
            channel: 'x-main',
            scheduled_at: '2026-03-29T09:00',
            timezone: 'Europe/Berlin',
            text: 'Hello world',
            link: 'https://example.com',
            media: 'https://cdn.example.com/a.png|https://cdn.example.com/b.png',
            campaign: 'spring',
            tags: 'launch;promo',
          },
        },
        {
          row: 3,
          fields: {
            id: 'p2',
            channel: 'bsky',
            scheduled_at: '2026-03-30T10:00:00+02:00',
            text: 'Second post',
          },
        },
      ]);
    });

    it('accepts columns in any order, with messy header names', () => {
      const input = ' Text ,CHANNEL,Scheduled At\nHi,x-main,2026-03-29T09:00Z\n';

      const result = parseCalendarCsv(input);

      expect(result.rows).toEqual([
        { row: 2, fields: { text: 'Hi', channel: 'x-main', scheduled_at: '2026-03-29T09:00Z' } },
      ]);
    });

    it('keeps quoted commas, quotes and line breaks and counts rows by the line where a record starts', () => {
      const input = [
        'channel,scheduled_at,text',
        'x-main,2026-03-29T09:00Z,"Line one',
        'line two, with a comma and ""quotes"""',
        'x-main,2026-03-29T10:00Z,After',
      ].join('\r\n');

      const result = parseCalendarCsv(input);

      expect(result.rows.map((r) => r.row)).toEqual([2, 4]);
      expect(result.rows[0]?.fields.text).toBe('Line one\nline two, with a comma and "quotes"');
    });

    it('reads LF, CRLF and lone CR line endings alike', () => {
      const lines = ['channel,scheduled_at,text', 'a,2026-03-29T09:00Z,"x\ny"', 'b,2026-03-29T10:00Z,z'];
      for (const eol of ['\n', '\r\n', '\r']) {
        const input = lines.join(eol).replace('x\ny', `x${eol}y`);

        const result = parseCalendarCsv(input);

        expect(result.rows.map((r) => [r.row, r.fields.text])).toEqual([
          [2, 'x\ny'],
          [4, 'z'],
        ]);
      }
    });

    it('strips a UTF-8 byte order mark and skips blank lines without losing row numbers', () => {
      const input =
        '\uFEFFchannel,scheduled_at,text\n\n   \nx-main,2026-03-29T09:00Z,Hi\n,,\n\nx-main,2026-03-29T10:00Z,Yo\n\n';

      const result = parseCalendarCsv(input);

      expect(result.rows.map((r) => [r.row, r.fields.text])).toEqual([
        [4, 'Hi'],
        [7, 'Yo'],
      ]);
    });

    it('passes emoji, right-to-left text and combining marks through untouched', () => {
      const text = '👨‍👩‍👧 مرحبا بالعالم שלום e\u0301 🇩🇪 ' + '\u200F';
      const input = `channel,scheduled_at,text\nx-main,2026-03-29T09:00Z,"${text}"\n`;

      expect(parseCalendarCsv(input).rows[0]?.fields.text).toBe(text);
    });

    it('keeps the text cell exactly but trims the other cells and leaves empty ones out', () => {
      const input = 'channel,scheduled_at,text,link\n  x-main  ,2026-03-29T09:00Z,"  spaced  ",  \n';

      expect(parseCalendarCsv(input).rows[0]?.fields).toEqual({
        channel: 'x-main',
        scheduled_at: '2026-03-29T09:00Z',
        text: '  spaced  ',
      });
    });

    it('keeps a stray quote inside an unquoted cell as text', () => {
      const input = 'channel,scheduled_at,text\nx-main,2026-03-29T09:00Z,5" screen\n';

      expect(parseCalendarCsv(input).rows[0]?.fields.text).toBe('5" screen');
    });

    it('warns once for each unknown column and ignores it', () => {
      const input = 'channel,scheduled_at,text,status,,notes\nx-main,2026-03-29T09:00Z,Hi,SCHEDULED,,n\n';

      const result = parseCalendarCsv(input);

      expect(result.rows[0]?.fields).toEqual({
        channel: 'x-main',
        scheduled_at: '2026-03-29T09:00Z',
        text: 'Hi',
      });
      expect(result.warnings).toEqual([
        { row: 1, column: 'status', message: expect.stringContaining("'status' is not one Pulsecast reads") },
        { row: 1, column: 'column 5', message: 'column 5 has no name and is ignored' },
        { row: 1, column: 'notes', message: expect.stringContaining('ignored') },
      ]);
    });

    it('reports rows with too many or too few cells as issues, and tolerates trailing empty cells', () => {
      const input = [
        'channel,scheduled_at,text',
        'x-main,2026-03-29T09:00Z,Hello, world',
        'x-main,2026-03-29T10:00Z',
        'x-main,2026-03-29T11:00Z,Fine,,',
      ].join('\n');

      const result = parseCalendarCsv(input);

      expect(result.issues).toEqual([
        { row: 2, column: '', message: expect.stringContaining('4 cells but the header has 3 columns') },
        { row: 3, column: '', message: expect.stringContaining('2 cells but the header has 3 columns') },
      ]);
      expect(result.rows.map((r) => r.row)).toEqual([4]);
    });

    it('names the missing required columns', () => {
      const error = parseError('channel,when,text\nx-main,2026-03-29T09:00Z,Hi\n');

      expect(error).toBeInstanceOf(CalendarParseError);
      expect(error.name).toBe('CalendarParseError');
      expect(error.row).toBe(1);
      expect(error.column).toBe('scheduled_at');
      expect(error.message).toContain('missing the required column scheduled_at');
      expect(error.message).toContain("'when'");
    });

    it('refuses a header that names a column twice', () => {
      const error = parseError('channel,scheduled_at,text,Text\nx,2026-03-29T09:00Z,a,b\n');

      expect(error.message).toContain("names 'Text' twice (columns 3 and 4)");
    });

    it('undoes the formula neutralisation of its own export', () => {
      const input =
        "channel,scheduled_at,text\nx-main,2026-03-29T09:00Z,'=1+1\nx-main,2026-03-29T10:00Z,'@brand thanks\n";

      expect(parseCalendarCsv(input).rows.map((r) => r.fields.text)).toEqual(['=1+1', '@brand thanks']);
    });
  });

  describe('whole-file problems', () => {
    it('refuses an empty file', () => {
      expect(parseError('').message).toMatch(/empty/);
      expect(parseError('\uFEFF \r\n\n').message).toMatch(/empty/);
    });

    it('refuses a header with no posts under it', () => {
      const error = parseError(`${HEADER}\n\n`);

      expect(error.message).toMatch(/header line but no posts/);
      expect(error.row).toBe(1);
    });

    it('refuses an unclosed quote, naming the line where it opened', () => {
      const input =
        'channel,scheduled_at,text\nx,2026-03-29T09:00Z,ok\nx,2026-03-29T10:00Z,"never closed\nmore\nmore\n';

      const error = parseError(input);

      expect(error.row).toBe(3);
      expect(error.message).toMatch(/starts on line 3 is never closed/);
    });

    it('refuses text after a closing quote', () => {
      const error = parseError('channel,scheduled_at,text\nx,2026-03-29T09:00Z,"quoted"tail\n');

      expect(error.row).toBe(2);
      expect(error.message).toMatch(/after a closing quote/);
    });

    it('refuses binary content and NUL bytes', () => {
      expect(parseError('channel,scheduled_at,text\nx,2026-03-29T09:00Z,a\u0000b\n')).toMatchObject({
        row: 2,
        message: expect.stringMatching(/NUL bytes.*CSV UTF-8/),
      });
      expect(parseError('PK\u0003\u0004\u0014\u0000').message).toMatch(/NUL|zip/);
      expect(parseError('PK\u0003\u0004 xl/workbook.xml').message).toMatch(/zip archive/);
      const garbage = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(i % 2 ? 0xfffd : 0x01)).join(
        '',
      );
      expect(parseError(garbage).message).toMatch(/does not look like text/);
    });

    it(`refuses more than ${MAX_CALENDAR_ROWS} rows`, () => {
      const rows = Array.from(
        { length: MAX_CALENDAR_ROWS + 1 },
        (_, i) => `x-main,2026-03-29T09:00Z,Post ${i}`,
      );

      const error = parseError(['channel,scheduled_at,text', ...rows].join('\n'));

      expect(error.message).toMatch(/more than 10,000 posts/);
      expect(error.row).toBe(MAX_CALENDAR_ROWS + 2);
    });

    it('explains when the format cannot be recognised, naming the required columns', () => {
      const error = parseError('foo,bar\n1,2\n');

      expect(error.message).toMatch(/not recognised.*channel, scheduled_at, text/);
      expect(error.column).toBe('channel, scheduled_at, text');
    });
  });

  describe('size and speed', () => {
    it(`parses ${MAX_CALENDAR_ROWS} rows quickly`, () => {
      const rows = Array.from(
        { length: MAX_CALENDAR_ROWS },
        (_, i) => `p${i},x-main,2026-03-29T09:00Z,UTC,"Post ${i}, with a comma 🚀",https://e.com,,c,a;b`,
      );
      const input = [HEADER, ...rows].join('\n');
      const start = performance.now();

      const result = parseCalendarCsv(input);

      expect(result.rows).toHaveLength(MAX_CALENDAR_ROWS);
      expect(result.rows.at(-1)?.row).toBe(MAX_CALENDAR_ROWS + 1);
      expect(performance.now() - start).toBeLessThan(1500);
    });

    it('stops early on a 50 MB file with too many rows', () => {
      const input = `channel,scheduled_at,text\n${'x-main,2026-03-29T09:00Z,Some post text here\n'.repeat(1_300_000)}`;
      expect(input.length).toBeGreaterThan(50_000_000);
      const start = performance.now();

      expect(parseError(input).message).toMatch(/more than 10,000/);
      expect(performance.now() - start).toBeLessThan(1500);
    });

    it('reads a 50 MB quoted cell in linear time', () => {
      const big = 'a "" b, c\n'.repeat(5_000_000);
      const input = `channel,scheduled_at,text\nx-main,2026-03-29T09:00Z,"${big}"\n`;
      const start = performance.now();

      const result = parseCalendarCsv(input);

      expect(result.rows[0]?.fields.text?.length).toBe(45_000_000);
      // Quadratic would take hours; the bound only has to tell the two apart on a loaded machine.
      expect(performance.now() - start).toBeLessThan(20_000);
    });

    it('fails fast on a 50 MB file whose first quote never closes', () => {
      const input = `channel,scheduled_at,text\nx-main,2026-03-29T09:00Z,"${'lorem ipsum, '.repeat(4_000_000)}`;
      const start = performance.now();

      expect(parseError(input).row).toBe(2);
      expect(performance.now() - start).toBeLessThan(20_000);
    });
  });

  describe('Hootsuite files', () => {
    const options = { format: 'hootsuite', channel: 'x-main' } as const;

    it('reads date-time, message and link with the default day-first format', () => {
      const input =
        '25/03/2026 09:30,"Spring is here, finally",https://example.com/spring\n26/03/2026 18:05,No link today\n';

      const result = parseCalendarCsv(input, { ...options, timezone: 'Europe/London' });

      expect(result.format).toBe('hootsuite');
      expect(result.issues).toEqual([]);
      expect(result.rows).toEqual([
        {
          row: 1,
          fields: {
            channel: 'x-main',
            scheduled_at: '2026-03-25T09:30:00',
            timezone: 'Europe/London',
            text: 'Spring is here, finally',
            link: 'https://example.com/spring',
          },
        },
        {
          row: 2,
          fields: {
            channel: 'x-main',
            scheduled_at: '2026-03-26T18:05:00',
            timezone: 'Europe/London',
            text: 'No link today',
          },
        },
      ]);
    });

    it('uses the date format the uploader chose', () => {
      const result = parseCalendarCsv('03/25/2026 09:30,Hi\n', {
        ...options,
        dateFormat: 'MM/dd/yyyy HH:mm',
      });

      expect(result.rows[0]?.fields.scheduled_at).toBe('2026-03-25T09:30:00');
    });

    it('reports an unparseable date as a row issue naming the expected format', () => {
      const result = parseCalendarCsv('25/03/2026 09:30,Fine\n31/02/2026 09:30,Bad day\n', options);

      expect(result.issues).toEqual([
        {
          row: 2,
          column: 'date',
          message:
            "'31/02/2026 09:30' is not a date-time in the format dd/MM/yyyy HH:mm (for example 25/03/2026 09:30)",
        },
      ]);
    });

    it('points out a header line, which Hootsuite files do not have', () => {
      const result = parseCalendarCsv('Date,Message,Link\n25/03/2026 09:30,Hi\n', options);

      expect(result.issues[0]).toMatchObject({ row: 1, message: expect.stringContaining('no header line') });
    });

    it('reports rows with too many cells, or no message', () => {
      const result = parseCalendarCsv(
        '25/03/2026 09:30,Hello, world,https://e.com\n25/03/2026 10:30,,\n',
        options,
      );

      expect(result.issues).toEqual([
        { row: 1, column: '', message: expect.stringContaining('at most 3') },
        { row: 2, column: '', message: expect.stringContaining('no message after its date-time') },
      ]);
    });

    it('needs a channel', () => {
      const error = parseError('25/03/2026 09:30,Hi\n', { format: 'hootsuite' });

      expect(error.column).toBe('channel');
      expect(error.message).toMatch(/choose the channel/);
    });

    it('refuses a date format it cannot read', () => {
      expect(parseError('25/03/2026 09:30,Hi\n', { ...options, dateFormat: 'dd/MM/yyyy' }).message).toMatch(
        /no hour, minute/,
      );
    });

    it('is detected from a first cell that is a date-time', () => {
      expect(detectCalendarFormat('25/03/2026 09:30,Hi\n')).toBe('hootsuite');
      expect(parseCalendarCsv('25/03/2026 09:30,Hi\n', { channel: 'x-main' }).format).toBe('hootsuite');
    });
  });

  describe('Sprout Social files', () => {
    it('reads date, time_24hr, message_text, link, image_url and tags', () => {
      const input = [
        'date,time_24hr,message_text,link,image_url,tags',
        '03/25/2026,9:30,"Hello, Sprout",https://example.com,https://cdn.example.com/a.jpg,"launch,promo"',
      ].join('\n');

      const result = parseCalendarCsv(input, { channel: 'li-page', timezone: 'America/Chicago' });

      expect(result.format).toBe('sprout');
      expect(result.issues).toEqual([]);
      expect(result.rows).toEqual([
        {
          row: 2,
          fields: {
            channel: 'li-page',
            scheduled_at: '2026-03-25T09:30:00',
            timezone: 'America/Chicago',
            text: 'Hello, Sprout',
            link: 'https://example.com',
            media: 'https://cdn.example.com/a.jpg',
            tags: 'launch;promo',
          },
        },
      ]);
    });

    it('reads day-first dates when asked', () => {
      const input = 'date,time_24hr,message_text\n25/03/2026,17:45,Hi\n';

      const result = parseCalendarCsv(input, { channel: 'x-main', dateFormat: 'dd/MM/yyyy' });

      expect(result.rows[0]?.fields.scheduled_at).toBe('2026-03-25T17:45:00');
    });

    it('takes the channel from a profile column where present', () => {
      const input = 'date,time_24hr,message_text,profile\n03/25/2026,09:30,A,bsky\n03/25/2026,10:30,B,\n';

      const result = parseCalendarCsv(input, { channel: 'x-main' });

      expect(result.rows.map((r) => r.fields.channel)).toEqual(['bsky', 'x-main']);
    });

    it('reports bad dates and times per row, in its own column names', () => {
      const input = 'date,time_24hr,message_text\n13/25/2026,09:30,A\n03/25/2026,9.30pm,B\n';

      const result = parseCalendarCsv(input, { channel: 'x-main' });

      expect(result.issues).toEqual([
        {
          row: 2,
          column: 'date',
          message: "'13/25/2026' is not a date in the format MM/dd/yyyy (for example 03/25/2026)",
        },
        {
          row: 3,
          column: 'time_24hr',
          message: "'9.30pm' is not a 24-hour time (for example 09:30 or 17:45)",
        },
      ]);
    });

    it('names missing Sprout columns', () => {
      const error = parseError('date,message_text\n03/25/2026,A\n', { channel: 'x-main' });

      expect(error.message).toMatch(/missing the column time_24hr/);
      expect(error.column).toBe('time_24hr');
    });

    it('needs a channel when the file has no profile column', () => {
      expect(parseError('date,time_24hr,message_text\n03/25/2026,09:30,A\n').column).toBe('channel');
    });

    it('warns about columns it does not read', () => {
      const input = 'date,time_24hr,message_text,approval\n03/25/2026,09:30,A,yes\n';

      expect(parseCalendarCsv(input, { channel: 'x' }).warnings).toEqual([
        { row: 1, column: 'approval', message: expect.stringContaining('ignored') },
      ]);
    });
  });

  describe('detectCalendarFormat', () => {
    it('tells the three layouts apart from their first record', () => {
      expect(detectCalendarFormat(`${HEADER}\n`)).toBe('native');
      expect(detectCalendarFormat('\uFEFFChannel,Scheduled_At,Text\n')).toBe('native');
      expect(detectCalendarFormat('date,time_24hr,message_text\n')).toBe('sprout');
      expect(detectCalendarFormat('2026-03-25 09:30,Hi\n')).toBe('hootsuite');
      expect(detectCalendarFormat('name,email\n')).toBeUndefined();
      expect(detectCalendarFormat('')).toBeUndefined();
      expect(detectCalendarFormat('"unclosed')).toBeUndefined();
    });
  });

  describe('list cells', () => {
    it('splits media on | and tags on ;', () => {
      expect(splitMediaCell(' https://a.example/1.png | https://a.example/2.png |')).toEqual([
        'https://a.example/1.png',
        'https://a.example/2.png',
      ]);
      expect(splitTagsCell('launch; promo;;')).toEqual(['launch', 'promo']);
      expect(splitTagsCell(undefined)).toEqual([]);
    });
  });
});
