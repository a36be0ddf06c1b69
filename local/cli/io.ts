import type { CredentialProvider } from './sigv4.ts';

/** Anything text can be written to: `process.stdout`, or a string collector in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

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
