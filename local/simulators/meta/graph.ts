import { createHash } from 'node:crypto';
import type { Engagement } from '../audience.ts';
import { json, SimError, startSimulator } from '../base.ts';
import type { PlatformSimulatorOptions } from '../setup.ts';
import type * as Sim from '../sim.ts';

/**
 * The Meta Graph conventions the Facebook, Instagram and Threads simulators share: Graph error
 * objects, throttling as HTTP 400 with usage headers, the `access_token` parameter, versioned
 * paths, field lists, lifetime insights, long-lived tokens, and starting a simulator with them.
 * Each simulator keeps only what its platform does differently.
 */

export interface GraphErrorBody extends Record<string, unknown> {
  message: string;
  type?: string;
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
}

export function graphError(
  status: number,
  error: GraphErrorBody,
  headers: Record<string, string> = {},
): Sim.Response {
  const fbtrace = createHash('sha256')
    .update(`${error.code}:${error.message}`)
    .digest('base64url')
    .slice(0, 23);
  return json(status, { error: { type: 'OAuthException', ...error, fbtrace_id: `A${fbtrace}` } }, headers);
}

/** A Graph error to throw from a route. */
export function graphFail(status: number, error: GraphErrorBody): SimError {
  return new SimError(graphError(status, error));
}

const INVALID_TOKEN: GraphErrorBody = {
  message: 'Invalid OAuth access token - Cannot parse access token',
  code: 190,
};

/** A `(#100)` parameter error, the answer Graph gives most bad requests. */
export function badParameter(message: string): SimError {
  return graphFail(400, { message: `(#100) ${message}`, code: 100 });
}

/** What Graph says of an id that does not exist, was deleted, or belongs to someone else. */
export function missingObject(id: string): SimError {
  return graphFail(400, {
    message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: 'GraphMethodException',
    code: 100,
    error_subcode: 33,
  });
}

/** How a Meta platform answers when it throttles: its error code and message, and its BUC type. */
export interface MetaThrottle {
  code: number;
  message: string;
  bucType: string;
}

/**
 * How Meta reports limits and failures. Throttling is an HTTP 400 with a Graph error code (not a
 * 429), and the Business-Use-Case header says in minutes when access comes back.
 */
function metaDialect(throttle: MetaThrottle, bucId: () => string, clock: Sim.Clock): Sim.Dialect {
  return {
    rateLimitHeaders: ({ limit, remaining, resetAt }) => {
      const used = Math.min(100, Math.round(((limit - Math.max(0, remaining)) / Math.max(1, limit)) * 100));
      return {
        'x-app-usage': JSON.stringify({
          call_count: used,
          total_time: Math.round(used / 2),
          total_cputime: Math.round(used / 3),
        }),
        'x-business-use-case-usage': JSON.stringify({
          [bucId()]: [
            {
              type: throttle.bucType,
              call_count: used,
              total_cputime: Math.round(used / 3),
              total_time: Math.round(used / 2),
              estimated_time_to_regain_access:
                remaining > 0 ? 0 : Math.max(1, Math.ceil((resetAt.getTime() - clock().getTime()) / 60_000)),
            },
          ],
        }),
      };
    },
    tooManyRequests: (resetAt, now) => {
      const minutes = Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 60_000));
      return graphError(
        400,
        { message: throttle.message, is_transient: true, code: throttle.code },
        {
          'x-business-use-case-usage': JSON.stringify({
            [bucId()]: [
              {
                type: throttle.bucType,
                call_count: 100,
                total_cputime: 40,
                total_time: 60,
                estimated_time_to_regain_access: minutes,
              },
            ],
          }),
        },
      );
    },
    serverError: (status) =>
      graphError(status, {
        message: 'An unexpected error has occurred. Please retry your request later.',
        is_transient: true,
        code: 2,
      }),
    unauthorized: (reason) =>
      reason === 'expired'
        ? graphError(400, {
            message:
              'Error validating access token: Session has expired on Wednesday, 14-Feb-18 18:00:00 PST. The current time is Thursday, 15-Feb-18 13:46:35 PST.',
            code: 190,
            error_subcode: 463,
          })
        : reason === 'missing'
          ? graphError(400, {
              message: 'An active access token must be used to query information about the current user.',
              code: 2500,
            })
          : graphError(400, INVALID_TOKEN),
    notFound: (method, path) =>
      graphError(400, { message: `Unknown path components: ${path}`, code: 2500, method }),
    tokenOf: graphTokenOf,
  };
}

/** Graph takes the token as `access_token` (query or form) or as an `Authorization: Bearer|OAuth` header. */
function graphTokenOf(req: Sim.Request): string | undefined {
  const fromQuery = req.query.get('access_token');
  if (fromQuery) return fromQuery;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body.access_token === 'string') return body.access_token;
  const header = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
  return header?.[1]?.trim();
}

