import { writeFile } from 'node:fs/promises';
import { type CommandSpec, POST_FILTERS, postFilters } from '../command.ts';
import { CliError } from '../errors.ts';
import { println } from '../io.ts';

const FORMATS = {
  ics: { path: '/v1/calendar.ics', accept: 'text/calendar', what: 'an iCalendar file for any calendar app' },
  csv: { path: '/v1/calendar.csv', accept: 'text/csv', what: 'a CSV file in the native calendar format' },
} as const;

function exportCommand(format: keyof typeof FORMATS): CommandSpec {
  const { path, accept, what } = FORMATS[format];
  return {
    path: ['export', format],
    summary: `export the calendar as ${what}`,
    options: {
      out: { type: 'string', arg: 'FILE', description: 'write to FILE instead of stdout' },
      ...POST_FILTERS,
    },
    async run({ options, io, api }) {
      const { body } = await api.send({ method: 'GET', path, accept, query: postFilters(options) });
      const out = options.string('out');
      if (out === undefined) {
        io.stdout.write(new TextDecoder().decode(body));
        return 0;
      }
      try {
        await writeFile(out, body);
      } catch (error) {
        throw new CliError(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
          cause: error,
        });
      }
      println(io.stderr, `wrote ${out} (${body.length} bytes)`);
      return 0;
    },
  };
}

export const exportCommands = [exportCommand('ics'), exportCommand('csv')];
