import * as z from 'zod';
import { type CommandSpec, JSON_OPTION } from '../command.ts';
import { UsageError } from '../errors.ts';
import { println } from '../io.ts';
import { printJson } from '../output.ts';

const ClockAnswer = z.looseObject({ now: z.string() });
const AdvanceAnswer = z.looseObject({
  from: z.string(),
  to: z.string(),
  executions: z.looseObject({ started: z.number(), succeeded: z.number(), failed: z.number() }),
  schedulesFired: z.number(),
  eventsDelivered: z.number(),
});

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
      body: new TextEncoder().encode(JSON.stringify({ by })),
    } as const;
    const answer = api.parse(await api.send(spec), AdvanceAnswer, spec);
    if (options.flag('json')) {
      printJson(io.stdout, answer);
      return 0;
    }
    const { started, succeeded, failed } = answer.executions;
    println(io.stdout, `clock ${answer.from} → ${answer.to}`);
    println(
      io.stdout,
      `${answer.schedulesFired} schedule(s) fired, ${started} execution(s) (${succeeded} succeeded, ${failed} failed), ${answer.eventsDelivered} event delivery(ies)`,
    );
    return failed > 0 ? 1 : 0;
  },
};
