import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCalendarCsv, splitMediaCell, splitTagsCell } from '../../../shared/calendar/csv.ts';
import {
  EXPORT_COLUMNS,
  foldLine,
  neutraliseFormula,
  toCsv,
  toIcs,
} from '../../../shared/calendar/export.ts';
import { resolveScheduledTime } from '../../../shared/calendar/time.ts';
import type { Post } from '../../../shared/domain/index.ts';
import { makePost } from '../../support/fixtures.ts';

const NOW = '2026-12-01T09:00:00.000Z';

/** A post on the day Berlin moves its clocks forward (makePost's otherwise). */
function post(overrides: Partial<Post> = {}): Post {
  return makePost({ scheduledAt: '2026-03-29T07:00:00.000Z', ...overrides });
}

const encoder = new TextEncoder();

/** Unfold an ICS document (RFC 5545 §3.1) into its content lines. */
function unfold(ics: string): string[] {
  return ics
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((line) => line !== '');
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_match, char: string) =>
    char === 'n' || char === 'N' ? '\n' : char,
  );
}

/** The VEVENTs of a document as property maps (first value of each name). */
function events(ics: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  for (const line of unfold(ics)) {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT') {
      if (current) found.push(current);
      current = undefined;
    } else if (current) {
      const colon = line.indexOf(':');
      current[line.slice(0, colon)] = line.slice(colon + 1);
    }
  }
  return found;
}

