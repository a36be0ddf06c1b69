import type { RowIssue } from '../domain/index.ts';
import { CalendarParseError, MAX_CALENDAR_ROWS, type NativeColumn, type RawRow } from './csv.ts';

/** JSON upload field (camelCase) → native CSV column it stands for. */
const JSON_FIELDS: Record<string, NativeColumn> = {
  id: 'id',
  channel: 'channel',
  scheduledAt: 'scheduled_at',
  timezone: 'timezone',
  text: 'text',
  link: 'link',
  media: 'media',
  campaign: 'campaign',
  tags: 'tags',
  utm: 'utm',
};

export const JSON_COLUMN_NAMES: Record<NativeColumn, string> = Object.fromEntries(
  Object.entries(JSON_FIELDS).map(([json, native]) => [native, json]),
) as Record<NativeColumn, string>;

/** List fields may be arrays or, as in the CSV, one string with separators. */
const LIST_SEPARATORS: Partial<Record<NativeColumn, string>> = { media: '|', tags: ';' };

export interface JsonCalendar {
  rows: RawRow[];
  issues: RowIssue[];
  /** The companion `campaigns` (with their goals), unchecked: shared/goals/campaigns.ts checks them. */
  campaigns: unknown[];
}

/** Campaigns one upload may declare. */
export const MAX_UPLOAD_CAMPAIGNS = 100;

/**
 * Turns a JSON upload `{ "posts": [...], "campaigns": [...] }` into the same rows a native CSV
 * gives, so one validator serves both. `row` is the 1-based position in `posts`. `campaigns`
 * (optional) declares the campaigns the posts belong to, with their goals.
 */
export function parseCalendarJson(body: unknown): JsonCalendar {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CalendarParseError('the JSON body must be an object like { "posts": [ ... ] }');
  }
  const unknownKeys = Object.keys(body).filter((key) => key !== 'posts' && key !== 'campaigns');
  if (unknownKeys.length > 0) {
    throw new CalendarParseError(
      `unknown top-level field(s) ${unknownKeys.map((k) => `"${k}"`).join(', ')}; expected only "posts" and "campaigns"`,
    );
  }
  const campaigns = (body as { campaigns?: unknown }).campaigns ?? [];
  if (!Array.isArray(campaigns)) throw new CalendarParseError('"campaigns" must be an array of campaigns');
  if (campaigns.length > MAX_UPLOAD_CAMPAIGNS) {
    throw new CalendarParseError(
      `the upload declares ${campaigns.length} campaigns; one upload takes at most ${MAX_UPLOAD_CAMPAIGNS}`,
    );
  }
  const posts = (body as { posts?: unknown }).posts;
  if (!Array.isArray(posts)) throw new CalendarParseError('"posts" must be an array of posts');
  if (posts.length === 0) throw new CalendarParseError('"posts" is empty: there is nothing to schedule');
  if (posts.length > MAX_CALENDAR_ROWS) {
    throw new CalendarParseError(
      `the calendar has ${posts.length} posts; one upload takes at most ${MAX_CALENDAR_ROWS}`,
    );
  }

  const rows: RawRow[] = [];
  const issues: RowIssue[] = [];
  posts.forEach((post, index) => {
    const row = index + 1;
    if (typeof post !== 'object' || post === null || Array.isArray(post)) {
      issues.push({ row, column: 'posts', message: 'each post must be an object' });
      return;
    }
    const fields: RawRow['fields'] = {};
    for (const [key, value] of Object.entries(post)) {
      // Own keys only: `__proto__`, `constructor`, `toString`… are unknown fields like any other.
      const column = Object.hasOwn(JSON_FIELDS, key) ? JSON_FIELDS[key] : undefined;
      if (!column) {
        issues.push({
          row,
          column: key,
          message: `unknown field; expected one of ${Object.keys(JSON_FIELDS).join(', ')}`,
        });
        continue;
      }
      if (value === null || value === undefined) continue;
      const separator = LIST_SEPARATORS[column];
      if (column === 'utm' && typeof value === 'boolean') {
        fields[column] = String(value);
      } else if (separator && Array.isArray(value)) {
        if (!value.every((item) => typeof item === 'string')) {
          issues.push({ row, column: key, message: 'must be a list of strings' });
          continue;
        }
        fields[column] = value.join(separator);
      } else if (typeof value === 'string') {
        fields[column] = value;
      } else {
        issues.push({
          row,
          column: key,
          message: separator ? 'must be a list of strings' : 'must be a string',
        });
      }
    }
    rows.push({ row, fields });
  });
  return { rows, issues, campaigns };
}
