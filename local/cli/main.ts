import { ApiClient } from './api-client.ts';
import { displayUrl, isLoopback, resolveApiUrl, resolveRegion } from './api-url.ts';
import { parseInvocation } from './args.ts';
import { type CommandSpec, Options, type OptionValues } from './command.ts';
import { approvalsCommands } from './commands/approvals.ts';
import { auditCommand } from './commands/audit.ts';
import { campaignsCommands } from './commands/campaigns.ts';
import { channelsCommands } from './commands/channels.ts';
import { clockAdvanceCommand, clockShowCommand } from './commands/clock.ts';
import { exportCommands } from './commands/export.ts';
import { healthCommand } from './commands/health.ts';
import { holdsCommands } from './commands/holds.ts';
import { listeningCommands } from './commands/listening.ts';
import { postsCommands } from './commands/posts.ts';
import { uploadCommand } from './commands/upload.ts';
import { ApiProblemError, CliError, UsageError } from './errors.ts';
import { renderHelp } from './help.ts';
import { type CliIo, println } from './io.ts';
import { printProblem } from './output.ts';
import { type CredentialProvider, createSigner } from './sigv4.ts';

export type { CliIo, TextSink } from './io.ts';
export type { AwsCredentials, CredentialProvider } from './sigv4.ts';

/** Every command, in the order `pulsecast help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  uploadCommand,
  ...postsCommands,
  ...holdsCommands,
  ...approvalsCommands,
  ...channelsCommands,
  ...campaignsCommands,
  auditCommand,
  ...exportCommands,
  ...listeningCommands,
  clockShowCommand,
  clockAdvanceCommand,
  healthCommand,
];

/** Exit codes: the conventional split between "it failed" and "you called it wrong". */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/**
 * Runs one `pulsecast` invocation and resolves with its exit code. It never throws and never
 * touches `process`: everything comes in through `io`, so tests run it in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let usagePath: readonly string[] = [];
  try {
    const invocation = parseInvocation(argv, COMMANDS);
    if (invocation.kind === 'help') {
      io.stdout.write(renderHelp(invocation.path, COMMANDS));
      return EXIT_OK;
    }
    const { command, operands, values, repeated } = invocation;
    usagePath = command.path;
    const api = createApiClient(values, io);
    return await command.run({ operands, options: new Options(values, command.path, repeated), io, api });
  } catch (error) {
    return report(error, io, usagePath);
  }
}

/**
 * Local mode (loopback) has no authorizer in front of it; a deployed API Gateway requires every
 * request to be signed. The credential chain is imported only when it is needed: local use
 * should not pay for loading the AWS SDK's providers.
 */
function createApiClient(values: OptionValues, io: CliIo): ApiClient {
  const baseUrl = resolveApiUrl(stringValue(values.api), io.env);
  const fetchFn = io.fetch ?? globalThis.fetch;
  if (isLoopback(baseUrl)) return new ApiClient({ baseUrl, fetch: fetchFn });

  const region = resolveRegion(stringValue(values.region), io.env, baseUrl);
  if (region === undefined) {
    throw new CliError(
      `cannot tell which AWS region ${displayUrl(baseUrl)} is in: pass --region or set AWS_REGION`,
    );
  }
  const credentials = io.credentials ?? defaultCredentialProvider();
  return new ApiClient({ baseUrl, fetch: fetchFn, sign: createSigner({ region, credentials, now: io.now }) });
}

function defaultCredentialProvider(): CredentialProvider {
  let provider: CredentialProvider | undefined;
  return async () => {
    if (provider === undefined) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      provider = fromNodeProviderChain();
    }
    return provider();
  };
}

function stringValue(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Prints an error the way its kind deserves and picks the exit code. */
function report(error: unknown, io: CliIo, usagePath: readonly string[]): number {
  if (error instanceof UsageError) {
    println(io.stderr, `error: ${error.message}`);
    println(io.stderr);
    io.stderr.write(renderHelp(error.usagePath.length > 0 ? error.usagePath : usagePath, COMMANDS));
    return EXIT_USAGE;
  }
  if (error instanceof ApiProblemError) {
    printProblem(io.stderr, error.problem);
    return EXIT_FAILED;
  }
  if (error instanceof CliError) {
    println(io.stderr, `error: ${error.message}`);
    return EXIT_FAILED;
  }
  // A bug in the CLI: say so plainly; the stack is there for whoever debugs it.
  const message = error instanceof Error ? error.message : String(error);
  println(io.stderr, `error: unexpected failure: ${message}`);
  if (io.env.PULSECAST_DEBUG && error instanceof Error && error.stack) println(io.stderr, error.stack);
  else println(io.stderr, '(set PULSECAST_DEBUG=1 to see the stack trace)');
  return EXIT_FAILED;
}

/** The process entry point, used by `bin/pulsecast.mjs`. */
export async function main(): Promise<void> {
  // `pulsecast export ics | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw error;
  });
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}

// Also runnable directly: `node --import tsx local/cli/main.ts posts list`.
if (import.meta.main) await main();
