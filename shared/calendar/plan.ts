import { createHash } from 'node:crypto';
import {
  type CalendarFormat,
  type Channel,
  EDITABLE_STATUSES,
  HttpUrl,
  isIanaTimezone,
  type PlanAction,
  type PlanSummary,
  type Post,
  type PostContent,
  type RowIssue,
  type RowOutcome,
  Slug,
  sameContent,
} from '../domain/index.ts';
import { validatePostForPlatform } from '../platforms/rules.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { PostStore } from '../store/posts.ts';
import type { NativeColumn, RawRow } from './csv.ts';
import { resolveScheduledTime } from './time.ts';
import { parseUtmFlag, tagLink } from './utm.ts';

/** Identical text on the same channel this close together is flagged (Ayrshare rejects it within 3 days). */
export const DUPLICATE_TEXT_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

export interface PlanOptions {
  format: CalendarFormat;
  /** How a column is named in error messages (the file's own header names). */
  columnName: (column: NativeColumn) => string;
  /** Upload-wide default time zone (`?timezone=`), before the channel's. */
  timezone?: string;
  now: Date;
  /**
   * The stored posts the plan is computed against, when the caller has already read them (an
   * edit plans against the version it read, so the conditional write checks exactly that one).
   */
  existing?: ReadonlyMap<string, Post>;
}

export interface PlannedRow {
  row: number;
  id: string;
  action: PlanAction;
  scheduledAt: string;
  post: Post;
  /** The version stored before this upload (for the conditional write of an update). */
  previousVersion?: number;
  /** The post as stored before this upload (what an approval reset says changed). */
  previous?: Post;
}

export interface CalendarPlan {
  rows: PlannedRow[];
  summary: PlanSummary;
  issues: RowIssue[];
  warnings: RowIssue[];
}

interface CandidateRow {
  row: number;
  id: string;
  content: PostContent;
}

/**
 * Validates every row of a calendar and works out, per post, whether the upload creates,
 * updates or leaves it unchanged. Nothing is written here: the caller applies the plan only
 * when `issues` is empty, which is what makes an upload all-or-nothing.
 */
export async function planCalendar(
  rows: readonly RawRow[],
  store: PostStore & ChannelStore,
  options: PlanOptions,
): Promise<CalendarPlan> {
  const issues: RowIssue[] = [];
  const warnings: RowIssue[] = [];
  const issue = (row: number, column: NativeColumn, message: string) =>
    issues.push({ row, column: options.columnName(column), message });
  const warn = (row: number, column: NativeColumn, message: string) =>
    warnings.push({ row, column: options.columnName(column), message });

  // Only well-formed ids are looked up: a 2,000-character cell must not reach DynamoDB's key limits.
  const channelIds = [
    ...new Set(
      rows
        .map((row) => row.fields.channel?.trim())
        .filter((id): id is string => !!id && Slug.safeParse(id).success),
    ),
  ];
  const channels = await store.getChannels(channelIds);

  const candidates: CandidateRow[] = [];
  for (const row of rows) {
    const candidate = validateRow(row, channels, options, issue, warn);
    if (candidate) candidates.push(candidate);
  }

  findDuplicateRows(candidates, issue);
  const existing = options.existing ?? (await store.getPosts(candidates.map((candidate) => candidate.id)));
  await findDuplicateTexts(candidates, store, warn);

  const planned: PlannedRow[] = [];
  const nowIso = options.now.toISOString();
  for (const candidate of candidates) {
    const stored = existing.get(candidate.id);
    const action: PlanAction = !stored
      ? 'created'
      : sameContent(stored, candidate.content)
        ? 'unchanged'
        : 'updated';
    if (stored && action === 'updated' && !EDITABLE_STATUSES.includes(stored.status)) {
      issue(
        candidate.row,
        'id',
        `post '${candidate.id}' is already ${stored.status} and can no longer be changed; give the row a new id to schedule a new post`,
      );
      continue;
    }
    // A past time only matters for what this upload would (re)schedule; an unchanged row that
    // has already gone out is simply unchanged.
    if (action !== 'unchanged' && candidate.content.scheduledAt < nowIso) {
      issue(
        candidate.row,
        'scheduled_at',
        `${candidate.content.scheduledAt} is in the past (now is ${nowIso}); pick a future time`,
      );
      continue;
    }
    const post: Post = stored
      ? action === 'unchanged'
        ? stored
        : { ...stored, ...candidate.content, version: stored.version + 1, updatedAt: nowIso }
      : {
          ...candidate.content,
          id: candidate.id,
          status: 'SCHEDULED',
          version: 1,
          createdAt: nowIso,
          updatedAt: nowIso,
        };
    planned.push({
      row: candidate.row,
      id: candidate.id,
      action,
      scheduledAt: post.scheduledAt,
      post,
      ...(stored ? { previousVersion: stored.version, previous: stored } : {}),
    });
  }

  issues.sort(byRowThenColumn);
  warnings.sort(byRowThenColumn);
  return { rows: planned, summary: summarise(planned.map((row) => row.action)), issues, warnings };
}

