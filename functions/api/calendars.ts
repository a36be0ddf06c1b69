import * as z from 'zod';
import { toCsv, toIcs } from '../../shared/calendar/export.ts';
import { uploadCalendar } from '../../shared/calendar/upload.ts';
import { CalendarFormat, IanaTimezone, type Post, Slug } from '../../shared/domain/index.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { pagesOf } from '../../shared/store/pages.ts';
import {
  type ApiEvent,
  bodyBytes,
  json,
  mediaType,
  parseQuery,
  problem,
  QueryBoolean,
  routeGroup,
  UnsupportedMediaTypeError,
} from '../commons/http.ts';
import { actorOf } from '../commons/identity.ts';
import { logger } from '../commons/observability.ts';
import { PostFilterQuery } from '../commons/queries.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

const UploadQuery = z.strictObject({
  dryRun: QueryBoolean.default(false),
  format: CalendarFormat.optional(),
  channel: Slug.optional(),
  dateFormat: z.string().min(1).max(40).optional(),
  timezone: IanaTimezone.optional(),
});

/** Media types browsers and tools actually send for CSV files (Excel on Windows says vnd.ms-excel). */
const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel']);

function uploadKind(event: ApiEvent): 'json' | 'csv' {
  const type = mediaType(event);
  if (type === 'application/json') return 'json';
  if (type && CSV_TYPES.has(type)) return 'csv';
  throw new UnsupportedMediaTypeError(
    `Content-Type ${type ?? '(none)'} is not accepted; send the calendar as text/csv or application/json`,
  );
}

/** Exports take at most this many posts; narrow with from/to beyond that. */
const EXPORT_LIMIT = 10_000;

async function postsForExport(event: ApiEvent): Promise<Post[]> {
  const filter = parseQuery(event, PostFilterQuery);
  const posts: Post[] = [];
  for await (const items of pagesOf(500, (page) => store.listPosts(filter, page))) {
    posts.push(...items);
    if (posts.length > EXPORT_LIMIT) {
      throw new BadRequestError(`more than ${EXPORT_LIMIT} posts match; narrow the export with from and to`);
    }
  }
  return posts;
}

/** POST /v1/calendars and the calendar exports. */
export const handler = routeGroup({
  'POST /v1/calendars': async (event) => {
    const query = parseQuery(event, UploadQuery);
    const contentType = uploadKind(event);
    const result = await uploadCalendar(
      {
        body: bodyBytes(event),
        contentType,
        dryRun: query.dryRun,
        ...(query.format ? { format: query.format } : {}),
        ...(query.channel ? { channel: query.channel } : {}),
        ...(query.dateFormat ? { dateFormat: query.dateFormat } : {}),
        ...(query.timezone ? { timezone: query.timezone } : {}),
      },
      { store, now, ...actorOf(event) },
    );
    // The upload id is what the caller quotes back; this line ties it to the request's logs.
    logger.appendKeys({ uploadId: result.uploadId });
    logger.info('calendar uploaded', {
      dryRun: result.dryRun,
      format: result.format,
      summary: result.summary,
      warnings: result.warnings.length,
    });
    const conflicts = result.summary.conflict ?? 0;
    if (conflicts > 0) {
      // Some rows were applied and some were not: say which, as a problem the caller can't miss.
      const applied = result.posts.length - conflicts;
      return problem(
        409,
        'upload-conflict',
        `${conflicts} row(s) were not applied because their post changed while this upload ran (see posts[].current); the other ${applied} row(s) were applied. Upload again to see where each post stands now.`,
        { ...result, instance: event.rawPath },
      );
    }
    return json(result.dryRun ? 200 : 201, result);
  },

  'GET /v1/calendar.ics': async (event) => ({
    statusCode: 200,
    headers: {
      'content-type': 'text/calendar; charset=utf-8',
      'content-disposition': 'attachment; filename="pulsecast.ics"',
    },
    body: toIcs(await postsForExport(event), { now: now().toISOString(), calendarName: 'Pulsecast' }),
  }),

  'GET /v1/calendar.csv': async (event) => ({
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="pulsecast.csv"',
    },
    body: toCsv(await postsForExport(event)),
  }),
});
