import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import twitterText from 'twitter-text';
import { readJsonStateSync, unexpectedState, writeFileAtomicSync } from '../files.ts';
import {
  AudienceModel,
  type AudiencePost,
  type Engagement,
  type SimulatedConversion,
  type SimulatorConfig,
  type SimulatorConfigInput,
} from './audience.ts';

/**
 * The harness every platform simulator runs on: a node:http server on 127.0.0.1 (port 0 unless
 * told otherwise), an injectable clock, a log of the requests it received (credentials removed),
 * tokens that can be expired on demand, a per-account rate-limit budget, and fault switches —
 * settable from code (`setFaults`) and over HTTP (`POST /_sim/faults`).
 *
 * A platform simulator supplies its routes and its "dialect": how that platform reports rate
 * limits, refuses a token, fails and says "not found". Everything under `/_sim/` is the
 * simulator's own control surface, never part of a platform's API.
 *
 * Test equipment only: production code never branches on it.
 */

export type Clock = () => Date;

/**
 * Switches that make the next matching requests fail the way platforms fail. `path` limits a
 * switch to one endpoint: an exact path (`/2/tweets`), or a prefix ending in `*` (`/xrpc/*`).
 */
export interface FaultSwitches {
  /** The next `count` requests answer 429 with the platform's rate-limit headers, reset in `resetSeconds`. */
  rateLimit?: { count: number; resetSeconds: number; path?: string };
  /** The next `count` requests answer a 5xx (503 unless `status` says otherwise) without being processed. */
  serverError?: { count: number; status?: number; path?: string };
  /** The next `count` requests are processed (the post is created), then never answered. */
  timeoutAfterAccept?: { count: number; path?: string };
  /**
   * Expires every access token issued so far (refresh tokens keep working, so a platform that
   * allows refreshing recovers; tokens issued afterwards are valid).
   */
  expireTokens?: boolean;
}

/** One request as the simulator received it, with credentials removed. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** JSON or form fields (secrets redacted); `{ multipart: … }`; `{ bytes, contentType }` for raw uploads. */
  body: unknown;
  /** The simulator clock's time when it arrived (ISO). */
  at: string;
}

export interface SimulatedMedia {
  id: string;
  kind: 'image' | 'video';
  mimeType: string;
  bytes: number;
}

/** A post a simulator accepted. Platform-specific details live in `data`. */
export interface SimulatedPost extends AudiencePost {
  /** The platform's id for it (an at-uri on Bluesky). */
  id: string;
  /** The simulator account that published it. */
  account: string;
  text: string;
  media: SimulatedMedia[];
  publishedAt: Date;
  /** Where a person would see it. */
  url: string;
  deleted: boolean;
  data: Record<string, unknown>;
}

/** What every simulator hands back; the other platforms' simulators return the same shape. */
export interface SimulatorHandle {
  readonly platform: string;
  /** `http://127.0.0.1:<port>`: put it in a channel's `apiBaseUrl`. */
  readonly url: string;
  /** Every platform API request received, oldest first (control calls under `/_sim/` excluded). */
  readonly requests: readonly RecordedRequest[];
  /** Every post accepted, oldest first. */
  readonly posts: readonly SimulatedPost[];
  readonly audience: AudienceModel;
  readonly clock: Clock;
  setFaults(faults: FaultSwitches): void;
  /** The switches still armed (counts left). */
  getFaults(): FaultSwitches;
  /** The post's numbers at `at` (the simulator clock by default); undefined for an unknown id. */
  engagementOf(postId: string, at?: Date): Engagement | undefined;
  /** The conversions the post's link produced by `at` (for driving the conversion webhook). */
  conversionsFor(postId: string, at?: Date): SimulatedConversion[];
  /** Deletes a post as its author would (metrics then report it gone). */
  deletePost(postId: string): boolean;
  /** A URL under this simulator that serves a media file (for posts' `media`): `name` ends in .png, .jpg or .mp4. */
  mediaUrl(name: string, options?: { bytes?: number; status?: number }): string;
  clearRequests(): void;
  stop(): Promise<void>;
}

