import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type CommandSpec, JSON_OPTION } from '../command.ts';
import { ApiProblemError, CliError } from '../errors.ts';
import { println, type TextSink } from '../io.ts';
import { printIssues, printJson, renderTable } from '../output.ts';
import { type UploadPlan, UploadPlanSchema } from '../responses.ts';

export const uploadCommand: CommandSpec = {
  path: ['upload'],
  summary: 'upload a content calendar (CSV or JSON) and print the plan',
  operands: [
    {
      name: 'FILE',
      description: 'the calendar; a .json file is sent as application/json, anything else as text/csv',
    },
  ],
  options: {
    'dry-run': { type: 'boolean', description: 'show what would change without writing anything' },
    format: {
      type: 'string',
      arg: 'native|hootsuite|sprout',
      description: "the calendar's format (default: detected from its header)",
    },
    channel: {
      type: 'string',
      arg: 'ID',
      description: 'the channel for rows that name none (Hootsuite files)',
    },
    'date-format': {
      type: 'string',
      arg: 'PATTERN',
      description: 'how the file writes dates, e.g. "dd/MM/yyyy HH:mm" (Hootsuite files)',
    },
    timezone: {
      type: 'string',
      arg: 'ZONE',
      description: 'IANA zone for local times that name none, e.g. Europe/Berlin',
    },
    json: JSON_OPTION,
  },
  details: `Validation is all-or-nothing: if any row is invalid, every problem is listed by row and
column and nothing is written. Uploading the same file again changes nothing.

Examples:
  pulsecast upload calendar.csv --dry-run
  pulsecast upload hootsuite.csv --format hootsuite --channel x-main --date-format "dd/MM/yyyy HH:mm"`,

  async run({ operands, options, io, api }) {
    const file = operands[0]!;
    const body = await readCalendar(file);
    const progress = waiting(
      io.stderr,
      `uploading ${file} (${megabytes(body.length)}, ${rowsIn(body)} rows)`,
    );
    const plan = await api
      .json(
        {
          method: 'POST',
          path: '/v1/calendars',
          query: {
            // Only sent when asked for, so the API's own defaults stay in charge otherwise.
            dryRun: options.flag('dry-run') ? 'true' : undefined,
            format: options.string('format'),
            channel: options.string('channel'),
            dateFormat: options.string('date-format'),
            timezone: options.string('timezone'),
          },
          body,
          contentType: contentTypeFor(file),
        },
        UploadPlanSchema,
      )
      .catch((error: unknown) => {
        progress.done();
        // 409 upload-conflict: some rows were applied and some were not; show which, exit 1.
        const partial =
          error instanceof ApiProblemError && error.problem.type?.endsWith(':upload-conflict')
            ? UploadPlanSchema.safeParse(error.problem.body)
            : undefined;
        if (!partial?.success) throw error;
        return { ...partial.data, conflicted: error instanceof ApiProblemError ? error.problem.detail : '' };
      });
    progress.done();
    if (options.flag('json')) printJson(io.stdout, plan);
    else printPlan(io.stdout, plan);
    if ('conflicted' in plan) {
      println(io.stderr, `pulsecast: ${plan.conflicted}`);
      return 1;
    }
    return 0;
  },
};

/** The file's bytes, unchanged: the API hashes them to recognise a re-upload. */
async function readCalendar(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? error);
    throw new CliError(`cannot read ${file}: ${reason}`, { cause: error });
  }
}

export function contentTypeFor(file: string): string {
  return extname(file).toLowerCase() === '.json' ? 'application/json' : 'text/csv';
}

function printPlan(sink: Parameters<typeof println>[0], plan: UploadPlan): void {
  const { created, updated, unchanged, conflict } = plan.summary;
  const dryRun = plan.dryRun ? ' (dry run: nothing written)' : '';
  const conflicts = conflict ? `, ${conflict} conflict${conflict === 1 ? '' : 's'} (not applied)` : '';
  println(sink, `${created} created, ${updated} updated, ${unchanged} unchanged${conflicts}${dryRun}`);
  if (plan.posts.length > 0) {
    println(sink);
    println(
      sink,
      renderTable(
        ['ROW', 'ID', 'ACTION'],
        plan.posts.map((post) => [
          String(post.row),
          post.id,
          post.current ? `${post.action} (now ${post.current.status})` : post.action,
        ]),
      ),
    );
  }
  if (plan.warnings && plan.warnings.length > 0) {
    println(sink);
    println(sink, `${plan.warnings.length} warning${plan.warnings.length === 1 ? '' : 's'}:`);
    printIssues(sink, plan.warnings);
  }
}

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(bytes < 104_858 ? 2 : 1)} MB`;

/** Lines after the header (a JSON file counts as one document). */
function rowsIn(body: Uint8Array): string {
  let lines = 0;
  for (const byte of body) if (byte === 10) lines++;
  return Math.max(0, lines - 1).toLocaleString('en-US');
}

/**
 * A line that counts the seconds while the API validates and plans the upload (one request, so
 * time is the honest measure), redrawn in place on a terminal and cleared at the end. Piped or
 * redirected, it prints nothing, so logs and scripts stay clean.
 */
function waiting(sink: TextSink, what: string): { done(): void } {
  if (!sink.isTTY) return { done: () => undefined };
  const started = Date.now();
  const draw = () => sink.write(`\r${what}… ${Math.round((Date.now() - started) / 1000)} s`);
  draw();
  const timer = setInterval(draw, 500);
  return {
    done: () => {
      clearInterval(timer);
      sink.write('\r\u001b[2K');
    },
  };
}
