import { expect } from 'vitest';

/** An answer's JSON, read loosely: the assertions say what must be in it. */
export type Json = Record<string, unknown>;

/** Plain HTTP against a local mode: a call that returns status and JSON, and a clock advance. */
export function localHttp(url: () => string) {
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const response = await fetch(`${url()}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Json };
  }
  /** Moves local time on by an ISO-8601 duration; every execution it ran must have succeeded. */
  async function advance(by: string): Promise<void> {
    const { status, json } = await call('POST', '/_local/clock/advance', { by });
    expect(status).toBe(200);
    expect((json.executions as { failed: number }).failed).toBe(0);
  }
  return { call, advance };
}

/** The simulators' URLs by platform, from local mode's start-up banner. */
export function simulatorUrls(output: string): Record<string, string> {
  const line = output.split('\n').find((text) => text.trim().startsWith('simulators')) ?? '';
  return Object.fromEntries(
    [...line.matchAll(/(\w+) (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => [m[1], m[2]]),
  );
}
