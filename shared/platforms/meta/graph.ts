import * as z from 'zod';
import type { Channel } from '../../domain/index.ts';
import { type HttpResponse, type PlatformHttp, redact } from '../http.ts';
import { PlatformError, type PlatformErrorKind } from '../port.ts';
import { CredentialSessions, LONG_LIVED_REFRESH_AHEAD_MS } from '../session.ts';

/**
 * What Facebook Pages, Instagram and Threads share: Meta's Graph API conventions (versioned
 * paths, `access_token` parameter, the `{error: {message, type, code, error_subcode, fbtrace_id}}`
 * error object, Business-Use-Case rate-limit headers, `/insights` payloads, long-lived tokens).
 */

/**
 * The Graph API version the Facebook and Instagram adapters call. v27.0 was released on
 * November 4, 2026 (Graph API changelog); versions stay available about two years.
 */
export const GRAPH_API_VERSION = 'v27.0';
/** Threads has its own versioning; v1.0 is the only one. */
export const THREADS_API_VERSION = 'v1.0';

export interface GraphEndpoint {
  /** Where versioned calls go, e.g. `https://graph.facebook.com/v27.0`. */
  root: string;
  /** The host without the version, for unversioned calls (`/refresh_access_token`). */
  origin: string;
}

/**
 * Resolves a channel's `apiBaseUrl` (or the platform's default host) to the versioned root.
 * A base that already ends in a version (`…/v26.0`) pins that version; otherwise ours is added.
 */
export function graphEndpoint(
  apiBaseUrl: string | undefined,
  defaultOrigin: string,
  version: string,
): GraphEndpoint {
  const base = (apiBaseUrl ?? defaultOrigin).replace(/\/+$/, '');
  const pinned = /^(.*)\/(v\d+\.\d+)$/.exec(base);
  if (pinned) return { root: base, origin: pinned[1] as string };
  return { root: `${base}/${version}`, origin: base };
}

// ---------------------------------------------------------------------------------------------
// Errors

export const GraphErrorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    is_transient: z.boolean().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type GraphErrorObject = z.infer<typeof GraphErrorBody>['error'];

export function graphErrorOf(body: unknown): GraphErrorObject | undefined {
  const parsed = GraphErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

/** Throttling codes: app (4), user (17), Page (32), custom (613), Pages/Instagram BUC (80001/80002). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008, 80009, 80014]);
/** Instagram's 24-hour publishing limit (code 9, subcode 2207042). */
const PUBLISHING_LIMIT_SUBCODE = 2207042;
/** Instagram: "The media is not ready for publishing, please wait for a moment". */
const MEDIA_NOT_READY_SUBCODE = 2207027;
/** Instagram subcodes that say "try again": fetch timeouts, transient server failures. */
const IG_RETRYABLE_SUBCODES = new Set([2207001, 2207003, 2207020, 2207032, 2207052, 2207053]);

export interface GraphCallKind {
  /**
   * Repeating this call cannot publish anything twice (reads, unpublished containers and
   * photos). Failures after sending are then `unavailable`, not `ambiguous`.
   */
  retrySafe: boolean;
}

export interface GraphFailure {
  kind: PlatformErrorKind;
  retryAfterSeconds?: number;
  /** `code` or `code/subcode`, for the error details. */
  platformCode?: string;
}

/**
 * What a non-2xx Graph answer means for the post. Meta answers most errors with HTTP 400 and a
 * code, so the HTTP status alone says little: throttling arrives as 400/403 with code 4, 17, 32,
 * 613 or 8000x; an expired token as 400 with code 190.
 */
export function classifyGraphFailure(response: HttpResponse, call: GraphCallKind, now: Date): GraphFailure {
  const error = graphErrorOf(response.body);
  const code = error?.code;
  const subcode = error?.error_subcode;
  const platformCode =
    code === undefined ? undefined : subcode === undefined ? `${code}` : `${code}/${subcode}`;
  const afterSending: PlatformErrorKind = call.retrySafe ? 'unavailable' : 'ambiguous';
  const withCode = (failure: GraphFailure): GraphFailure =>
    platformCode === undefined ? failure : { ...failure, platformCode };

  if (response.status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
    return withCode({
      kind: 'rate-limited',
      retryAfterSeconds: graphRetryAfterSeconds(response.headers, now),
    });
  }
  // Code 9 is Meta's "limit reached" (Instagram's 24-hour publishing limit carries subcode 2207042).
  if (code === 9 || subcode === PUBLISHING_LIMIT_SUBCODE) {
    // A rolling 24-hour window: the oldest of the last posts leaves it within the hour, at worst a day.
    return withCode({ kind: 'rate-limited', retryAfterSeconds: 3600 });
  }
  if (subcode === MEDIA_NOT_READY_SUBCODE) return withCode({ kind: 'unavailable' });
  if (subcode !== undefined && IG_RETRYABLE_SUBCODES.has(subcode)) return withCode({ kind: afterSending });
  // 190 invalid/expired token, 102 session, 10 and 200–299 missing permissions: a person has to
  // reconnect the channel, so these become "Channel Needs Attention".
  if (
    response.status === 401 ||
    code === 190 ||
    code === 102 ||
    code === 10 ||
    (code !== undefined && code >= 200 && code < 300)
  ) {
    return withCode({ kind: 'auth' });
  }
  // 1 unknown, 2 service unavailable: Meta says retry; whether a write happened is unknown.
  if (response.status >= 500 || code === 1 || code === 2 || error?.is_transient === true) {
    return withCode({ kind: afterSending });
  }
  return withCode({ kind: 'rejected' });
}

/**
 * Seconds until a throttled app may call again: `Retry-After` when present, else the largest
 * `estimated_time_to_regain_access` (minutes) of the Business-Use-Case header, else 15 minutes
 * (platform limits are counted over a rolling hour and their headers give only percentages).
 */
export function graphRetryAfterSeconds(headers: Headers, now: Date): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds > 0) return Math.ceil(seconds);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
  }
  const minutes = businessUseCaseRegainMinutes(headers);
  if (minutes !== undefined && minutes > 0) return minutes * 60;
  return 900;
}