describe('toIcs', () => {
  it('writes a VCALENDAR with one VEVENT per post', () => {
    const ics = toIcs(
      [
        post({ tags: ['launch', 'spring'], link: 'https://example.com/launch', campaign: 'spring' }),
        post({ id: 'post-2', status: 'CANCELLED' }),
      ],
      { now: NOW, calendarName: 'Acme, Inc. social' },
    );

    const lines = unfold(ics);
    expect(lines.slice(0, 5)).toEqual([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Pulsecast//Content Calendar//EN',
      'CALSCALE:GREGORIAN',
      'METHOD:PUBLISH',
    ]);
    expect(lines).toContain('X-WR-CALNAME:Acme\\, Inc. social');
    expect(lines.at(-1)).toBe('END:VCALENDAR');
    const [first, second] = events(ics);
    expect(first).toMatchObject({
      UID: 'post-1@pulsecast',
      DTSTAMP: '20261201T090000Z',
      DTSTART: '20260329T070000Z',
      DURATION: 'PT15M',
      SUMMARY: '[x-main] Hello from Pulsecast',
      STATUS: 'TENTATIVE',
      CATEGORIES: 'launch,spring',
    });
    const description = unescapeText(first?.DESCRIPTION ?? '');
    expect(description).toContain('Hello from Pulsecast\n\n');
    expect(description).toContain('Link: https://example.com/launch');
    expect(description).toContain('Status: SCHEDULED');
    expect(description).toContain('Tags: launch, spring');
    expect(second).toMatchObject({ UID: 'post-2@pulsecast', STATUS: 'CANCELLED' });
  });

  it('links a published post to where it went out', () => {
    const [event] = events(
      toIcs([post({ status: 'PUBLISHED', platformUrl: 'https://x.com/acme/status/1?a=1,2' })], { now: NOW }),
    );

    expect(event).toMatchObject({ STATUS: 'CONFIRMED', URL: 'https://x.com/acme/status/1?a=1,2' });
  });

  it('leaves out URL for posts that are not published', () => {
    expect(events(toIcs([post({ platformUrl: 'https://x.com/1' })], { now: NOW }))[0]).not.toHaveProperty(
      'URL',
    );
  });

  it('escapes backslashes, semicolons, commas and line breaks in text', () => {
    const text = 'Line 1; a, b \\ c\r\nLine 2\nLine 3\rLine 4';

    const [event] = events(toIcs([post({ text })], { now: NOW }));

    expect(event?.DESCRIPTION).toMatch(/^Line 1\\; a\\, b \\\\ c\\nLine 2\\nLine 3\\nLine 4\\n\\n/);
    expect(unescapeText(event?.DESCRIPTION ?? '')).toMatch(/^Line 1; a, b \\ c\nLine 2\nLine 3\nLine 4\n\n/);
    expect(event?.SUMMARY).toBe('[x-main] Line 1\\; a\\, b \\\\ c Line 2 Line 3 Line 4');
  });

  it('shortens the summary to 60 characters without splitting an emoji', () => {
    const text = `${'a'.repeat(58)}👨‍👩‍👧👨‍👩‍👧 and more`;

    const [event] = events(toIcs([post({ text })], { now: NOW }));

    expect(event?.SUMMARY).toBe(`[x-main] ${'a'.repeat(58)}👨‍👩‍👧👨‍👩‍👧…`);
  });

  it('uses CRLF line ends only and folds every line to at most 75 octets', () => {
    const text = `${'Ünïcödé 日本語 🚀 '.repeat(40)}\n${'x'.repeat(300)}`;

    const ics = toIcs([post({ text, tags: ['a'.repeat(64)] })], { now: NOW });

    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of ics.split('\r\n')) expect(encoder.encode(line).length).toBeLessThanOrEqual(75);
    expect(unescapeText(events(ics)[0]?.DESCRIPTION ?? '').startsWith(text)).toBe(true);
  });

  it('never splits a UTF-8 sequence when folding (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.nat({ max: 80 }), (text, prefix) => {
        const line = `DESCRIPTION:${'p'.repeat(prefix)}${text}`;

        const folded = foldLine(line);

        const physical = folded.split('\r\n');
        for (const [index, part] of physical.entries()) {
          expect(encoder.encode(part).length).toBeLessThanOrEqual(75);
          // A lone surrogate would mean a character was cut in half.
          expect(part).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
          if (index > 0) expect(part.startsWith(' ')).toBe(true);
        }
        expect(folded.replace(/\r\n /g, '')).toBe(line);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any text through DESCRIPTION (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (raw) => {
        // TEXT cannot carry control characters; line breaks come back as \n.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the test removes what ICS cannot carry.
        const text = raw.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');

        const [event] = events(toIcs([post({ text })], { now: NOW }));

        const expected = text.replace(/\r\n|\r/g, '\n');
        const description = unescapeText(event?.DESCRIPTION ?? '');
        expect(description.startsWith(expected === '' ? 'Channel:' : `${expected}\n\n`)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an export time that is not a date-time', () => {
    expect(() => toIcs([post()], { now: 'yesterday' })).toThrow(RangeError);
  });
});

describe('toCsv', () => {
  it('writes native columns then status, platform_url, published_at and approval_trail, with a BOM for Excel', () => {
    const csv = toCsv([
      post({
        link: 'https://example.com',
        media: ['https://cdn.example.com/a.png', 'https://cdn.example.com/b.png'],
        campaign: 'spring',
        tags: ['launch', 'promo'],
        status: 'PUBLISHED',
        platformUrl: 'https://x.com/acme/status/1',
        publishedAt: '2026-03-29T07:00:01.000Z',
      }),
    ]);

    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.slice(1).split('\r\n')).toEqual([
      EXPORT_COLUMNS.join(','),
      'post-1,x-main,2026-03-29T09:00:00+02:00,Europe/Berlin,Hello from Pulsecast,https://example.com,https://cdn.example.com/a.png|https://cdn.example.com/b.png,spring,launch;promo,,PUBLISHED,https://x.com/acme/status/1,2026-03-29T07:00:01.000Z,',
      '',
    ]);
    expect(toCsv([], { bom: false })).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`);
  });

  it('quotes cells with commas, quotes, line breaks and edge spaces (RFC 4180)', () => {
    const csv = toCsv([post({ text: 'He said "hi", twice\nthen left ' })], { bom: false });

    expect(csv).toContain(',"He said ""hi"", twice\nthen left ",');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    const texts = ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd', "'=already"];

    const csv = toCsv(
      texts.map((text, i) => post({ id: `p${i}`, text })),
      { bom: false },
    );

    const lines = csv.split('\r\n');
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil"")",`);
    expect(lines[2]).toContain(",'+1+1,");
    expect(lines[3]).toContain(",'-2+3,");
    expect(lines[4]).toContain(",'@SUM(A1),");
    expect(lines[5]).toContain(",'\tcmd,");
    expect(csv).toContain(`,"'\rcmd",`);
    expect(csv).toContain(",''=already,");
    // No cell of the file starts with a trigger character any more.
    for (const line of lines.slice(1)) {
      for (const cell of line.split(',')) expect(cell).not.toMatch(/^"?[=+\-@\t]/);
    }
  });

  it('neutralises exactly the OWASP trigger characters', () => {
    expect(neutraliseFormula('=1')).toBe("'=1");
    expect(neutraliseFormula('plain')).toBe('plain');
    expect(neutraliseFormula("'quoted")).toBe("'quoted");
    expect(neutraliseFormula("''@x")).toBe("'''@x");
    expect(neutraliseFormula('')).toBe('');
  });

  it('parses back with parseCalendarCsv into the same posts, extra columns as warnings', () => {
    const posts = [
      post({
        id: 'a',
        text: '=1+1 is a formula',
        tags: ['x', 'y'],
        media: ['https://cdn.example.com/a.png'],
      }),
      post({
        id: 'b',
        text: '@brand thanks!\n\n👨‍👩‍👧 مرحبا, "quoted"',
        timezone: 'Asia/Kathmandu',
        link: 'https://e.com',
      }),
      post({ id: 'c', text: '-50% today', scheduledAt: '2026-10-25T00:30:00.000Z', campaign: 'autumn' }),
      post({
        id: 'd',
        text: '',
        media: ['https://cdn.example.com/only|pipe.png'],
        timezone: 'Australia/Lord_Howe',
      }),
    ];

    const parsed = parseCalendarCsv(toCsv(posts));

    expect(parsed.format).toBe('native');
    expect(parsed.issues).toEqual([]);
    expect(parsed.warnings.map((w) => w.column)).toEqual([
      'status',
      'platform_url',
      'published_at',
      'approval_trail',
    ]);
    expect(parsed.rows.map((row) => row.row)).toEqual([2, 3, 6, 7]);
    for (const [index, row] of parsed.rows.entries()) {
      const original = posts[index] as Post;
      const { fields } = row;
      const resolved = resolveScheduledTime(fields.scheduled_at ?? '', fields.timezone);
      expect(resolved).toMatchObject({ ok: true, instant: original.scheduledAt });
      expect(fields.id).toBe(original.id);
      expect(fields.channel).toBe(original.channel);
      expect(fields.timezone).toBe(original.timezone);
      expect(fields.text ?? '').toBe(original.text);
      expect(fields.link).toBe(original.link);
      expect(fields.campaign).toBe(original.campaign);
      expect(splitTagsCell(fields.tags)).toEqual(original.tags);
      expect(splitMediaCell(fields.media)).toEqual(original.media.map((url) => url.replace('|', '%7C')));
    }
  });

  it('round-trips arbitrary posts (property)', () => {
    const tag = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
      .filter((t) => !t.includes(';') && t.trim() === t && t !== '');
    const arbitraryPost = fc.record({
      text: fc.string({ unit: 'grapheme', maxLength: 200 }),
      tags: fc.array(tag, { maxLength: 4 }),
      minute: fc.integer({ min: 0, max: 60 * 24 * 365 * 5 }),
      timezone: fc.constantFrom(
        'UTC',
        'Europe/Berlin',
        'America/New_York',
        'Asia/Kolkata',
        'Australia/Lord_Howe',
      ),
    });
    fc.assert(
      fc.property(fc.array(arbitraryPost, { minLength: 1, maxLength: 5 }), (drafts) => {
        const posts = drafts.map((draft, i) =>
          post({
            id: `p${i}`,
            // biome-ignore lint/suspicious/noControlCharactersInRegex: a CSV upload refuses binary content, so none is generated.
            text: draft.text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/g, ''),
            tags: draft.tags,
            timezone: draft.timezone,
            scheduledAt: new Date(Date.UTC(2026, 0, 1) + draft.minute * 60_000).toISOString(),
          }),
        );

        const parsed = parseCalendarCsv(toCsv(posts));

        expect(parsed.issues).toEqual([]);
        expect(parsed.rows).toHaveLength(posts.length);
        for (const [index, row] of parsed.rows.entries()) {
          const original = posts[index] as Post;
          const expectedText = original.text.replace(/\r\n?/g, '\n');
          expect(row.fields.text ?? '').toBe(expectedText.trim() === '' ? '' : expectedText);
          expect(splitTagsCell(row.fields.tags)).toEqual(original.tags);
          const resolved = resolveScheduledTime(row.fields.scheduled_at ?? '', row.fields.timezone);
          expect(resolved.ok && resolved.instant).toBe(original.scheduledAt);
        }
      }),
      { numRuns: 200 },
    );
  });
});
