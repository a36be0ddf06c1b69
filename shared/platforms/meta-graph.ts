import { z } from 'zod';
import type { Channel, NormalisedMetrics, Post } from '../domain/index.ts';
import { type HttpResponse, type PlatformHttp, redact, secretValues } from './http.ts';
import { type CredentialStore, type Credentials, PlatformError, type PlatformErrorKind } from './port.ts';

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
// Credentials

/**
 * Reads and checks a channel's secret. A secret that lacks a field is the channel's problem, not
 * the post's: it is an `auth` failure (Channel Needs Attention). Messages name fields, never values.
 */
export async function readCredentials<T extends z.ZodType<Record<string, string | undefined>>>(
  store: CredentialStore,
  channel: Pick<Channel, 'secretRef' | 'id'>,
  schema: T,
  platformName: string,
): Promise<{ credentials: z.infer<T>; secrets: string[] }> {
  const raw = await store.get(channel.secretRef);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(secret)'))];
    throw new PlatformError(
      'auth',
      `the ${platformName} credentials of channel '${channel.id}' (secret '${channel.secretRef}') are incomplete or malformed: check ${fields.join(', ')}`,
      { platformCode: 'credentials' },
    );
  }
  return { credentials: parsed.data, secrets: credentialSecrets(raw) };
}

/**
 * The values of a secret that are secret (tokens, client secrets), for redaction. Identifiers (a
 * Page id, an organisation URN) are left out so that error messages can still name the object.
 */
export function credentialSecrets(credentials: Record<string, string | undefined>): string[] {
  return secretValues(
    Object.fromEntries(Object.entries(credentials).filter(([key]) => /token|secret|password/i.test(key))),
  );
}