/** The largest `estimated_time_to_regain_access` in `X-Business-Use-Case-Usage`, in minutes. */
export function businessUseCaseRegainMinutes(headers: Headers): number | undefined {
  const header = headers.get('x-business-use-case-usage');
  if (!header) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return undefined;
  }
  const usage = z.record(
    z.string(),
    z.array(z.object({ estimated_time_to_regain_access: z.number().optional() })),
  );
  const result = usage.safeParse(parsed);
  if (!result.success) return undefined;
  let max: number | undefined;
  for (const entries of Object.values(result.data)) {
    for (const entry of entries) {
      const minutes = entry.estimated_time_to_regain_access;
      if (minutes !== undefined && (max === undefined || minutes > max)) max = minutes;
    }
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// Client

export type GraphParams = Record<string, string | number | boolean | undefined>;

/**
 * One channel's Graph calls: the token rides in the `access_token` parameter (query for reads,
 * form body for writes, as Meta's examples do), and every failure is a PlatformError whose
 * message went through `redact` with the channel's secrets.
 */
export class GraphClient {
  constructor(
    private readonly http: PlatformHttp,
    readonly endpoint: GraphEndpoint,
    private readonly accessToken: string,
    private readonly secrets: readonly string[],
  ) {}

  async get(
    path: string,
    params: GraphParams = {},
    call: GraphCallKind = { retrySafe: true },
  ): Promise<unknown> {
    const url = new URL(`${this.endpoint.root}${path}`);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    url.searchParams.set('access_token', this.accessToken);
    return this.send({ method: 'GET', url }, call);
  }

  async post(path: string, params: GraphParams, call: GraphCallKind, signal?: AbortSignal): Promise<unknown> {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) form.set(key, String(value));
    }
    form.set('access_token', this.accessToken);
    return this.send(
      { method: 'POST', url: `${this.endpoint.root}${path}`, form, ...(signal ? { signal } : {}) },
      call,
    );
  }

  private async send(
    req: { method: 'GET' | 'POST'; url: string | URL; form?: URLSearchParams; signal?: AbortSignal },
    call: GraphCallKind,
  ): Promise<unknown> {
    let response: HttpResponse;
    try {
      response = await this.http.request({ ...req, secrets: this.secrets });
    } catch (error) {
      throw call.retrySafe ? asUnavailable(error) : error;
    }
    if (response.ok) {
      // A 200 can still carry an error object (batch-style answers); treat it as the error.
      if (graphErrorOf(response.body)) throw this.failure({ ...response, status: 500, ok: false }, call);
      return response.body;
    }
    throw this.failure(response, call);
  }

  failure(response: HttpResponse, call: GraphCallKind): PlatformError {
    const failure = classifyGraphFailure(response, call, this.http.now());
    const base = this.http.responseError(response, { secrets: this.secrets }, () => failure.kind);
    const message =
      failure.kind === 'rate-limited' &&
      failure.retryAfterSeconds !== undefined &&
      !/retry in/.test(base.message)
        ? base.message.replace(/ \(rate limited\)$/, '') +
          ` (rate limited; retry in ${failure.retryAfterSeconds}s)`
        : base.message;
    const graph = graphErrorOf(response.body);
    return new GraphPlatformError(
      failure.kind,
      message,
      {
        ...base.details,
        ...(failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
        ...(failure.platformCode !== undefined ? { platformCode: failure.platformCode } : {}),
      },
      graph
        ? { ...graph, ...(graph.message ? { message: redact(graph.message, [this.accessToken]) } : {}) }
        : undefined,
      { cause: base },
    );
  }
}

