import * as z from 'zod';
import type { ApiClient } from '../api-client.ts';
import { type CommandSpec, JSON_OPTION } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { println } from '../io.ts';
import { printJson } from '../output.ts';
import type { RequestSpec } from '../sigv4.ts';

const ClockAnswer = z.looseObject({ now: z.string() });
const AdvanceAnswer = z.looseObject({
  from: z.string(),
  to: z.string(),
  executions: z.looseObject({ started: z.number(), succeeded: z.number(), failed: z.number() }),
  schedulesFired: z.number(),
  idleSweepsSkipped: z.number().optional(),
  eventsDelivered: z.number(),
});
type AdvanceAnswer = z.infer<typeof AdvanceAnswer>;
const AdvanceJob = z.looseObject({
  id: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  progress: z.looseObject({
    from: z.string(),
    target: z.string(),
    reached: z.string(),
    executions: z.number(),
  }),
  result: AdvanceAnswer.optional(),
  error: z.string().optional(),
});
type AdvanceJob = z.infer<typeof AdvanceJob>;

/** How often a running advance is asked how far it got. */
const POLL_MS = 500;

/**
 * A progress bar on a terminal: the share of local time covered, the time reached and the
 * executions run so far, redrawn in place. Nothing is drawn when stderr is not a terminal.
 */
function drawProgress(io: CliIo, job: AdvanceJob): void {
  if (!(io.stderr as { isTTY?: boolean }).isTTY) return;
  const { from, target, reached, executions } = job.progress;
  const span = Date.parse(target) - Date.parse(from);
  const share = span > 0 ? Math.min(1, Math.max(0, (Date.parse(reached) - Date.parse(from)) / span)) : 1;
  const width = 24;
  const filled = Math.round(share * width);
  io.stderr.write(
    `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${reached.slice(0, 16)}  ${executions} execution(s)`,
  );
}

/** `7d`, `24h`, `90m`, `30s` → ISO-8601 (`P7D`, `PT24H`, …); ISO durations pass through. */
function toIsoDuration(value: string): string {
  const short = /^(\d+)(w|d|h|m|s)$/i.exec(value.trim());
  if (!short) {
    if (/^P/i.test(value.trim())) return value.trim().toUpperCase();
    throw new UsageError(`'${value}' is not a duration: use 7d, 24h, 90m, 30s or ISO-8601 like PT24H`, [
      'clock',
      'advance',
    ]);
  }
  const [, amount, unit] = short;
  switch (unit?.toLowerCase()) {
    case 'w':
      return `P${amount}W`;
    case 'd':
      return `P${amount}D`;
    case 'h':
      return `PT${amount}H`;
    case 'm':
      return `PT${amount}M`;
    default:
      return `PT${amount}S`;
  }
}

export const clockShowCommand: CommandSpec = {
  path: ['clock'],
  summary: "show local mode's clock",
  options: { json: JSON_OPTION },
  async run({ options, io, api }) {
    const spec = { method: 'GET', path: '/_local/clock' } as const;
    const answer = api.parse(await api.send(spec), ClockAnswer, spec);
    if (options.flag('json')) printJson(io.stdout, answer);
    else println(io.stdout, answer.now);
    return 0;
  },
};

export const clockAdvanceCommand: CommandSpec = {
  path: ['clock', 'advance'],
  summary: "move local mode's clock ahead and run everything that falls due (local mode only)",
  operands: [{ name: 'DURATION', description: 'how far: 7d, 24h, 90m, 30s or ISO-8601 (PT24H)' }],
  options: { json: JSON_OPTION },
  details: 'Answers when everything due up to the new time has run: schedules, waits, publishing, metrics.',
  async run({ operands, options, io, api }) {
    const by = toIsoDuration(operands[0]!);
    const spec = {
      method: 'POST',
      path: '/_local/clock/advance',
      contentType: 'application/json',
      body: new TextEncoder().encode(JSON.stringify({ by, async: true })),
    } as const;
    const answer = await advanced(api, spec, io);
    if (options.flag('json')) {
      printJson(io.stdout, answer);
      return 0;
    }
    const { started, succeeded, failed } = answer.executions;
    println(io.stdout, `clock ${answer.from} → ${answer.to}`);
    println(
      io.stdout,
      `${answer.schedulesFired} schedule(s) fired, ${started} execution(s) (${succeeded} succeeded, ${failed} failed), ${answer.idleSweepsSkipped ?? 0} idle sweep(s) skipped, ${answer.eventsDelivered} event delivery(ies)`,
    );
    return failed > 0 ? 1 : 0;
  },
};

/**
 * Asks for the advance in the background and follows it to the end: the server answers `202`
 * with a job at once and the CLI polls it (each poll a short request, so a month of local time
 * never runs into a request timeout). A server that answers `200` did the advance in place.
 */
async function advanced(api: ApiClient, spec: RequestSpec, io: CliIo): Promise<AdvanceAnswer> {
  const first = await api.send(spec);
  if (first.status !== 202) return api.parse(first, AdvanceAnswer, spec);
  let job = api.parse(first, AdvanceJob, spec);
  const poll = { method: 'GET', path: '/_local/clock/advance', query: { job: job.id } } as const;
  while (job.status === 'running') {
    drawProgress(io, job);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await api.json(poll, AdvanceJob);
  }
  drawProgress(io, job);
  if ((io.stderr as { isTTY?: boolean }).isTTY) println(io.stderr);
  if (job.status === 'failed' || !job.result)
    throw new CliError(`the clock advance failed on the server: ${job.error ?? 'no result'}`);
  return job.result;
}
