import { createHash, randomUUID } from 'node:crypto';
import { withApprovalRules } from '../approvals/submit.ts';
import type {
  CalendarFormat,
  PlanAction,
  PlanSummary,
  PostStatus,
  RowIssue,
  RowOutcome,
  Upload,
} from '../domain/index.ts';
import { EDITABLE_STATUSES, sameContent } from '../domain/index.ts';
import { BadRequestError, ValidationError } from '../errors.ts';
import { applyCampaignPlans, planCampaigns } from '../goals/campaigns.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { PostStore } from '../store/posts.ts';
import { CalendarParseError, type NativeColumn, parseCalendarCsv, type RawRow } from './csv.ts';
import { JSON_COLUMN_NAMES, parseCalendarJson } from './json.ts';
import { planCalendar, summarise } from './plan.ts';

export interface CalendarUpload {
  body: Uint8Array;
  contentType: 'json' | 'csv';
  format?: CalendarFormat;
  /** Hootsuite and Sprout files name no channel per row: the upload names it. */
  channel?: string;
  /** Hootsuite's date format, e.g. `dd/MM/yyyy HH:mm`. */
  dateFormat?: string;
  timezone?: string;
  dryRun: boolean;
}

export interface UploadResult {
  uploadId: string;
  dryRun: boolean;
  format: CalendarFormat;
  summary: PlanSummary;
  posts: UploadedRow[];
  /** Campaigns the upload declared (JSON `campaigns`), with what the upload does to each. */
  campaigns?: { row: number; id: string; action: PlanAction }[];
  warnings: RowIssue[];
}

export interface UploadedRow {
  row: number;
  id: string;
  action: RowOutcome;
  scheduledAt: string;
  /** The post's version once this upload is applied (planned, for a dry run; as stored, for a conflict). */
  version: number;
  /** With `conflict`: the post as it is now, which this upload left alone. */
  current?: { status: PostStatus; version: number };
  /** Set when the post waits for sign-off (its channel or campaign has an approval rule). */
  pendingApproval?: true;
}

export interface UploadDeps {
  store: PostStore & ChannelStore & CampaignStore;
  now: () => Date;
  newId?: () => string;
  /** Who uploads (the caller's identity), for the approval trail. @default 'api' */
  actor?: string;
}

const HOOTSUITE_COLUMNS: Partial<Record<NativeColumn, string>> = {
  scheduled_at: 'date',
  text: 'message',
  link: 'link',
  channel: 'channel (query parameter)',
  timezone: 'timezone (query parameter)',
};
const SPROUT_COLUMNS: Partial<Record<NativeColumn, string>> = {
  scheduled_at: 'date/time_24hr',
  text: 'message_text',
  link: 'link',
  media: 'image_url',
  channel: 'channel (query parameter)',
  timezone: 'timezone (query parameter)',
};

/**
 * Validates a whole calendar and, unless it is a dry run, applies it. Any invalid row rejects
 * the upload before anything is written. Re-uploading the same file changes nothing: rows map
 * to the same post ids and unchanged content is left alone.
 */