/** A Graph failure that keeps Meta's error object (code, subcode, message) for the adapter to read. */
export class GraphPlatformError extends PlatformError {
  constructor(
    kind: PlatformErrorKind,
    message: string,
    details: PlatformError['details'],
    readonly graph: GraphErrorObject | undefined,
    options?: ErrorOptions,
  ) {
    super(kind, message, details, options);
  }
}

/** A failure of a call that cannot have published anything is never ambiguous. */
export function asUnavailable(error: unknown): unknown {
  if (error instanceof PlatformError && error.kind === 'ambiguous') {
    return new PlatformError(
      'unavailable',
      error.message.replace(
        /; (the request|it) may have been accepted/,
        '; nothing was published by this call',
      ),
      error.details,
      { cause: error },
    );
  }
  return error;
}

// ---------------------------------------------------------------------------------------------
// Long-lived tokens

/**
 * Meta's long-lived user tokens (Instagram, Threads) last 60 days and can be refreshed once they
 * are at least 24 hours old and not yet expired: `GET {origin}/refresh_access_token`.
 */
export async function refreshLongLivedToken(
  http: PlatformHttp,
  origin: string,
  grantType: 'ig_refresh_token' | 'th_refresh_token',
  accessToken: string,
): Promise<{ accessToken: string; expiresAt: string }> {
  const url = new URL(`${origin}/refresh_access_token`);
  url.searchParams.set('grant_type', grantType);
  url.searchParams.set('access_token', accessToken);
  let response: HttpResponse;
  try {
    response = await http.request({ method: 'GET', url, secrets: [accessToken] });
  } catch (error) {
    throw asUnavailable(error);
  }
  if (!response.ok) {
    const client = new GraphClient(http, { root: origin, origin }, accessToken, [accessToken]);
    throw client.failure(response, { retrySafe: true });
  }
  const body = z
    .object({ access_token: z.string().min(1), expires_in: z.number().positive() })
    .safeParse(response.body);
  if (!body.success) {
    throw new PlatformError(
      'unavailable',
      `${http.platformName} answered the token refresh without a token`,
      {
        status: response.status,
        platformCode: 'refresh',
      },
    );
  }
  return {
    accessToken: body.data.access_token,
    expiresAt: new Date(http.now().getTime() + body.data.expires_in * 1000).toISOString(),
  };
}

/** The secret of a channel posting with a Meta long-lived user token (Instagram, Threads). */
export interface LongLivedTokenCredentials {
  accessToken: string;
  /** ISO instant; long-lived tokens last 60 days and are refreshed in their last week. */
  expiresAt?: string | undefined;
}

/**
 * Credential sessions for a long-lived token: refreshed in its last week while it has not run
 * out; an expired one cannot be refreshed, so it is an `auth` failure.
 */
export function longLivedTokenSessions<C extends LongLivedTokenCredentials>(
  http: PlatformHttp,
  args: {
    schema: z.ZodType<C>;
    grantType: 'ig_refresh_token' | 'th_refresh_token';
    /** The Graph origin a channel's refresh goes to. */
    origin(channel: Channel): string;
    /** False where this grant does not exist (Facebook Login tokens on graph.facebook.com). */
    refreshable?(channel: Channel): boolean;
  },
): CredentialSessions<C> {
  const expiresAt = (c: C) => (c.expiresAt ? Date.parse(c.expiresAt) || undefined : undefined);
  return new CredentialSessions<C>(
    {
      platformName: http.platformName,
      schema: args.schema,
      expiresAt,
      refreshAheadMs: LONG_LIVED_REFRESH_AHEAD_MS,
      canRefresh: (c, channel, now) =>
        (args.refreshable?.(channel) ?? true) && (expiresAt(c) ?? 0) > now.getTime(),
      refresh: async (c, channel) => ({
        ...c,
        ...(await refreshLongLivedToken(http, args.origin(channel), args.grantType, c.accessToken)),
      }),
      reconnect: 'an expired long-lived token cannot be refreshed, reconnect the channel',
    },
    http.now,
  );
}

// ---------------------------------------------------------------------------------------------
// Insights

const InsightValue = z.object({ value: z.unknown().optional() });
export const InsightEntry = z.object({
  name: z.string(),
  period: z.string().optional(),
  values: z.array(InsightValue).optional(),
  total_value: z.object({ value: z.unknown() }).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  id: z.string().optional(),
});
export const InsightsResponse = z.object({ data: z.array(InsightEntry) });

/**
 * `{data: [{name, values: [{value}]}]}` → `{name: number}`. Lifetime metrics carry one value;
 * when there are several (a period), the latest counts. Non-numeric values are left out, and so
 * is every metric Meta did not return: absent, never zero.
 */
export function insightNumbers(data: readonly z.infer<typeof InsightEntry>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of data) {
    const value = entry.total_value?.value ?? entry.values?.at(-1)?.value;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[entry.name] = value;
  }
  return out;
}

/** Meta timestamps look like `2026-12-10T09:00:02+0000`; Date.parse wants `+00:00`. */
export function parseMetaTime(value: string | undefined): number {
  if (!value) return Number.NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}