/** Parameters from the query string and a form body together, as Graph reads them. */
export function graphParams(req: Sim.Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of req.query) out[key] = value;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** Splits `a,b.summary(x,y),insights.metric(m,n)` at top-level commas. */
export function splitFields(fields: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of fields) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** A versioned path segment (`v27.0`); anything else is an unknown path, as Graph says. */
export function checkGraphVersion(req: Sim.Request, pattern = /^v\d+\.\d+$/): void {
  if (!pattern.test(req.params.version ?? '')) {
    throw graphFail(400, { message: `Unknown path components: /${req.params.version}`, code: 2500 });
  }
}

/**
 * The account whose token the request presented, after checking the path's Graph version; a
 * token of no known account is refused as Graph refuses one it cannot parse.
 */
export function tokenAccount<A>(
  req: Sim.Request,
  accounts: readonly A[],
  idOf: (account: A) => string,
  version?: RegExp,
): A {
  checkGraphVersion(req, version);
  const account = accounts.find((a) => idOf(a) === (req.auth?.account ?? ''));
  if (!account) throw graphFail(400, INVALID_TOKEN);
  return account;
}

/** The account's post with this id, or Graph's "does not exist" for a missing, deleted or foreign one. */
export function ownPost(ctx: Sim.Context, id: string, accountId: string | undefined): Sim.Post {
  const post = ctx.findPost(id);
  if (!post || post.deleted || post.account !== accountId) throw missingObject(id);
  return post;
}

/**
 * An account's newest posts (`limit`, at most 100, default 25), newest first, with Graph's
 * cursor paging; `since` (seconds) filters where the platform honours it.
 */
export function postList(
  req: Sim.Request,
  ctx: Sim.Context,
  accountId: string,
  options: { defaultFields: string; since: boolean },
  render: (post: Sim.Post, fields: string[]) => Record<string, unknown>,
): Sim.Response {
  const since = options.since ? Number(req.query.get('since') ?? 0) * 1000 : 0;
  const max = Math.min(Number(req.query.get('limit') ?? 25) || 25, 100);
  const fields = splitFields(req.query.get('fields') ?? options.defaultFields);
  const all = ctx.posts
    .filter((p) => p.account === accountId && !p.deleted && p.publishedAt.getTime() >= since)
    .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
  // Cursor paging: `after` is the last id of the previous page; `next` only while more remain.
  const after = Buffer.from(req.query.get('after') ?? '', 'base64url').toString();
  const start = after ? all.findIndex((p) => p.id === after) + 1 : 0;
  const items = all.slice(start, start + max);
  const more = start + max < all.length;
  const next = new URL(req.url);
  next.searchParams.set('after', cursor(items.at(-1)?.id));
  return json(200, {
    data: items.map((p) => render(p, fields)),
    paging: {
      cursors: { before: cursor(items[0]?.id), after: cursor(items.at(-1)?.id) },
      ...(more ? { next: next.toString() } : {}),
    },
  });
}

function cursor(id: string | undefined): string {
  return Buffer.from(id ?? '').toString('base64url');
}

/** A metric a simulator serves, and what it reports of the audience. */
export type MetricSpecs = Record<
  string,
  { title: string; description: string; value: (e: Engagement) => number }
>;

/** The usual refusal of a metric name Graph does not know. */
export function invalidMetric(metric: string): SimError {
  return badParameter(`The value must be a valid insights metric: ${metric}`);
}

/**
 * Lifetime insights of a post, shaped as the Insights reference shows them. A metric the specs
 * do not have is refused with `refuse` (checked for all before any is read).
 */
export function insightsOf(
  post: Sim.Post,
  metrics: string[],
  specs: MetricSpecs,
  ctx: Sim.Context,
  refuse: (metric: string) => SimError = invalidMetric,
) {
  for (const metric of metrics) if (!specs[metric]) throw refuse(metric);
  const e = ctx.audience.engagementAt(post, ctx.now());
  return metrics.map((name) => {
    const spec = specs[name] as MetricSpecs[string];
    return {
      name,
      period: 'lifetime',
      values: [{ value: spec.value(e) }],
      title: spec.title,
      description: spec.description,
      id: `${post.id}/insights/${name}/lifetime`,
    };
  });
}

/** The metrics a request names (`metric=a,b`). */
export function requestedMetrics(req: Sim.Request): string[] {
  return (req.query.get('metric') ?? '').split(',').filter(Boolean);
}