/** The parts of a simulator platform routes work with. */
export interface SimContext {
  readonly platform: string;
  readonly baseUrl: string;
  readonly audience: AudienceModel;
  readonly tokens: TokenStore;
  readonly posts: SimulatedPost[];
  now(): Date;
  /** A new, increasing, snowflake-like numeric id (derived from the clock, so runs repeat). */
  nextId(): string;
  addPost(post: Omit<SimulatedPost, 'deleted' | 'link'> & { link?: string }): SimulatedPost;
  findPost(id: string): SimulatedPost | undefined;
}

export interface SimRequest {
  method: string;
  path: string;
  url: URL;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  /** Parsed JSON or form body (an object of strings / string arrays for forms); undefined otherwise. */
  body: unknown;
  /** Multipart bodies, parsed. */
  form?: FormData;
  /** Path parameters from the route pattern (`/2/users/:id/tweets`). */
  params: Record<string, string>;
  /** The token the request presented, and whose it is (routes with `auth`). */
  auth?: { token: string; account: string };
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  bytes?: Uint8Array;
}

export interface SimRoute {
  method: string;
  /** `/2/tweets`, `/2/users/:id/tweets`, `/xrpc/com.atproto.repo.createRecord` … */
  path: string;
  /** Requires a valid access token (answered with the dialect's `unauthorized` otherwise). */
  auth?: boolean;
  handle(req: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse>;
}

/** How one platform speaks about limits and failures. */
export interface PlatformDialect {
  /** Headers reporting the budget, sent on every answer. */
  rateLimitHeaders(budget: { limit: number; remaining: number; resetAt: Date }): Record<string, string>;
  tooManyRequests(resetAt: Date, now: Date): SimResponse;
  serverError(status: number): SimResponse;
  unauthorized(reason: 'missing' | 'invalid' | 'expired'): SimResponse;
  notFound(method: string, path: string): SimResponse;
  /** Where a request carries its access token; `Authorization: Bearer …` by default. */
  tokenOf?(req: SimRequest): string | undefined;
}

export interface SimulatorOptions {
  platform: string;
  dialect: PlatformDialect;
  routes: SimRoute[];
  clock?: Clock;
  audience?: AudienceModel | SimulatorConfig | SimulatorConfigInput;
  /** Requests per window per account (anonymous requests share one budget). */
  rateLimit?: { limit: number; windowSeconds: number };
  /** @default 0 (any free port) */
  port?: number;
}

/** Thrown by a route to answer with an error in the platform's own shape. */
export class SimError extends Error {
  constructor(readonly response: SimResponse) {
    super(`simulated error ${response.status}`);
    this.name = 'SimError';
  }
}

/** Issued access and refresh tokens, each belonging to one account. */
export class TokenStore {
  private readonly tokens = new Map<
    string,
    { account: string; kind: 'access' | 'refresh'; expiresAt?: number; revoked: boolean }
  >();

  constructor(private readonly clock: Clock) {}

  /** A new random token (or the given value) for an account, valid for `ttlSeconds` if given. */
  issue(
    account: string,
    options: { kind?: 'access' | 'refresh'; ttlSeconds?: number; value?: string } = {},
  ): string {
    const value = options.value ?? randomBytes(24).toString('base64url');
    this.tokens.set(value, {
      account,
      kind: options.kind ?? 'access',
      revoked: false,
      ...(options.ttlSeconds !== undefined
        ? { expiresAt: this.clock().getTime() + options.ttlSeconds * 1000 }
        : {}),
    });
    return value;
  }

  check(
    value: string,
    kind: 'access' | 'refresh' = 'access',
  ): { ok: true; account: string } | { ok: false; reason: 'invalid' | 'expired' } {
    const token = this.tokens.get(value);
    if (!token || token.kind !== kind) return { ok: false, reason: 'invalid' };
    if (token.revoked) return { ok: false, reason: 'invalid' };
    if (token.expiresAt !== undefined && token.expiresAt <= this.clock().getTime())
      return { ok: false, reason: 'expired' };
    return { ok: true, account: token.account };
  }

  revoke(value: string): void {
    const token = this.tokens.get(value);
    if (token) token.revoked = true;
  }

  /** Every token, for a simulator that keeps its state across restarts. */
  snapshot(): [
    string,
    { account: string; kind: 'access' | 'refresh'; expiresAt?: number; revoked: boolean },
  ][] {
    return [...this.tokens.entries()];
  }

