import * as z from 'zod';
import { answer, type CommandContext, type CommandSpec, JSON_OPTION } from '../command.ts';
import { UsageError } from '../errors.ts';
import { println, type TextSink } from '../io.ts';
import { listTable, printJson, truncate } from '../output.ts';

/** A hold as the CLI reads it (loose: unknown fields are kept for --json). */
const HoldSchema = z.looseObject({
  id: z.string(),
  scope: z.union([
    z.literal('all'),
    z.looseObject({ channels: z.array(z.string()), campaigns: z.array(z.string()) }),
  ]),
  reason: z.string(),
  createdAt: z.string(),
  createdBy: z.string().optional(),
  releasedAt: z.string().nullish(),
  eventDelivered: z.boolean().optional(),
});
type Hold = z.infer<typeof HoldSchema>;
const HoldListSchema = z.looseObject({ items: z.array(HoldSchema) });

const REASON_PREVIEW = 60;

function scopeText(scope: Hold['scope']): string {
  if (scope === 'all') return 'all';
  return [
    ...scope.channels.map((id) => `channel ${id}`),
    ...scope.campaigns.map((id) => `campaign ${id}`),
  ].join(', ');
}

function printHold(sink: TextSink, hold: Hold): void {
  println(
    sink,
    `${hold.id}: ${hold.releasedAt ? `released ${hold.releasedAt}` : 'ACTIVE'}, scope ${scopeText(hold.scope)} (since ${hold.createdAt})`,
  );
}

const holdPath = (id: string) => `/v1/holds/${encodeURIComponent(id)}`;

export const holdCommand: CommandSpec = {
  path: ['hold'],
  summary: 'stop publishing at once (a crisis hold): everything, or some channels or campaigns',
  options: {
    all: { type: 'boolean', description: 'hold every post on every channel' },
    channel: { type: 'string', arg: 'ID', description: 'hold this channel (repeat for more)' },
    campaign: { type: 'string', arg: 'ID', description: 'hold this campaign (repeat for more)' },
    reason: { type: 'string', arg: 'TEXT', description: 'why (the team sees it in the alert)' },
    json: JSON_OPTION,
  },
  details: `While the hold lasts the Dispatcher publishes nothing in its scope. Posts that fall due
meanwhile become HELD and are not published on release: reschedule or cancel each
(\`pulsecast posts list --status HELD\`). Posts outside the scope go out on time.

Examples:
  pulsecast hold --all --reason "false claim about our product is spreading"
  pulsecast hold --channel x-main --campaign spring-launch --reason "launch paused"`,
  async run({ options, io, api }) {
    const channels = options.strings('channel');
    const campaigns = options.strings('campaign');
    const all = options.flag('all');
    if (all === channels.length + campaigns.length > 0) {
      throw new UsageError('give either --all or at least one --channel / --campaign', ['hold']);
    }
    const { reason } = options.required('reason');
    const hold = await api.json(
      {
        method: 'POST',
        path: '/v1/holds',
        body: new TextEncoder().encode(
          JSON.stringify({ scope: all ? 'all' : { channels, campaigns }, reason }),
        ),
        contentType: 'application/json',
      },
      HoldSchema,
    );
    if (options.flag('json')) printJson(io.stdout, hold);
    else {
      printHold(io.stdout, hold);
      if (hold.eventDelivered === false) {
        println(
          io.stdout,
          'the hold is in force, but the team was not alerted (the event bus refused it): run the same command again to alert them',
        );
      }
      println(io.stdout, `release it with: pulsecast release ${hold.id}`);
    }
    return 0;
  },
};

export const releaseCommand: CommandSpec = {
  path: ['release'],
  summary: 'release a crisis hold (posts it held stay HELD until you reschedule or cancel them)',
  operands: [{ name: 'HOLD_ID', description: 'the hold to release (see `pulsecast holds`)' }],
  options: { json: JSON_OPTION },
  async run({ operands, options, io, api }) {
    const hold = await api.json({ method: 'DELETE', path: holdPath(operands[0]!) }, HoldSchema);
    if (options.flag('json')) printJson(io.stdout, hold);
    else {
      printHold(io.stdout, hold);
      println(io.stdout, 'posts it held stay HELD: pulsecast posts list --status HELD');
    }
    return 0;
  },
};

export const holdsListCommand: CommandSpec = {
  path: ['holds'],
  summary: 'list crisis holds, newest first',
  options: {
    active: { type: 'boolean', description: 'only the holds still in force' },
    json: JSON_OPTION,
  },
  async run({ options, io, api }: CommandContext) {
    const query = options.flag('active') ? { status: 'active' } : {};
    const { items } = await api.json({ method: 'GET', path: '/v1/holds', query }, HoldListSchema);
    return answer({ options, io }, { items }, () =>
      println(
        io.stdout,
        listTable(items, 'no holds', ['ID', 'STATE', 'SCOPE', 'SINCE', 'REASON'], (hold) => [
          hold.id,
          hold.releasedAt ? 'released' : 'ACTIVE',
          scopeText(hold.scope),
          hold.createdAt,
          truncate(hold.reason, REASON_PREVIEW),
        ]),
      ),
    );
  },
};

export const holdsCommands = [holdCommand, releaseCommand, holdsListCommand];