/** `2026-12-10T09:00:02+0000`, Meta's timestamp format. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** Media URLs a simulator can fetch itself: only ones on this machine; others are trusted. */
export async function mediaReachable(url: string): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return parsed.protocol === 'https:';
  try {
    const response = await fetch(parsed, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Long-lived Meta tokens: valid 60 days, refreshable once at least 24 hours old and not expired. */
class LongLivedTokens {
  private readonly issuedAt = new Map<string, number>();

  constructor(
    private readonly ctx: () => Sim.Context,
    private readonly ttlSeconds: number,
  ) {}

  /** A token for the account; `ageSeconds` pretends it was issued that long ago (it expires sooner). */
  issue(account: string, value?: string, ageSeconds = 0): string {
    const token = this.ctx().tokens.issue(account, {
      ttlSeconds: Math.max(0, this.ttlSeconds - ageSeconds),
      ...(value ? { value } : {}),
    });
    this.issuedAt.set(token, this.ctx().now().getTime() - ageSeconds * 1000);
    return token;
  }

  /** `GET /refresh_access_token?grant_type=…&access_token=…` */
  refresh(req: Sim.Request, grantType: string): Sim.Response {
    if (req.query.get('grant_type') !== grantType) {
      return graphError(400, {
        message: `Unsupported grant_type: ${req.query.get('grant_type') ?? '(none)'}`,
        code: 100,
      });
    }
    const token = req.query.get('access_token') ?? '';
    const checked = this.ctx().tokens.check(token);
    if (!checked.ok) {
      return checked.reason === 'expired'
        ? graphError(400, {
            message: 'Error validating access token: Session has expired.',
            code: 190,
            error_subcode: 463,
          })
        : graphError(400, INVALID_TOKEN);
    }
    const issued = this.issuedAt.get(token) ?? 0;
    if (this.ctx().now().getTime() - issued < 24 * 3_600_000) {
      return graphError(400, {
        message: 'The access token must be at least 24 hours old to be refreshed.',
        code: 190,
      });
    }
    const fresh = this.issue(checked.account);
    return json(200, { access_token: fresh, token_type: 'bearer', expires_in: this.ttlSeconds });
  }
}

/** How a simulator with long-lived user tokens (Instagram, Threads) issues them. */
export interface LongLivedTokenOptions {
  /** Lifetime of long-lived tokens. @default 5184000 (60 days) */
  tokenTtlSeconds?: number;
  /** How old the accounts' starting tokens are (they expire `tokenTtlSeconds` after issue). @default 2592000 (30 days) */
  initialTokenAgeSeconds?: number;
}

/**
 * Starts a Meta simulator: Graph's dialect with the platform's throttling, 4,800 calls a day per
 * account, and each account's access token — long-lived and refreshable with `refreshGrantType`
 * at `GET /refresh_access_token`, or (without it) never expiring, as Page tokens derived
 * from a long-lived user token do.
 */
export async function startMetaSimulator(spec: {
  platform: string;
  throttle: MetaThrottle;
  routes: Sim.Route[];
  /** Each account's id and starting access token. */
  accounts: { id: string; token: string }[];
  /** The `grant_type` that refreshes the long-lived tokens; Page tokens (without it) never expire. */
  refreshGrantType?: string;
  options: PlatformSimulatorOptions & LongLivedTokenOptions;
}): Promise<Sim.Handle & { ctx: Sim.Context }> {
  const { options } = spec;
  const longLived = spec.refreshGrantType
    ? {
        grantType: spec.refreshGrantType,
        ttlSeconds: options.tokenTtlSeconds ?? 5_184_000,
        initialAgeSeconds: options.initialTokenAgeSeconds ?? 30 * 86_400,
      }
    : undefined;
  const clock = options.clock ?? (() => new Date());
  let ctxRef: Sim.Context | undefined;
  const tokens = longLived
    ? new LongLivedTokens(() => ctxRef as Sim.Context, longLived.ttlSeconds)
    : undefined;
  const refreshRoutes: Sim.Route[] =
    tokens && longLived
      ? [
          {
            method: 'GET',
            path: '/refresh_access_token',
            handle: (req) => tokens.refresh(req, longLived.grantType),
          },
        ]
      : [];
  const sim = await startSimulator(
    {
      platform: spec.platform,
      dialect: metaDialect(spec.throttle, () => spec.accounts[0]?.id ?? '0', clock),
      routes: [...refreshRoutes, ...spec.routes],
      rateLimit: { limit: 4800, windowSeconds: 86_400 },
      clock,
    },
    options,
  );
  ctxRef = sim.ctx;
  for (const account of spec.accounts) {
    if (tokens && longLived) tokens.issue(account.id, account.token, longLived.initialAgeSeconds);
    else sim.ctx.tokens.issue(account.id, { value: account.token });
  }
  return sim;
}