export async function uploadCalendar(upload: CalendarUpload, deps: UploadDeps): Promise<UploadResult> {
  const text = decodeUtf8(upload.body);
  const { rows, format, issues: readIssues, warnings, columnName, campaigns } = readRows(text, upload);

  const now = deps.now();
  // Campaigns (and their goals) declared beside the posts are part of the same all-or-nothing check.
  const campaignPlan = await planCampaigns(campaigns, { store: deps.store, now });
  const plan = await planCalendar(rows, deps.store, {
    format,
    columnName,
    now,
    ...(upload.timezone ? { timezone: upload.timezone } : {}),
  });
  // Report everything in one pass: what reading the file found, then what validation found in
  // other cells (a cell that could not be read is not reported again as missing).
  const seen = new Set(readIssues.map((issue) => `${issue.row}\n${issue.column}`));
  const issues = [
    ...readIssues,
    ...plan.issues.filter((issue) => !seen.has(`${issue.row}\n${issue.column}`)),
    ...campaignPlan.issues,
  ].sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));
  const allWarnings = [...warnings, ...plan.warnings];
  if (issues.length > 0) {
    throw new ValidationError(
      `${issues.length} problem(s) in ${new Set(issues.map((i) => i.row)).size} row(s); nothing was saved`,
      issues,
      allWarnings,
    );
  }

  // Posts under an approval rule wait for sign-off instead of being SCHEDULED (shared/approvals).
  const toReview = plan.rows.filter((row) => row.action !== 'unchanged');
  const reviewed = await withApprovalRules(
    toReview.map((row) => ({ post: row.post, stored: row.previous })),
    {
      store: deps.store,
      now: now.toISOString(),
      by: deps.actor ?? 'api',
      declared: new Map(campaignPlan.plans.map((p) => [p.input.id, p.input])),
    },
  );
  reviewed.forEach((post, i) => {
    (toReview[i] as (typeof toReview)[number]).post = post;
  });

  const uploadId = deps.newId?.() ?? `upl-${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
  /** Rows whose write did not go as planned. */
  const outcomeOf = new Map<
    number,
    { action: RowOutcome; version?: number; current?: UploadedRow['current'] }
  >();
  if (!upload.dryRun) {
    // Campaigns first: posts may name them, and a campaign conflict stops the upload before any post.
    await applyCampaignPlans(
      campaignPlan.plans.filter((p) => p.action !== 'unchanged'),
      deps.store,
      now,
    );
    // Every write is conditional — a create on the post's absence, an update on the version it
    // was planned from and on its being still editable — so a post that was created, edited,
    // cancelled, claimed or published since it was read is never overwritten: that row is
    // reported as a conflict, the others are applied. (Without transactions an upload cannot be
    // all-or-nothing against concurrent writers; validation above still is.)
    const changed = plan.rows.filter((row) => row.action !== 'unchanged');
    const outcomes = await deps.store.writePosts(
      changed.map((row) => ({
        post: { ...row.post, uploadId },
        ...(row.action === 'updated'
          ? { expectedVersion: row.previousVersion as number, allowedStatuses: EDITABLE_STATUSES }
          : {}),
      })),
    );
    outcomes.forEach((outcome, index) => {
      const row = changed[index];
      if (!row || outcome.written) return;
      const current = outcome.current;
      // Someone stored exactly this content meanwhile (the same file uploaded twice at once, a
      // retried request): nothing is lost, the row is simply unchanged.
      if (current && EDITABLE_STATUSES.includes(current.status) && sameContent(current, row.post)) {
        outcomeOf.set(row.row, { action: 'unchanged', version: current.version });
      } else {
        outcomeOf.set(row.row, {
          action: 'conflict',
          ...(current
            ? { version: current.version, current: { status: current.status, version: current.version } }
            : {}),
        });
      }
    });
  }
  const posts: UploadedRow[] = plan.rows.map(({ row, id, action, scheduledAt, post }) => ({
    row,
    id,
    scheduledAt,
    action,
    version: post.version,
    ...(post.status === 'PENDING_APPROVAL' ? { pendingApproval: true as const } : {}),
    ...outcomeOf.get(row),
  }));
  const summary = summarise(posts.map((row) => row.action));
  if (!upload.dryRun) {
    const record: Upload = {
      id: uploadId,
      createdAt: now.toISOString(),
      format,
      contentType: upload.contentType,
      contentHash: createHash('sha256').update(upload.body).digest('hex'),
      rowCount: rows.length,
      summary,
      warningCount: allWarnings.length,
    };
    await deps.store.putUpload(record);
  }

  return {
    uploadId,
    dryRun: upload.dryRun,
    format,
    summary,
    posts,
    ...(campaignPlan.plans.length > 0
      ? { campaigns: campaignPlan.plans.map(({ row, input, action }) => ({ row, id: input.id, action })) }
      : {}),
    warnings: allWarnings,
  };
}

function readRows(
  text: string,
  upload: CalendarUpload,
): {
  rows: RawRow[];
  format: CalendarFormat;
  issues: RowIssue[];
  warnings: RowIssue[];
  columnName: (column: NativeColumn) => string;
  campaigns: unknown[];
} {
  try {
    if (upload.contentType === 'json') {
      if (upload.format && upload.format !== 'native') {
        throw new BadRequestError(`format=${upload.format} is a CSV format; send it as text/csv`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new BadRequestError(`the body is not valid JSON: ${(error as Error).message}`, [], {
          cause: error,
        });
      }
      const parsed = parseCalendarJson(body);
      return {
        ...parsed,
        format: 'native',
        warnings: [],
        columnName: (column) => JSON_COLUMN_NAMES[column] ?? column,
      };
    }
    const parsed = parseCalendarCsv(text, {
      ...(upload.format ? { format: upload.format } : {}),
      ...(upload.channel ? { channel: upload.channel } : {}),
      ...(upload.dateFormat ? { dateFormat: upload.dateFormat } : {}),
      ...(upload.timezone ? { timezone: upload.timezone } : {}),
    });
    const labels =
      parsed.format === 'hootsuite' ? HOOTSUITE_COLUMNS : parsed.format === 'sprout' ? SPROUT_COLUMNS : {};
    return { ...parsed, campaigns: [], columnName: (column) => labels[column] ?? column };
  } catch (error) {
    if (error instanceof CalendarParseError) {
      throw new ValidationError(`the calendar file could not be read: ${error.message}`, [
        { row: error.row ?? 1, column: error.column ?? '', message: error.message },
      ]);
    }
    throw error;
  }
}

function decodeUtf8(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (error) {
    throw new BadRequestError('the body is not UTF-8 text; save the calendar as UTF-8 CSV or JSON', [], {
      cause: error,
    });
  }
}
