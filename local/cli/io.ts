import type { CredentialProvider } from './sigv4.ts';

/** Anything text can be written to: `process.stdout`, or a string collector in tests. */
export interface TextSink {
  write(chunk: string): unknown;
  /** True for a terminal (`process.stdout.isTTY`): colours and progress go only there. */
  isTTY?: boolean;
}

/**
 * ANSI colour for a terminal, nothing when piped or when NO_COLOR is set (no-color.org), so
 * `pulsecast report x | grep` and files get plain text.
 */
export function painter(
  sink: TextSink,
  env: CliIo['env'],
): (colour: keyof typeof ANSI, text: string) => string {
  const on = sink.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  return (colour, text) => (on ? `\u001b[${ANSI[colour]}m${text}\u001b[0m` : text);
}

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;

/**
 * Everything the CLI takes from its surroundings. `runCli` touches no globals beyond these, so
 * tests can run it in-process with their own streams, environment, fetch and credentials.
 */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch | undefined;
  /** SigV4 credentials for a deployed API; defaults to the AWS SDK's default provider chain. */
  credentials?: CredentialProvider | undefined;
  /** The clock used for signing; tests pin it. Defaults to the system clock. */
  now?: (() => Date) | undefined;
}

/** Writes one line (adds the newline) — the CLI's only way of printing. */
export function println(sink: TextSink, line = ''): void {
  sink.write(`${line}\n`);
}
