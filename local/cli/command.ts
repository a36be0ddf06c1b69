import type * as z from 'zod';
import type { ApiClient } from './api-client.ts';
import { UsageError } from './errors.ts';
import { type CliIo, println } from './io.ts';
import type { RequestSpec } from './sigv4.ts';

/** One flag. Every flag name has a single type across all commands (checked by a test). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help, e.g. `FILE`. */
  arg?: string;
  description: string;
}

export interface OperandSpec {
  name: string;
  description: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface CommandContext {
  operands: readonly string[];
  options: Options;
  io: CliIo;
  api: ApiClient;
}

export interface CommandSpec {
  /** The words that select the command, e.g. `['posts', 'list']`. */
  path: readonly string[];
  summary: string;
  operands?: readonly OperandSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Extra paragraphs for `--help` (examples, notes). */
  details?: string;
  /** Resolves with the exit code; throws a `CliError` or `UsageError` for expected failures. */
  run(context: CommandContext): Promise<number>;
}

export const JSON_OPTION: OptionSpec = {
  type: 'boolean',
  description: "print the API's JSON answer instead",
};

/**
 * The common ending of a command: the API's JSON with `--json` (for scripts), else `print` it
 * for people. Resolves with exit code 0.
 */
export function answer<T>(
  context: Pick<CommandContext, 'options' | 'io'>,
  value: T,
  print: (value: T) => void,
): number {
  if (context.options.flag('json')) println(context.io.stdout, JSON.stringify(value, null, 2));
  else print(value);
  return 0;
}

/**
 * A command that reads one thing from the API and shows it: its JSON with `--json`, else
 * `print` for people. Most read commands are exactly this, so they are declared as a table row.
 */
export function readCommand<S extends z.ZodType>(spec: {
  path: readonly string[];
  summary: string;
  operands?: readonly OperandSpec[];
  details?: string;
  request: (operands: readonly string[]) => RequestSpec;
  schema: S;
  print: (value: z.infer<S>, io: CliIo) => void;
}): CommandSpec {
  const { request, schema, print, ...shape } = spec;
  return {
    ...shape,
    options: { json: JSON_OPTION },
    async run({ operands, options, io, api }) {
      const value = await api.json(request(operands), schema);
      return answer({ options, io }, value, () => print(value, io));
    },
  };
}

/** The post filters the posts list and the exports share (the API's PostFilterQuery). */
export const POST_FILTERS: Readonly<Record<string, OptionSpec>> = {
  status: {
    type: 'string',
    arg: 'STATUS',
    description:
      'SCHEDULED, QUEUED, PUBLISHING, PUBLISHED, FAILED, CANCELLED, UNKNOWN, HELD, PENDING_APPROVAL or APPROVAL_MISSED',
  },
  channel: { type: 'string', arg: 'ID', description: 'only this channel' },
  campaign: { type: 'string', arg: 'ID', description: 'only this campaign' },
  from: { type: 'string', arg: 'ISO', description: 'scheduled at or after, e.g. 2025-03-01T00:00:00Z' },
  to: { type: 'string', arg: 'ISO', description: 'scheduled before' },
};

/** The filter flags given, as query parameters (the API checks them and says what is wrong). */
export function postFilters(options: Options): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(POST_FILTERS).map((name) => [name, options.string(name)]));
}

/** Typed access to parsed flags. */
export class Options {
  readonly #values: OptionValues;
  readonly #usagePath: readonly string[];
  readonly #repeated: Readonly<Record<string, readonly string[]>>;

  constructor(
    values: OptionValues,
    usagePath: readonly string[],
    repeated: Readonly<Record<string, readonly string[]>> = {},
  ) {
    this.#values = values;
    this.#usagePath = usagePath;
    this.#repeated = repeated;
  }

  string(name: string): string | undefined {
    const value = this.#values[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** Every value a repeatable flag was given, in order (`--channel a --channel b`). */
  strings(name: string): string[] {
    return [...(this.#repeated[name] ?? [])];
  }

  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  /** The values of flags a command cannot do without; names every missing one at once. */
  required<const N extends string>(...names: N[]): Record<N, string> {
    const missing = names.filter((name) => this.string(name) === undefined);
    if (missing.length > 0) {
      throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`, this.#usagePath);
    }
    return Object.fromEntries(names.map((name) => [name, this.string(name)])) as Record<N, string>;
  }

  /** A positive whole number, e.g. `--limit`. */
  positiveInteger(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^[1-9]\d*$/.test(value)) {
      throw new UsageError(`--${name} must be a positive whole number, not "${value}"`, this.#usagePath);
    }
    return Number(value);
  }
}