  /** Tokens a previous run issued (a refreshed token saved in the secrets file must keep working). */
  restore(entries: ReturnType<TokenStore['snapshot']>): void {
    for (const [value, token] of entries) if (!this.tokens.has(value)) this.tokens.set(value, token);
  }

  /** Makes every token of this kind issued so far expire now. */
  expireAll(kind: 'access' | 'refresh' = 'access'): void {
    const now = this.clock().getTime();
    for (const token of this.tokens.values())
      if (token.kind === kind) token.expiresAt = Math.min(token.expiresAt ?? now, now);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, json: body, headers };
}

/** The first URL in a text, as the audience model reads links. */
export function firstUrlIn(text: string): string | undefined {
  return twitterText.extractUrls(text)[0];
}

/**
 * Where simulators keep what was published on them, one JSON file per platform. Local mode sets
 * it to its data folder so that a restart does not make the platforms forget their posts (the
 * Collector would then see every earlier post as deleted). Unset (tests), state is in memory.
 */
let stateDir: string | undefined;
export function persistSimulatorsIn(dir: string | undefined): void {
  stateDir = dir;
}

interface SavedState {
  lastId: string;
  posts: (Omit<SimulatedPost, 'publishedAt'> & { publishedAt: string })[];
  tokens?: ReturnType<TokenStore['snapshot']>;
}

/**
 * What a previous run left on this platform. A file that cannot be read stops start-up instead
 * of being reset to empty: a platform that forgot its posts would let the reconciliation of an
 * UNKNOWN post miss one that is live (so a person would publish it again), let a repeated text
 * through the platforms' own duplicate checks (X, Facebook, LinkedIn), and make the Collector
 * see every earlier post as deleted. Files are written whole (writeFileAtomicSync), so only
 * damage from outside local mode, or a file from a version that wrote in place, ends up here.
 */
function loadState(path: string | undefined): {
  lastId: bigint;
  posts: SimulatedPost[];
  tokens: ReturnType<TokenStore['snapshot']>;
} {
  const empty = { lastId: 0n, posts: [], tokens: [] };
  if (!path) return empty;
  const read = { ifDeleted: 'start that simulator afresh (forgetting the posts published on it)' };
  const saved = readJsonStateSync(path, read) as Partial<SavedState> | undefined;
  if (saved === undefined) return empty;
  if (
    typeof saved !== 'object' ||
    saved === null ||
    !/^\d+$/.test(String(saved.lastId)) ||
    !Array.isArray(saved.posts)
  )
    throw unexpectedState(path, "a simulator's state (lastId and posts)", read);
  return {
    lastId: BigInt(saved.lastId as string),
    posts: saved.posts.map((post) => ({ ...post, publishedAt: new Date(post.publishedAt) })),
    tokens: saved.tokens ?? [],
  };
}

/** Starts a simulator; resolves once it listens. */
export async function startSimulator(
  options: SimulatorOptions,
): Promise<SimulatorHandle & { ctx: SimContext }> {
  const clock = options.clock ?? (() => new Date());
  const audience =
    options.audience instanceof AudienceModel ? options.audience : new AudienceModel(options.audience ?? {});
  const tokens = new TokenStore(clock);
  const requests: RecordedRequest[] = [];
  const statePath = stateDir ? join(stateDir, `${options.platform}.json`) : undefined;
  const restored = loadState(statePath);
  tokens.restore(restored.tokens);
  const posts: SimulatedPost[] = restored.posts;
  const saveState = () => {
    if (!statePath) return;
    mkdirSync(dirname(statePath), { recursive: true });
    const state: SavedState = {
      lastId: lastId.toString(),
      posts: posts.map((post) => ({ ...post, publishedAt: post.publishedAt.toISOString() })),
      tokens: tokens.snapshot(),
    };
    writeFileAtomicSync(statePath, JSON.stringify(state));
  };
  let faults: FaultSwitches = {};
  const budgets = new Map<string, { used: number; windowStart: number }>();
  let lastId = restored.lastId;
  let baseUrl = '';

  const ctx: SimContext = {
    platform: options.platform,
    get baseUrl() {
      return baseUrl;
    },
    audience,
    tokens,
    posts,
    now: clock,
    nextId() {
      // Twitter-style snowflake: milliseconds since 2010-11-04 in the high bits, a sequence below.
      const candidate = (BigInt(Math.max(0, clock().getTime() - 1_288_834_974_657)) << 22n) + 1n;
      lastId = candidate > lastId ? candidate : lastId + 1n;
      return lastId.toString();
    },
    addPost(post) {
      const stored: SimulatedPost = { ...post, deleted: false };
      const link = post.link ?? firstUrlIn(post.text);
      if (link) stored.link = link;
      posts.push(stored);
      saveState();
      return stored;
    },
    findPost(id) {
      return posts.find((p) => p.id === id);
    },
  };

  const matchers = options.routes.map((route) => ({ route, match: compilePath(route.path) }));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'simulator failure', message: (error as Error).message }));
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/_sim/')) {
      send(res, await control(req.method ?? 'GET', url, raw));
      return;
    }
    const simReq: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      url,
      query: url.searchParams,
      headers: req.headers,
      raw,
      body: undefined,
      params: {},
    };
    await parseInto(simReq);
    requests.push(record(simReq, clock()));

    const budgetHeaders = (account: string) => {
      if (!options.rateLimit) return {};
      const budget = spend(account, false);
      return options.dialect.rateLimitHeaders(budget);
    };

    const rateLimitFault = take('rateLimit', simReq.path);
    if (rateLimitFault) {
      const resetAt = new Date(clock().getTime() + (faults.rateLimit?.resetSeconds ?? 60) * 1000);
      const answer = options.dialect.tooManyRequests(resetAt, clock());
      const limit = options.rateLimit?.limit ?? 100;
      send(res, withHeaders(answer, options.dialect.rateLimitHeaders({ limit, remaining: 0, resetAt })));
      return;
    }
    const serverErrorFault = take('serverError', simReq.path);
    if (serverErrorFault) {
      send(res, options.dialect.serverError(faults.serverError?.status ?? 503));
      return;
    }

    const found = findRoute(simReq.method, simReq.path);
    if (!found) {
      send(res, options.dialect.notFound(simReq.method, simReq.path));
      return;
    }
    simReq.params = found.params;

    let account = 'anonymous';
    if (found.route.auth) {
      const token = options.dialect.tokenOf ? options.dialect.tokenOf(simReq) : bearerOf(simReq.headers);
      if (!token) {
        send(res, options.dialect.unauthorized('missing'));
        return;
      }
      const checked = tokens.check(token);
      if (!checked.ok) {
        send(res, options.dialect.unauthorized(checked.reason));
        return;
      }
      account = checked.account;
      simReq.auth = { token, account };
    }

    if (options.rateLimit) {
      const budget = spend(account, true);
      if (budget.remaining < 0) {
        send(
          res,
          withHeaders(
            options.dialect.tooManyRequests(budget.resetAt, clock()),
            options.dialect.rateLimitHeaders({ ...budget, remaining: 0 }),
          ),
        );
        return;
      }
    }

    let answer: SimResponse;
    try {
      answer = await found.route.handle(simReq, ctx);
    } catch (error) {
      if (error instanceof SimError) answer = error.response;
      else throw error;
    }

    if (take('timeoutAfterAccept', simReq.path)) {
      // Processed, never answered: the client gives up (or the simulator stops) first.
      return;
    }
    send(res, withHeaders(answer, budgetHeaders(account)));
  }

  function findRoute(
    method: string,
    path: string,
  ): { route: SimRoute; params: Record<string, string> } | undefined {
    for (const { route, match } of matchers) {
      if (route.method !== method) continue;
      const params = match(path);
      if (params) return { route, params };
    }
    return undefined;
  }

  /** Counts one request against the account's budget (when `consume`), returning what is left. */
  function spend(account: string, consume: boolean): { limit: number; remaining: number; resetAt: Date } {
    const { limit, windowSeconds } = options.rateLimit ?? { limit: 100, windowSeconds: 900 };
    const now = clock().getTime();
    let budget = budgets.get(account);
    if (!budget || now >= budget.windowStart + windowSeconds * 1000) {
      budget = { used: 0, windowStart: now };
      budgets.set(account, budget);
    }
    if (consume) budget.used += 1;
    return {
      limit,
      remaining: limit - budget.used,
      resetAt: new Date(budget.windowStart + windowSeconds * 1000),
    };
  }

  function take(kind: 'rateLimit' | 'serverError' | 'timeoutAfterAccept', path: string): boolean {
    const fault = faults[kind];
    if (!fault || fault.count <= 0) return false;
    if (fault.path && !pathMatches(fault.path, path)) return false;
    fault.count -= 1;
    return true;
  }

  function setFaults(next: FaultSwitches): void {
    faults = structuredClone(next);
    if (next.expireTokens) tokens.expireAll('access');
  }

  async function control(method: string, url: URL, raw: Buffer): Promise<SimResponse> {
    const path = url.pathname;
    if (path === '/_sim/faults' && method === 'POST') {
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        return json(400, { error: 'the body must be JSON: {"rateLimit":{"count":1,"resetSeconds":60}}' });
      }
      const problem = faultProblem(body);
      if (problem) return json(400, { error: problem });
      setFaults(body as FaultSwitches);
      return json(200, structuredClone(faults));
    }
    if (path === '/_sim/faults' && method === 'GET') return json(200, structuredClone(faults));
    if (path === '/_sim/posts' && method === 'GET') {
      return json(
        200,
        posts.map((p) => ({
          id: p.id,
          account: p.account,
          channel: p.channel,
          text: p.text,
          url: p.url,
          publishedAt: p.publishedAt.toISOString(),
          deleted: p.deleted,
          media: p.media,
          engagement: audience.engagementAt(p, clock()),
        })),
      );
    }
    const media = /^\/_sim\/media\/([\w.-]+)$/.exec(path);
    if (media && method === 'GET') {
      const status = Number(url.searchParams.get('status') ?? 200);
      if (status !== 200) return { status, text: 'not here' };
      const name = media[1] ?? 'file.png';
      const bytes = Number(url.searchParams.get('bytes') ?? 0);
      return sampleMedia(name, bytes);
    }
    return json(404, { error: `no simulator control at ${method} ${path}` });
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  baseUrl = `http://127.0.0.1:${port}`;

  const handle_: SimulatorHandle & { ctx: SimContext } = {
    platform: options.platform,
    url: baseUrl,
    requests,
    posts,
    audience,
    clock,
    ctx,
    setFaults,
    getFaults: () => structuredClone(faults),
    engagementOf(postId, at = clock()) {
      const post = ctx.findPost(postId);
      return post ? audience.engagementAt(post, at) : undefined;
    },
    conversionsFor(postId, at = clock()) {
      const post = ctx.findPost(postId);
      return post ? audience.conversionsFor(post, at) : [];
    },
    deletePost(postId) {
      const post = ctx.findPost(postId);
      if (!post || post.deleted) return false;
      post.deleted = true;
      saveState();
      return true;
    },
    mediaUrl(name, mediaOptions = {}) {
      const query = new URLSearchParams();
      if (mediaOptions.bytes !== undefined) query.set('bytes', String(mediaOptions.bytes));
      if (mediaOptions.status !== undefined) query.set('status', String(mediaOptions.status));
      const suffix = query.size ? `?${query}` : '';
      return `${baseUrl}/_sim/media/${encodeURIComponent(name)}${suffix}`;
    },
    clearRequests() {
      requests.length = 0;
    },
    stop() {
      saveState();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return handle_;
}

function faultProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'faults must be a JSON object';
  const allowed = new Set(['rateLimit', 'serverError', 'timeoutAfterAccept', 'expireTokens']);
  for (const [key, value] of Object.entries(body)) {
    if (!allowed.has(key)) return `unknown fault '${key}' (use ${[...allowed].join(', ')})`;
    if (key === 'expireTokens') {
      if (typeof value !== 'boolean') return 'expireTokens must be true or false';
      continue;
    }
    if (!value || typeof value !== 'object') return `${key} must be an object with a count`;
    const fault = value as Record<string, unknown>;
    if (!Number.isInteger(fault.count) || (fault.count as number) < 0)
      return `${key}.count must be a whole number`;
    if (key === 'rateLimit' && !(typeof fault.resetSeconds === 'number' && fault.resetSeconds >= 0)) {
      return 'rateLimit.resetSeconds must be a number of seconds';
    }
  }
  return undefined;
}