function validateRow(
  { row, fields }: RawRow,
  channels: Map<string, Channel>,
  options: PlanOptions,
  issue: (row: number, column: NativeColumn, message: string) => void,
  warn: (row: number, column: NativeColumn, message: string) => void,
): CandidateRow | undefined {
  let errors = 0;
  const fail = (column: NativeColumn, message: string) => {
    errors++;
    issue(row, column, message);
  };

  const channelId = fields.channel?.trim() ?? '';
  const channel = channels.get(channelId);
  if (!channelId) fail('channel', 'is required: name the channel (its id) this post goes to');
  else if (!Slug.safeParse(channelId).success)
    fail(
      'channel',
      `'${truncate(channelId)}' is not a valid channel id: use up to 64 letters, digits, ".", "_" or "-"`,
    );
  else if (!channel)
    fail('channel', `channel '${channelId}' does not exist; add it first (POST /v1/channels)`);

  const id = fields.id?.trim() || undefined;
  if (id !== undefined && !Slug.safeParse(id).success) {
    fail('id', `'${truncate(id)}' is not a valid id: use up to 64 letters, digits, ".", "_" or "-"`);
  }

  const zone = fields.timezone?.trim() || undefined;
  if (zone !== undefined && !isIanaTimezone(zone)) {
    fail(
      'timezone',
      `'${zone}' is not an IANA time zone name (for example Europe/Berlin or America/New_York)`,
    );
  }
  const timezone = zone ?? options.timezone ?? channel?.timezone;

  const when = fields.scheduled_at?.trim() ?? '';
  let scheduledAt: string | undefined;
  if (!when) fail('scheduled_at', 'is required: when should this post go out?');
  else if (zone === undefined || isIanaTimezone(zone)) {
    const resolved = resolveScheduledTime(when, timezone);
    if (resolved.ok) {
      scheduledAt = resolved.instant;
      if (resolved.warning) warn(row, 'scheduled_at', resolved.warning);
    } else fail('scheduled_at', resolved.message);
  }

  const text = fields.text ?? '';
  const link = fields.link?.trim() || undefined;
  if (link !== undefined && !HttpUrl.safeParse(link).success) {
    fail('link', `'${truncate(link)}' is not a web address starting with https:// or http://`);
  }
  const media = splitList(fields.media, '|');
  const tags = [...new Set(splitList(fields.tags, ';'))];
  for (const tag of tags)
    if (tag.length > 64) fail('tags', `tag '${truncate(tag)}' is longer than 64 characters`);

  const campaign = fields.campaign?.trim() || undefined;
  if (campaign !== undefined && !Slug.safeParse(campaign).success) {
    fail(
      'campaign',
      `'${truncate(campaign)}' is not a valid campaign id: use letters, digits, ".", "_" or "-"`,
    );
  }

  const utm = parseUtmFlag(fields.utm);
  if (!utm.ok) {
    fail(
      'utm',
      `'${truncate(fields.utm ?? '')}' is not yes or no; write false to publish the link without UTM parameters`,
    );
  }
  // The key comes from the text as written, before tagging: the tag holds the key itself.
  const key =
    id ?? (channel && scheduledAt ? derivedId({ channel: channel.id, scheduledAt, text }) : undefined);
  // Tagged here, at plan time, so the platform rules below measure the link as it will go out
  // (see utm.ts). The same link inside the text is the same link: it is tagged there too, so
  // the platform does not get it twice.
  const tagged =
    link !== undefined && channel && key && utm.ok && utm.tag && HttpUrl.safeParse(link).success
      ? tagLink(link, {
          platform: channel.platform,
          ...(campaign !== undefined && Slug.safeParse(campaign).success ? { campaign } : {}),
          postId: key,
        })
      : link;
  const published =
    tagged !== undefined && link !== undefined && tagged !== link ? text.split(link).join(tagged) : text;

  if (channel) {
    for (const finding of validatePostForPlatform(channel.platform, {
      text: published,
      ...(tagged ? { link: tagged } : {}),
      media,
    })) {
      if (finding.severity === 'error') fail(finding.column, finding.message);
      else warn(row, finding.column, finding.message);
    }
  } else if (!text.trim() && media.length === 0) {
    fail('text', 'is required: a post needs text or media');
  }

  if (errors > 0 || !scheduledAt || !channel || !timezone || !key) return undefined;
  const content: PostContent = {
    channel: channel.id,
    scheduledAt,
    timezone,
    text: published,
    ...(tagged ? { link: tagged } : {}),
    media,
    ...(campaign ? { campaign } : {}),
    tags,
    ...(utm.ok && !utm.tag ? { utm: false } : {}),
  };
  return { row, id: key, content };
}

