import { GLOBAL_OPTIONS } from './args.ts';
import type { CommandSpec, OptionSpec } from './command.ts';

const INTRO = `pulsecast — manage a Pulsecast content calendar from the command line

Works against local mode (\`npm start\`, no AWS account) or a deployed API, whose requests are
signed with your AWS credentials (SigV4, the default provider chain).`;

/** The help for a command, a command group (`posts`) or, for an empty path, the whole CLI. */
export function renderHelp(path: readonly string[], commands: readonly CommandSpec[]): string {
  const command = commands.find((candidate) => candidate.path.join(' ') === path.join(' '));
  if (command) return commandHelp(command);
  const members = commands.filter((candidate) => path.every((word, i) => candidate.path[i] === word));
  return path.length === 0 ? globalHelp(commands) : groupHelp(path, members);
}

function globalHelp(commands: readonly CommandSpec[]): string {
  return joinSections([
    INTRO,
    'Usage: pulsecast <command> [options]',
    `Commands:\n${commandList(commands)}`,
    `Global options:\n${optionList(GLOBAL_OPTIONS)}`,
    'Run `pulsecast help <command>` (or `pulsecast <command> --help`) for its options.\nExit codes: 0 ok, 1 the request failed, 2 the command line is wrong.',
  ]);
}

function groupHelp(path: readonly string[], members: readonly CommandSpec[]): string {
  return joinSections([
    `Usage: pulsecast ${path.join(' ')} <command> [options]`,
    `Commands:\n${commandList(members)}`,
    `Global options:\n${optionList(GLOBAL_OPTIONS)}`,
  ]);
}

function commandHelp(command: CommandSpec): string {
  const operands = command.operands ?? [];
  const hasOptions = Object.keys(command.options ?? {}).length > 0;
  return joinSections([
    `Usage: ${synopsis(command)}${hasOptions ? ' [options]' : ''}`,
    capitalise(command.summary),
    operands.length > 0 ? `Arguments:\n${rows(operands.map((o) => [o.name, o.description]))}` : undefined,
    hasOptions ? `Options:\n${optionList(command.options ?? {})}` : undefined,
    command.details,
    `Global options:\n${optionList(GLOBAL_OPTIONS)}`,
  ]);
}

function synopsis(command: CommandSpec): string {
  return ['pulsecast', ...command.path, ...(command.operands ?? []).map((o) => o.name)].join(' ');
}

function commandList(commands: readonly CommandSpec[]): string {
  return rows(commands.map((command) => [synopsis(command).replace(/^pulsecast /, ''), command.summary]));
}

function optionList(options: Readonly<Record<string, OptionSpec>>): string {
  return rows(
    Object.entries(options).map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
      return [flag, spec.description];
    }),
  );
}

/** Two indented columns; a long left cell pushes its description onto the next line. */
function rows(entries: readonly (readonly [string, string])[]): string {
  const width = Math.min(28, Math.max(...entries.map(([left]) => left.length)));
  return entries
    .map(([left, right]) =>
      left.length > width
        ? `  ${left}\n  ${' '.repeat(width)}  ${right}`
        : `  ${left.padEnd(width)}  ${right}`,
    )
    .join('\n');
}

function joinSections(sections: readonly (string | undefined)[]): string {
  return `${sections.filter((section) => section !== undefined).join('\n\n')}\n`;
}

function capitalise(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}