function pathMatches(filter: string, path: string): boolean {
  return filter.endsWith('*') ? path.startsWith(filter.slice(0, -1)) : path === filter;
}

function compilePath(pattern: string): (path: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (path) => {
    const m = regex.exec(path);
    if (!m) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(m[i + 1] ?? '')]));
  };
}

function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m?.[1]?.trim();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function parseInto(req: SimRequest): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (req.raw.length === 0) return;
  if (type === 'application/json') {
    try {
      req.body = JSON.parse(req.raw.toString('utf8'));
    } catch {
      req.body = undefined;
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    req.body = formObject(new URLSearchParams(req.raw.toString('utf8')));
  } else if (type === 'multipart/form-data') {
    const request = new Request('http://simulator.invalid/', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type']) },
      body: req.raw,
    });
    req.form = await request.formData();
  }
}

/** A form as an object; repeated keys (`media_ids[]`) become arrays. */
export function formObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = out[key];
    if (existing === undefined) out[key] = key.endsWith('[]') ? [value] : value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

const SECRET_KEY = /pass(word)?|token|secret|jwt|authori[sz]ation|code_verifier|cookie|api[-_]?key/i;

function record(req: SimRequest, at: Date): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization') headers[name] = `${text.split(' ')[0] ?? ''} [redacted]`;
    else headers[name] = SECRET_KEY.test(name) ? '[redacted]' : text;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(req.query.keys())) {
    const values = req.query.getAll(key).map((v) => (SECRET_KEY.test(key) ? '[redacted]' : v));
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  let body: unknown;
  if (req.form) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of req.form) {
      fields[key] =
        typeof value === 'string'
          ? SECRET_KEY.test(key)
            ? '[redacted]'
            : value
          : { file: value.name, bytes: value.size, type: value.type };
    }
    body = { multipart: fields };
  } else if (req.body !== undefined) {
    body = redactDeep(req.body);
  } else if (req.raw.length > 0) {
    body = { bytes: req.raw.length, contentType: req.headers['content-type'] ?? '' };
  }
  return { method: req.method, path: req.path, query, headers, body, at: at.toISOString() };
}

function redactDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && typeof v === 'string' ? '[redacted]' : redactDeep(v),
      ]),
    );
  }
  return value;
}

function withHeaders(response: SimResponse, headers: Record<string, string>): SimResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

function send(res: ServerResponse, response: SimResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | Uint8Array = '';
  if (response.json !== undefined) {
    headers['content-type'] ??= 'application/json; charset=utf-8';
    payload = JSON.stringify(response.json);
  } else if (response.bytes !== undefined) {
    payload = response.bytes;
  } else if (response.text !== undefined) {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    payload = response.text;
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

// A 1×1 PNG, so an image a simulator serves is a real image.
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** Sample media bytes by file extension: a real 1×1 PNG, or padded stand-ins for JPEG and MP4. */
function sampleMedia(name: string, size: number): SimResponse {
  const extension = name.split('.').pop()?.toLowerCase() ?? '';
  if (extension === 'png') {
    const bytes =
      size > PNG_1X1.length ? Buffer.concat([PNG_1X1, Buffer.alloc(size - PNG_1X1.length)]) : PNG_1X1;
    return { status: 200, bytes, headers: { 'content-type': 'image/png' } };
  }
  if (extension === 'jpg' || extension === 'jpeg') {
    const bytes = Buffer.alloc(Math.max(size, 1024));
    bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
    bytes.set([0xff, 0xd9], bytes.length - 2);
    return { status: 200, bytes, headers: { 'content-type': 'image/jpeg' } };
  }
  if (extension === 'mp4' || extension === 'mov') {
    const bytes = Buffer.alloc(Math.max(size, 4096));
    bytes.write('\u0000\u0000\u0000\u0018ftypmp42', 0, 'latin1');
    return {
      status: 200,
      bytes,
      headers: { 'content-type': extension === 'mov' ? 'video/quicktime' : 'video/mp4' },
    };
  }
  return {
    status: 200,
    bytes: Buffer.alloc(Math.max(size, 16)),
    headers: { 'content-type': 'application/octet-stream' },
  };
}