/**
 * A post without an `id` is keyed by what makes it that post — channel, instant and text — so
 * uploading the same file twice finds the same posts instead of scheduling them again.
 */
export function derivedId(content: Pick<PostContent, 'channel' | 'scheduledAt' | 'text'>): string {
  const hash = createHash('sha256')
    .update(`${content.channel}\n${content.scheduledAt}\n${content.text}`)
    .digest('hex');
  return `p-${hash.slice(0, 24)}`;
}

function findDuplicateRows(
  candidates: CandidateRow[],
  issue: (row: number, column: NativeColumn, message: string) => void,
): void {
  const firstRowById = new Map<string, number>();
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as CandidateRow;
    const first = firstRowById.get(candidate.id);
    if (first === undefined) {
      firstRowById.set(candidate.id, candidate.row);
      continue;
    }
    issue(
      candidate.row,
      'id',
      `duplicates row ${first} (same ${candidate.id.startsWith('p-') ? 'channel, time and text' : 'id'}); remove one of them`,
    );
    candidates.splice(i--, 1);
  }
}

/** Warns about the same text on the same channel within 3 days, in the file or already scheduled. */
async function findDuplicateTexts(
  candidates: CandidateRow[],
  store: PostStore,
  warn: (row: number, column: NativeColumn, message: string) => void,
): Promise<void> {
  if (candidates.length === 0) return;
  const times = candidates.map((candidate) => Date.parse(candidate.content.scheduledAt));
  const from = new Date(Math.min(...times) - DUPLICATE_TEXT_WINDOW_MS).toISOString();
  const to = new Date(Math.max(...times) + DUPLICATE_TEXT_WINDOW_MS + 1).toISOString();
  const stored = (await store.postsScheduledBetween(from, to)).filter(
    (post) => post.status !== 'CANCELLED' && post.status !== 'FAILED',
  );

  type Entry = { id: string; at: number; label: string };
  const byKey = new Map<string, Entry[]>();
  const key = (channel: string, text: string) => `${channel}\n${text.trim().replace(/\s+/g, ' ')}`;
  const add = (channel: string, text: string, entry: Entry) => {
    if (!text.trim()) return;
    const list = byKey.get(key(channel, text)) ?? [];
    list.push(entry);
    byKey.set(key(channel, text), list);
  };
  const inFile = new Set(candidates.map((candidate) => candidate.id));
  for (const post of stored) {
    if (!inFile.has(post.id))
      add(post.channel, post.text, {
        id: post.id,
        at: Date.parse(post.scheduledAt),
        label: `post '${post.id}'`,
      });
  }
  for (const candidate of candidates) {
    add(candidate.content.channel, candidate.content.text, {
      id: candidate.id,
      at: Date.parse(candidate.content.scheduledAt),
      label: `row ${candidate.row}`,
    });
  }
  for (const candidate of candidates) {
    const others = byKey.get(key(candidate.content.channel, candidate.content.text)) ?? [];
    const at = Date.parse(candidate.content.scheduledAt);
    const clash = others.find(
      (other) => other.id !== candidate.id && Math.abs(other.at - at) < DUPLICATE_TEXT_WINDOW_MS,
    );
    if (clash) {
      warn(
        candidate.row,
        'text',
        `the same text goes to '${candidate.content.channel}' within 3 days (${clash.label}); platforms may reject or bury repeats`,
      );
    }
  }
}

function splitList(value: string | undefined, separator: string): string[] {
  if (!value) return [];
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Rows per action; `conflict` only when some row lost a race while the upload was written. */
export function summarise(actions: readonly RowOutcome[]): PlanSummary {
  const summary: PlanSummary = { created: 0, updated: 0, unchanged: 0 };
  let conflict = 0;
  for (const action of actions) {
    if (action === 'conflict') conflict++;
    else summary[action]++;
  }
  return conflict > 0 ? { ...summary, conflict } : summary;
}

function byRowThenColumn(a: RowIssue, b: RowIssue): number {
  return a.row - b.row || a.column.localeCompare(b.column);
}

function truncate(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
