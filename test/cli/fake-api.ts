import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CliIo, runCli } from '../../local/cli/main.ts';

/** A request as the fake API saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The query string exactly as sent, without `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface CannedResponse {
  status?: number;
  contentType?: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export type Responder = (request: RecordedRequest) => CannedResponse;

export interface FakeApi {
  url: string;
  requests: RecordedRequest[];
  /** Runs the CLI (as {@link runPulsecast}) with `--api` pointing here, after `argv`. */
  run(argv: string[], io?: CliOptions): Promise<CliRun>;
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 that records every request and answers what `respond` says. */
export async function startFakeApi(respond: Responder): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      rawQuery: url.search.replace(/^\?/, ''),
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(recorded);
    const answer = respond(recorded);
    const isRaw = typeof answer.body === 'string' || Buffer.isBuffer(answer.body);
    const payload = answer.body === undefined ? '' : isRaw ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status ?? 200, {
      'content-type': answer.contentType ?? (isRaw ? 'text/plain' : 'application/json'),
    });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    run: (argv, io) => runPulsecast([...argv, '--api', url], io),
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** A port nothing listens on: bind one, then let it go. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a test may set of the CLI's environment: `env`, `credentials`… and whether it runs on a terminal. */
export type CliOptions = Partial<Omit<CliIo, 'stdout' | 'stderr'>> & { tty?: boolean };

/** Runs the CLI in-process with captured output and an empty environment unless given one. */
export async function runPulsecast(argv: string[], io: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const { tty = false, ...rest } = io;
  const code = await runCli(argv, {
    env: {},
    ...rest,
    stdout: { write: (chunk: string) => (stdout += chunk), isTTY: tty },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: tty },
  });
  return { code, stdout, stderr };
}

/** A problem+json answer. */
export function problem(status: number, body: Record<string, unknown>): CannedResponse {
  return { status, contentType: 'application/problem+json', body: { status, ...body } };
}
