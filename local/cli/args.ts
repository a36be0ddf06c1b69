import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { CommandSpec, OptionSpec, OptionValues } from './command.ts';
import { UsageError } from './errors.ts';

/** Flags every command accepts, before or after the command words. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  api: {
    type: 'string',
    arg: 'URL',
    description:
      'the Pulsecast API (default: $PULSECAST_API_URL, else http://127.0.0.1:$PULSECAST_PORT or :3000)',
  },
  region: {
    type: 'string',
    arg: 'REGION',
    description:
      'AWS region for signing requests to a deployed API (default: $AWS_REGION, else from the URL)',
  },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

export type Invocation =
  | { kind: 'help'; path: readonly string[] }
  | {
      kind: 'run';
      command: CommandSpec;
      operands: string[];
      values: OptionValues;
      /** Every value of each string flag, in order (`--channel a --channel b`); `values` keeps the last. */
      repeated: Readonly<Record<string, readonly string[]>>;
    };

/**
 * Works out what was asked for. Parsing happens once, leniently, with every flag any command
 * knows; that tells the command words apart from flag values wherever the flags are placed
 * (`pulsecast --api URL posts list` and `pulsecast posts list --api URL` are the same). The
 * flags are then checked against what the chosen command accepts, so an unknown one is
 * reported with that command's usage.
 */
export function parseInvocation(argv: readonly string[], commands: readonly CommandSpec[]): Invocation {
  // `-1h` would otherwise read as the short flags -1 and -h (help, exit 0): no flag starts with
  // a digit, so such a word is a negative value, and nothing here takes one.
  const negative = argv.find((word) => /^-\d/.test(word));
  if (negative !== undefined) {
    const { path } = tryFind(
      argv.filter((word) => !word.startsWith('-')),
      commands,
    );
    throw new UsageError(`"${negative}" is negative: values here must be positive (e.g. 1h, not -1h)`, path);
  }
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: toParseArgsConfig(allOptions(commands)),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  if (positionals[0] === 'help') return { kind: 'help', path: knownPath(positionals.slice(1), commands) };
  if (values.help === true) return { kind: 'help', path: longestKnownPrefix(positionals, commands) };
  if (positionals.length === 0) throw new UsageError('no command given');

  const command = findCommand(positionals, commands);
  const accepted = { ...GLOBAL_OPTIONS, ...command.options };
  const repeated: Record<string, string[]> = {};
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    checkOption(token, accepted, command.path);
    if (token.value !== undefined) repeated[token.name] = [...(repeated[token.name] ?? []), token.value];
  }

  const operands = positionals.slice(command.path.length);
  const expected = command.operands ?? [];
  const missing = expected.slice(operands.length);
  if (missing.length > 0)
    throw new UsageError(`missing ${missing.map((o) => o.name).join(' ')}`, command.path);
  if (operands.length > expected.length) {
    throw new UsageError(`unexpected argument "${operands[expected.length]}"`, command.path);
  }
  return { kind: 'run', command, operands, values: values as OptionValues, repeated };
}

interface OptionToken {
  name: string;
  rawName: string;
  value?: string | undefined;
  inlineValue?: boolean | undefined;
}

function checkOption(
  token: OptionToken,
  accepted: Record<string, OptionSpec>,
  path: readonly string[],
): void {
  const spec = accepted[token.name];
  if (spec === undefined) {
    throw new UsageError(`unknown option ${token.rawName} for "pulsecast ${path.join(' ')}"`, path);
  }
  if (spec.type === 'boolean' && token.inlineValue) {
    throw new UsageError(`option ${token.rawName} takes no value`, path);
  }
  // Lenient parsing takes whatever follows as the value, even the next flag (`--api --json`);
  // strict parseArgs would refuse that, and so do we. `--from=-1` stays possible.
  if (
    spec.type === 'string' &&
    (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))
  ) {
    throw new UsageError(
      `option ${token.rawName} needs a value (${token.rawName} ${spec.arg ?? 'VALUE'})`,
      path,
    );
  }
}

function findCommand(words: readonly string[], commands: readonly CommandSpec[]): CommandSpec {
  const matches = commands
    .filter((command) => command.path.every((word, i) => words[i] === word))
    .sort((a, b) => b.path.length - a.path.length);
  if (matches[0]) return matches[0];

  const group = words[0]!;
  if (!commands.some((command) => command.path[0] === group))
    throw new UsageError(`unknown command "${group}"`);
  if (words.length === 1) throw new UsageError(`"${group}" needs a subcommand`, [group]);
  throw new UsageError(`unknown command "${group} ${words[1]}"`, [group]);
}

function tryFind(words: readonly string[], commands: readonly CommandSpec[]): { path: readonly string[] } {
  return { path: longestKnownPrefix(words, commands) };
}

/** For `pulsecast help WORDS…`: the words must name a command or a group. */
function knownPath(words: readonly string[], commands: readonly CommandSpec[]): readonly string[] {
  const path = longestKnownPrefix(words, commands);
  if (path.length < words.length) throw new UsageError(`no help for "${words.join(' ')}": unknown command`);
  return path;
}

/** `posts list --help` → `['posts', 'list']`; `posts --help` → `['posts']`; `bogus --help` → `[]`. */
function longestKnownPrefix(words: readonly string[], commands: readonly CommandSpec[]): readonly string[] {
  let length = 0;
  while (
    length < words.length &&
    commands.some(
      (command) => command.path.slice(0, length + 1).join(' ') === words.slice(0, length + 1).join(' '),
    )
  ) {
    length += 1;
  }
  return words.slice(0, length);
}

/** Every flag known to any command; a name that means different things in two commands throws. */
export function allOptions(commands: readonly CommandSpec[]): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const command of commands) {
    for (const [name, spec] of Object.entries(command.options ?? {})) {
      const known = options[name];
      if (known && (known.type !== spec.type || known.short !== spec.short)) {
        throw new Error(
          `--${name} is declared differently by "${command.path.join(' ')}" and another command`,
        );
      }
      options[name] = spec;
    }
  }
  return options;
}

function toParseArgsConfig(options: Record<string, OptionSpec>): ParseArgsOptionsConfig {
  return Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short },
    ]),
  );
}
