import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface LocalProcess {
  url: string;
  dataDir: string;
  output: () => string;
  stop(): Promise<number | null>;
  /** Kills it without warning (a crash); resolves once it is gone. */
  kill(): Promise<void>;
}

/**
 * Starts local mode the way a user does (`npm start` runs `node --import tsx local/main.ts`) in
 * a child process on a free port, and waits for it to print its API URL.
 */
export async function startLocalProcess(
  options: { dataDir?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<LocalProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pulsecast-e2e-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    PULSECAST_PORT: '0',
    PULSECAST_DATA_DIR: dataDir,
    // The app synthesized by the first local mode of the run, reused by the next ones.
    PULSECAST_SYNTH_CACHE: inject('localSynthCache'),
    ...options.env,
  };
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });

  const url = await new Promise<string>((resolveUrl, reject) => {
    // A safety net, not a speed check (start-up time is benchmarked): generous for loaded
    // machines, and the child is killed so a slow start never leaves local mode running.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`local mode did not start in time:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const check = () => {
      const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local mode exited with ${code}:\n${output}`));
    });
  });

  return {
    url,
    dataDir,
    output: () => output,
    stop: () =>
      new Promise((resolveExit) => {
        if (child.exitCode !== null) return resolveExit(child.exitCode);
        child.once('exit', (code) => {
          if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
          resolveExit(code);
        });
        child.kill('SIGINT');
      }),
    kill: () =>
      new Promise((resolveExit) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
        child.once('exit', () => resolveExit());
        child.kill('SIGKILL');
      }),
  };
}

/** Sends `body` as JSON (to local mode's API, its `_local` routes or a simulator's `_sim` routes). */
export function sendJson(url: string, method: string, body: unknown): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Moves local mode's clock forward by an ISO-8601 duration (`PT2M`, `P1D`), running what falls due. */
export function advanceClock(localUrl: string, by: string): Promise<Response> {
  return sendJson(`${localUrl}/_local/clock/advance`, 'POST', { by });
}

/** An answer's JSON, read loosely: the assertions say what must be in it. */
export type LooseJson = Record<string, unknown> & { executions?: { failed: number } };

/** One JSON request to local mode's API (or its `/_local` routes). */
export async function callLocal(
  local: Pick<LocalProcess, 'url'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: LooseJson }> {
  const response = await fetch(`${local.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as LooseJson };
}

/** The simulators' URLs by platform, as local mode printed them when it started. */
export function simulatorUrls(local: Pick<LocalProcess, 'output'>): Record<string, string> {
  const line =
    local
      .output()
      .split('\n')
      .find((text) => text.trim().startsWith('simulators')) ?? '';
  return Object.fromEntries(
    [...line.matchAll(/(\w+) (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => [m[1] as string, m[2] as string]),
  );
}
