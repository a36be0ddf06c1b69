import { expect } from 'vitest';
import { callLocal } from './local-process.ts';

/** An answer's JSON, read loosely: the assertions say what must be in it. */
export type Json = Record<string, unknown>;

/** Plain HTTP against a local mode: a call that returns status and JSON, and a clock advance. */
export function localHttp(url: () => string) {
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> =>
    callLocal({ url: url() }, method, path, body);
  /** Moves local time on by an ISO-8601 duration; every execution it ran must have succeeded. */
  async function advance(by: string): Promise<void> {
    const { status, json } = await call('POST', '/_local/clock/advance', { by });
    expect(status).toBe(200);
    expect((json.executions as { failed: number }).failed).toBe(0);
  }
  return { call, advance };
}
