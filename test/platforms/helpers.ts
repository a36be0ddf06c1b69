import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { vi } from 'vitest';
import type { Channel, Platform } from '../../shared/domain/index.ts';
import type { AdapterOptions } from '../../shared/platforms/http.ts';
import type { CredentialStore, Credentials } from '../../shared/platforms/port.ts';
import { PlatformError } from '../../shared/platforms/port.ts';
import { platformChannel } from '../support/fixtures.ts';

/** Where a store made by `holding` keeps its one secret: every secretRef reads it. */
const ANY_SECRET = '*';

/** Credentials kept in memory, recording what adapters write back (token refreshes). */
export class MemoryCredentialStore implements CredentialStore {
  readonly puts: { secretRef: string; credentials: Credentials }[] = [];
  private readonly values = new Map<string, Credentials>();

  constructor(initial: Record<string, Credentials> = {}) {
    for (const [ref, value] of Object.entries(initial)) this.values.set(ref, { ...value });
  }

  /** A store of one channel's secret, whatever secretRef it is asked for. */
  static holding(credentials: Credentials): MemoryCredentialStore {
    return new MemoryCredentialStore({ [ANY_SECRET]: credentials });
  }

  async get(secretRef: string): Promise<Credentials> {
    const value = this.values.get(secretRef) ?? this.values.get(ANY_SECRET);
    if (!value) throw new Error(`no secret ${secretRef}`);
    return { ...value };
  }

  async put(secretRef: string, credentials: Credentials): Promise<void> {
    const ref = !this.values.has(secretRef) && this.values.has(ANY_SECRET) ? ANY_SECRET : secretRef;
    this.values.set(ref, { ...credentials });
    this.puts.push({ secretRef, credentials: { ...credentials } });
  }

  peek(secretRef: string): Credentials | undefined {
    return this.values.get(secretRef);
  }

  /** The secret of a store made by `holding`. */
  get value(): Credentials {
    const value = this.values.get(ANY_SECRET);
    if (!value) throw new Error('this store holds a secret per secretRef: use peek');
    return value;
  }

  set value(credentials: Credentials) {
    this.values.set(ANY_SECRET, { ...credentials });
  }
}

