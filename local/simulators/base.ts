import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import twitterText from 'twitter-text';
import { readJsonStateSync, unexpectedState, writeFileAtomicSync } from '../files.ts';
import { AudienceModel } from './audience.ts';
import {
  bearerOf,
  compilePath,
  faultProblem,
  parseInto,
  pathMatches,
  readBody,
  record,
  SimError,
  sampleMedia,
  send,
  withHeaders,
} from './sim-http.ts';
import type {
  FaultSwitches,
  RecordedRequest,
  SimContext,
  SimRequest,
  SimResponse,
  SimRoute,
  SimulatedPost,
  SimulatorHandle,
  SimulatorOptions,
} from './sim-types.ts';
import { TokenStore } from './tokens.ts';

export { formObject, SimError } from './sim-http.ts';

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

export type {
  Clock,
  FaultSwitches,
  PlatformDialect,
  RecordedRequest,
  SimContext,
  SimRequest,
  SimResponse,
  SimRoute,
  SimulatedMedia,
  SimulatedPost,
  SimulatorHandle,
  SimulatorOptions,
} from './sim-types.ts';
export { TokenStore } from './tokens.ts';

/** Thrown by a route to answer with an error in the platform's own shape. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, json: body, headers };
}

/**
 * The account's live post of the last `hours` whose text (`textOf`) is `text`: what the
 * platforms' own duplicate checks refuse (X for 36 hours, Facebook and LinkedIn for 24).
 */
export function recentDuplicate(
  ctx: SimContext,
  account: string,
  text: unknown,
  hours: number,
  textOf: (post: SimulatedPost) => unknown = (post) => post.text,
): SimulatedPost | undefined {
  const since = ctx.now().getTime() - hours * 3_600_000;
  return ctx.posts.find(
    (p) => p.account === account && !p.deleted && textOf(p) === text && p.publishedAt.getTime() > since,
  );
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

/**
 * Starts a simulator; resolves once it listens. `harness` is what every platform simulator can be
 * started with (clock, audience, port), as given to the platform simulator; what it leaves
 * undefined keeps the `spec`'s value.
 */
export async function startSimulator(
  spec: SimulatorOptions,
  harness: Pick<SimulatorOptions, 'clock' | 'audience' | 'port'> = {},
): Promise<SimulatorHandle & { ctx: SimContext }> {
  const options: SimulatorOptions = {
    ...spec,
    ...(harness.clock ? { clock: harness.clock } : {}),
    ...(harness.audience ? { audience: harness.audience } : {}),
    ...(harness.port !== undefined ? { port: harness.port } : {}),
  };
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