/** A credentials object as stored: string fields only, the unset ones left out. */
export function toCredentials(values: Record<string, string | undefined>): Credentials {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** How a channel's credentials stand, checked ahead of time so a human can act before posts fail. */
export interface CredentialHealth {
  /** `unknown`: the platform could not be asked just now (try again later). */
  status: 'ok' | 'refreshed' | 'expiring' | 'expired' | 'invalid' | 'unknown';
  /** When the access token expires, if known. */
  expiresAt?: string;
  /** For a person: what is wrong and what to do. Never contains a credential. */
  message: string;
}

/**
 * One refresh per secret at a time: a batch publishes a channel's posts concurrently, and two
 * refreshes racing would each store a token (the second possibly rotating the first away).
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  run(key: string, step: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running) return running;
    const started = step().finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }
}

/** How long before expiry a refreshable token is refreshed, and a non-refreshable one reported. */
export const REFRESH_WINDOW_MS = 7 * 24 * 3_600_000;

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

/**
 * Keeps a Meta long-lived token fresh: refreshes it inside the window before expiry and stores
 * the new one; an expired token cannot be refreshed, so it is an `auth` failure.
 */
export async function ensureFreshMetaToken(args: {
  http: PlatformHttp;
  store: CredentialStore;
  channel: Pick<Channel, 'secretRef' | 'id'>;
  credentials: Record<string, string | undefined> & { accessToken: string; expiresAt?: string | undefined };
  origin: string;
  grantType: 'ig_refresh_token' | 'th_refresh_token';
  /** Shares a refresh between concurrent calls for the same secret. */
  flight?: SingleFlight<{ accessToken: string; expiresAt: string }>;
  /** False where this grant does not exist (Facebook Login tokens on graph.facebook.com). */
  refreshable?: boolean;
}): Promise<{ accessToken: string; refreshed: boolean; expiresAt?: string }> {
  const { http, credentials } = args;
  const now = http.now().getTime();
  const expiresAt = credentials.expiresAt ? Date.parse(credentials.expiresAt) : Number.NaN;
  if (Number.isNaN(expiresAt)) return { accessToken: credentials.accessToken, refreshed: false };
  if (expiresAt <= now) {
    throw new PlatformError(
      'auth',
      `the ${http.platformName} token of channel '${args.channel.id}' expired at ${new Date(expiresAt).toISOString()}; an expired long-lived token cannot be refreshed, reconnect the channel`,
      { platformCode: 'token-expired' },
    );
  }
  if (expiresAt - now > REFRESH_WINDOW_MS || args.refreshable === false) {
    return {
      accessToken: credentials.accessToken,
      refreshed: false,
      expiresAt: credentials.expiresAt as string,
    };
  }
  const refresh = async () => {
    const fresh = await refreshLongLivedToken(http, args.origin, args.grantType, credentials.accessToken);
    await args.store.put(
      args.channel.secretRef,
      toCredentials({ ...credentials, accessToken: fresh.accessToken, expiresAt: fresh.expiresAt }),
    );
    return fresh;
  };
  const fresh = args.flight ? await args.flight.run(args.channel.secretRef, refresh) : await refresh();
  return { accessToken: fresh.accessToken, refreshed: true, expiresAt: fresh.expiresAt };
}

// ---------------------------------------------------------------------------------------------
// Insights and metrics

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

/** Drops undefined entries so absent metrics stay absent. */
export function definedMetrics(metrics: Record<string, number | undefined>): NormalisedMetrics {
  return Object.fromEntries(
    Object.entries(metrics).filter(
      ([, value]) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
    ),
  ) as NormalisedMetrics;
}

/** Sum of the values that exist; undefined when none does. */
export function sumDefined(...values: (number | undefined)[]): number | undefined {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------------------------------------
// Lookup (reconciling an UNKNOWN outcome)

/** How far before the scheduled (or claimed) time a found post may have been created. */
const LOOKUP_SLACK_MS = 5 * 60_000;

/** The earliest instant a post we may have published can carry on the platform. */
export function earliestPublishInstant(post: Pick<Post, 'scheduledAt' | 'claimedAt'>): number {
  const candidates = [Date.parse(post.scheduledAt)];
  if (post.claimedAt) candidates.push(Date.parse(post.claimedAt));
  return Math.min(...candidates.filter((t) => !Number.isNaN(t))) - LOOKUP_SLACK_MS;
}

/** Meta timestamps look like `2026-12-10T09:00:02+0000`; Date.parse wants `+00:00`. */
export function parseMetaTime(value: string | undefined): number {
  if (!value) return Number.NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/** Texts compared the way platforms store them: line endings and surrounding space normalised. */
export function sameText(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim().normalize('NFC');
  return norm(a) === norm(b);
}

/** A message safe to show: the channel's secrets and anything token-shaped removed. */
export function safeMessage(text: string, secrets: readonly string[]): string {
  return redact(text, secrets);
}

// ---------------------------------------------------------------------------------------------
// Container publishing (Instagram and Threads)

/** What differs between Instagram's and Threads' two-step publishing. */
export interface ContainerDialect {
  platformName: string;
  /** `media` (Instagram) or `threads`. */
  createEdge: string;
  /** `media_publish` or `threads_publish`. */
  publishEdge: string;
  /** `content_publishing_limit` or `threads_publishing_limit`. */
  limitEdge: string;
  /** The container's status field: `status_code` (Instagram) or `status` (Threads). */
  statusField: 'status_code' | 'status';
  /** Fields to read alongside the status, for the reason of an ERROR. */
  statusDetailFields: string[];
  /** How long to wait between status polls. */
  pollMs: number;
}

/**
 * How long one publish may wait for media processing. The publish step runs in a Lambda function
 * with a 30-second timeout, so the default leaves room for the calls around the wait; a video
 * that takes longer is `unavailable` this time and its container is picked up again next time
 * (see ContainerCache).
 */
export const DEFAULT_PROCESSING_BUDGET_MS = 18_000;

const ContainerCreated = z.object({ id: z.string().min(1) });
const PublishingLimit = z.object({
  data: z.array(
    z.object({
      quota_usage: z.number(),
      config: z.object({ quota_total: z.number(), quota_duration: z.number() }).optional(),
    }),
  ),
});

export interface QuotaState {
  usage: number;
  total: number;
  durationSeconds: number;
}

/** `GET /{user}/…_publishing_limit?fields=quota_usage,config`: how much of the 24-hour quota is used. */
export async function readPublishingQuota(
  graph: GraphClient,
  userId: string,
  dialect: ContainerDialect,
): Promise<QuotaState | undefined> {
  const body = await graph.get(`/${userId}/${dialect.limitEdge}`, { fields: 'quota_usage,config' });
  const parsed = PublishingLimit.safeParse(body);
  const entry = parsed.success ? parsed.data.data[0] : undefined;
  if (!entry?.config) return undefined;
  return {
    usage: entry.quota_usage,
    total: entry.config.quota_total,
    durationSeconds: entry.config.quota_duration,
  };
}

/** Creates a container; containers publish nothing, so creating one is safe to repeat. */
export async function createContainer(
  graph: GraphClient,
  userId: string,
  dialect: ContainerDialect,
  params: GraphParams,
): Promise<string> {
  const body = await graph.post(`/${userId}/${dialect.createEdge}`, params, { retrySafe: true });
  const parsed = ContainerCreated.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError(
      'unavailable',
      `${dialect.platformName} created a container but did not say its id`,
      {
        platformCode: 'shape',
      },
    );
  }
  return parsed.data.id;
}

/** Waiting time left for one publish, shared by every container it waits for. */
export interface ProcessingBudget {
  remainingMs: number;
}

/**
 * Polls a container until it is FINISHED, while the budget lasts. ERROR means the media was
 * refused (`rejected`); EXPIRED (unpublished for 24 h) and a container still processing when the
 * budget runs out can be tried again (`unavailable`). A container already PUBLISHED means an
 * earlier attempt's publish went through: that is `ambiguous`, never a reason to publish again.
 */
export async function waitForContainer(
  http: PlatformHttp,
  graph: GraphClient,
  containerId: string,
  dialect: ContainerDialect,
  budget: ProcessingBudget,
): Promise<void> {
  const fields = [dialect.statusField, ...dialect.statusDetailFields].join(',');
  for (;;) {
    const body = (await graph.get(`/${containerId}`, { fields })) as Record<string, unknown> | undefined;
    const status =
      typeof body?.[dialect.statusField] === 'string' ? (body[dialect.statusField] as string) : undefined;
    if (status === 'FINISHED') return;
    if (status === 'PUBLISHED') {
      throw new PlatformError(
        'ambiguous',
        `the ${dialect.platformName} container was already published by an earlier attempt`,
        { platformCode: 'container-published' },
      );
    }
    if (status === 'ERROR') {
      const detail = dialect.statusDetailFields
        .map((field) => body?.[field])
        .find((value): value is string => typeof value === 'string' && value !== 'ERROR');
      throw new PlatformError(
        'rejected',
        `${dialect.platformName} could not process the media${detail ? `: ${detail}` : ''}`,
        { platformCode: 'container-error' },
      );
    }
    if (status === 'EXPIRED') {
      throw new PlatformError(
        'unavailable',
        `the ${dialect.platformName} container expired before it was published`,
        {
          platformCode: 'container-expired',
        },
      );
    }
    // Counted down by the poll interval, not read from the clock (which is injectable).
    if (budget.remainingMs < dialect.pollMs) break;
    budget.remainingMs -= dialect.pollMs;
    await http.sleep(dialect.pollMs);
  }
  throw new PlatformError(
    'unavailable',
    `${dialect.platformName} was still processing the media; nothing was published, and the next attempt continues with the same container`,
    { platformCode: 'container-processing' },
  );
}

/**
 * A container for `key` that is ready to publish: the one an earlier attempt created if this
 * process still knows it, else a new one. It stays remembered unless it can never be published
 * (refused, expired, or already published).
 */
export async function readyContainer(args: {
  http: PlatformHttp;
  graph: GraphClient;
  dialect: ContainerDialect;
  cache: ContainerCache;
  key: string;
  budget: ProcessingBudget;
  create: () => Promise<string>;
}): Promise<string> {
  let id = args.cache.get(args.key);
  if (id === undefined) {
    id = await args.create();
    args.cache.set(args.key, id);
  }
  try {
    await waitForContainer(args.http, args.graph, id, args.dialect, args.budget);
    return id;
  } catch (error) {
    if (
      !(error instanceof PlatformError) ||
      error.kind === 'rejected' ||
      FINAL_CONTAINER_CODES.has(error.details.platformCode ?? '')
    ) {
      args.cache.delete(args.key);
    }
    throw error;
  }
}

const FINAL_CONTAINER_CODES = new Set(['container-expired', 'container-published']);

/**
 * Containers created for a post, kept between attempts in this process, so that a video still
 * processing when one attempt gives up is picked up by the next instead of being uploaded again
 * (and never catching up). Keyed by the post's stable idempotency key and its content.
 * Containers expire after 24 hours on Meta's side; entries are dropped well before that.
 */
export class ContainerCache {
  private readonly entries = new Map<string, { id: string; at: number }>();
  private static readonly MAX_AGE_MS = 20 * 3_600_000;

  constructor(private readonly now: () => Date) {}

  static key(channelId: string, idempotencyKey: string, content: unknown): string {
    return `${channelId}\u0000${idempotencyKey}\u0000${JSON.stringify(content)}`;
  }

  get(key: string): string | undefined {
    const now = this.now().getTime();
    for (const [k, entry] of this.entries)
      if (now - entry.at > ContainerCache.MAX_AGE_MS) this.entries.delete(k);
    return this.entries.get(key)?.id;
  }

  set(key: string, id: string): void {
    this.entries.set(key, { id, at: this.now().getTime() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Publishes a finished container: the one call that can make a post public. No idempotency key
 * exists, so a lost answer is `ambiguous` (lookup reconciles it). "Media not ready" is not.
 */
export async function publishContainer(
  graph: GraphClient,
  userId: string,
  containerId: string,
  dialect: ContainerDialect,
  signal?: AbortSignal,
): Promise<string> {
  const body = await graph.post(
    `/${userId}/${dialect.publishEdge}`,
    { creation_id: containerId },
    { retrySafe: false },
    signal,
  );
  const parsed = ContainerCreated.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError('ambiguous', `${dialect.platformName} accepted the post but did not say its id`, {
      platformCode: 'shape',
    });
  }
  return parsed.data.id;
}

/** The published media's permalink; a failure here must not turn a published post into an error. */
export async function permalinkOf(graph: GraphClient, mediaId: string): Promise<string | undefined> {
  try {
    const body = (await graph.get(`/${mediaId}`, { fields: 'permalink' })) as
      | Record<string, unknown>
      | undefined;
    return typeof body?.permalink === 'string' ? body.permalink : undefined;
  } catch {
    return undefined;
  }
}

/** What a successful publish tells the channel's rate ledger: the quota left in the rolling day. */
export function rateLimitAfterPublish(
  quota: QuotaState | undefined,
  now: Date,
): { rateLimit?: { remaining: number; resetAt: string } } {
  if (!quota) return {};
  // The window is rolling, so "reset" is at the latest one window from now.
  return {
    rateLimit: {
      remaining: Math.max(0, quota.total - quota.usage - 1),
      resetAt: new Date(now.getTime() + quota.durationSeconds * 1000).toISOString(),
    },
  };
}

/** Shared by Instagram and Threads: refresh if due, probe the token, say how it stands. */
export async function checkMetaCredentials(
  platformName: string,
  channel: Pick<Channel, 'id'>,
  probe: () => Promise<{ refreshed: boolean; expiresAt?: string }>,
): Promise<CredentialHealth> {
  try {
    const fresh = await probe();
    const at = fresh.expiresAt ? { expiresAt: fresh.expiresAt } : {};
    if (fresh.refreshed) {
      return {
        status: 'refreshed',
        ...at,
        message: `the ${platformName} token of channel '${channel.id}' was refreshed`,
      };
    }
    return { status: 'ok', ...at, message: `the ${platformName} token of channel '${channel.id}' works` };
  } catch (error) {
    if (error instanceof PlatformError && error.kind === 'auth') {
      return {
        status: error.details.platformCode === 'token-expired' ? 'expired' : 'invalid',
        message: error.message,
      };
    }
    if (error instanceof PlatformError) {
      return {
        status: 'unknown',
        message: `could not check the ${platformName} token now: ${error.message}`,
      };
    }
    throw error;
  }
}