/** A platform answer recorded as a fixture: where it comes from, its status, headers and body. */
export interface Fixture {
  source: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export function loadFixture(platform: string, name: string): Fixture {
  const url = new URL(`../fixtures/platforms/${platform}/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  form?: FormData;
}

/** A fixture answer for requests of one method and path (`fixtureFetch`). */
export type FixtureRoute = {
  method: string;
  path: string | RegExp;
  reply: Fixture | ((req: SentRequest) => Fixture | Error);
};

/**
 * A fetch that answers from fixtures by method and path, recording what the adapter sent; an
 * Error as the reply is thrown (a transport failure). Each route answers in turn from a queue
 * when given several replies for the same path.
 */
export function fixtureFetch(routes: FixtureRoute[]): { fetch: typeof fetch; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const fake = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    let body = '';
    let form: FormData | undefined;
    if (init.body instanceof FormData) form = init.body;
    else if (typeof init.body === 'string') body = init.body;
    else if (init.body instanceof Uint8Array) body = `<${init.body.length} bytes>`;
    const request: SentRequest = { method, url, headers, body, ...(form ? { form } : {}) };
    sent.push(request);
    const index = routes.findIndex(
      (r) =>
        r.method === method &&
        (typeof r.path === 'string' ? r.path === url.pathname : r.path.test(url.pathname)),
    );
    const route = routes[index];
    if (!route) throw new Error(`no fixture for ${method} ${url.pathname}`);
    const reply = typeof route.reply === 'function' ? route.reply(request) : route.reply;
    if (reply instanceof Error) throw reply;
    const status = reply.status;
    const payload = reply.body === undefined || status === 204 ? null : JSON.stringify(reply.body);
    return new Response(payload, {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...reply.headers },
    });
  };
  return { fetch: fake as typeof fetch, sent };
}

/** A fixture as a fetch Response (JSON, with the fixture's headers and any extra ones). */
export function respond(
  fx: Pick<Fixture, 'status' | 'headers' | 'body'>,
  extraHeaders: Record<string, string> = {},
): Response {
  const body = fx.body === null || fx.body === undefined ? null : JSON.stringify(fx.body);
  return new Response(body, {
    status: fx.status,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...fx.headers, ...extraHeaders },
  });
}

/** One request a `routedFetch` received. */
export interface RoutedCall {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  /** The body read as a form (empty when it is not a string). */
  form: URLSearchParams;
}

export type RouteHandler = (call: RoutedCall) => Response | Promise<Response>;
export type FetchRoute = [method: string, pathAndQuery: RegExp, handler: RouteHandler];

/**
 * A fetch that answers by method and a pattern over path and query (the first route that
 * matches), recording every call; an unmatched request fails the test.
 */
export function routedFetch(routes: FetchRoute[]): { fetch: typeof fetch; calls: RoutedCall[] } {
  const calls: RoutedCall[] = [];
  const fake: typeof globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const raw = init?.body;
    const body = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? raw : undefined;
    const call: RoutedCall = {
      method: init?.method ?? 'GET',
      url,
      headers,
      body,
      form: new URLSearchParams(typeof body === 'string' ? body : ''),
    };
    calls.push(call);
    const route = routes.find(
      ([method, pattern]) => method === call.method && pattern.test(url.pathname + url.search),
    );
    if (!route) throw new Error(`unexpected ${call.method} ${url.pathname}${url.search}`);
    return route[2](call);
  };
  return { fetch: fake, calls };
}

/** A transport failure shaped like undici's (`TypeError('fetch failed', { cause: { code } })`). */
export function transportError(code: string): Error {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
  return new TypeError('fetch failed', { cause });
}

/** Runs `action` and returns the PlatformError it throws (fails the test when it throws nothing else). */
export async function platformError(action: () => Promise<unknown>): Promise<PlatformError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof PlatformError) return error;
    throw error;
  }
  throw new Error('expected a PlatformError, but the call succeeded');
}

/** Everything a secret could leak into, as one searchable text. */
function everythingVisible(...things: unknown[]): string {
  return things
    .map((thing) => `${inspect(thing, { depth: 12, showHidden: true })}\n${safeJson(thing)}`)
    .join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v) =>
      v instanceof Error ? { ...v, message: v.message, stack: v.stack, cause: v.cause } : v,
    );
  } catch {
    return '';
  }
}

export const noSleep = async (): Promise<void> => {};

/**
 * Collects everything a secret could leak into while a test acts: every console line (the console
 * is silenced until the test restores its mocks), every result and every error (with its message
 * and cause) of the calls passed to `capture`. `haystack(...more)` is all of it, and whatever
 * else is given (a simulator's request log), as one searchable text.
 */
export function leakWatch(): {
  capture: (promise: Promise<unknown>) => Promise<void>;
  haystack: (...more: unknown[]) => string;
} {
  const logged: unknown[] = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
  }
  const seen: unknown[] = [];
  return {
    async capture(promise) {
      try {
        seen.push(await promise);
      } catch (error) {
        seen.push(error, (error as Error).message, (error as Error).cause);
      }
    },
    haystack: (...more) => everythingVisible(logged, seen, ...more),
  };
}

/**
 * A platform's contract-test kit over `routedFetch`: its recorded fixtures, adapters (made by
 * `create` on a clock stopped at `now`, never sleeping) that answer from routes, its channel, and
 * stores holding the channel's `secret` (with any `overrides`).
 */
export function routedContract<A>(
  platform: Platform,
  create: (options: AdapterOptions) => A,
  now: Date,
  secret: Credentials = {},
): {
  fixture: (name: string) => Fixture;
  adapterWith: (routes: FetchRoute[]) => { adapter: A; calls: RoutedCall[] };
  channel: Channel;
  store: (overrides?: Partial<Credentials>) => MemoryCredentialStore;
} {
  return {
    fixture: (name) => loadFixture(platform, name),
    channel: platformChannel(platform),
    store: (overrides = {}) => MemoryCredentialStore.holding({ ...secret, ...overrides } as Credentials),
    adapterWith(routes) {
      const fake = routedFetch(routes);
      return { adapter: create({ fetch: fake.fetch, now: () => now, sleep: noSleep }), calls: fake.calls };
    },
  };
}

/** A route handler giving each answer in turn, and the last one from then on. */
export function inTurn(...answers: RouteHandler[]): RouteHandler {
  let n = 0;
  return (call) => (answers[Math.min(n++, answers.length - 1)] as RouteHandler)(call);
}

/** A Graph API error answer (Facebook, Instagram, Threads): `{ error: { type: 'OAuthException', … } }`. */
export function graphErrorResponse(
  status: number,
  error: { message: string; code: number } & Record<string, unknown>,
): Response {
  return respond({ status, body: { error: { type: 'OAuthException', ...error } } });
}
