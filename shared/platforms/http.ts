import type * as z from 'zod';
import type { Channel } from '../domain/index.ts';
import { PlatformError, type PlatformErrorKind, type PublishedRef } from './port.ts';

/**
 * What every platform adapter factory takes, so the registry, local mode and tests can build any
 * adapter the same way: `createXAdapter(options)`, `createLinkedInAdapter(options)`, …
 */
export interface AdapterOptions {
  /** The HTTP client (tests and local mode may pass their own); the global `fetch` by default. */
  fetch?: typeof fetch;
  /** The clock; adapters read it for token expiry, timestamps and retry times. */
  now?: () => Date;
  /** How long one request may take before its outcome counts as unknown. @default 10000 */
  timeoutMs?: number;
  /** How adapters wait between polls (media processing); tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string | URL;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: URLSearchParams;
  /** Sent as is (bytes, FormData); set the content type in `headers` where it matters. */
  body?: RequestInit['body'];
  /** Credential values that must never appear in an error message. */
  secrets?: readonly string[];
  /** Caller's cancellation; a cancelled request counts as ambiguous (it may have been sent). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  headers: Headers;
  /** Parsed JSON when the platform sent JSON, else the text; undefined for an empty body. */
  body: unknown;
}

/** What the platform's rate-limit headers say, when they say it (for the per-channel ledger). */
export interface RateLimitState {
  remaining: number;
  resetAt: string;
}

/**
 * The small HTTP layer every adapter shares. It knows nothing about any platform's payloads; it
 * turns transport failures and error statuses into PlatformError kinds by what they tell us about
 * the post:
 * - refused before anything was sent (connection refused, DNS, TLS) → `unavailable`;
 * - timeout, reset or 5xx after the request left → `ambiguous` (the platform may have acted);
 * - 429 → `rate-limited`, with the wait read from Retry-After or the platform's reset header;
 * - 401 → `auth`; any other 4xx → `rejected`.
 * Messages never carry credentials: every text that leaves here goes through `redact`.
 */
export class PlatformHttp {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(
    /** The platform's name as a marketer reads it, for messages ("X", "Bluesky", …). */
    readonly platformName: string,
    options: AdapterOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? (() => new Date());
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Sends one request and returns any HTTP answer; throws PlatformError only when there is none. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: RequestInit['body'] = req.body;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = req.form.toString();
    }
    try {
      const response = await this.fetchImpl(req.url, { method: req.method, headers, body, signal });
      const text = await response.text();
      return { status: response.status, ok: response.ok, headers: response.headers, body: parseBody(text) };
    } catch (error) {
      throw this.transportError(
        error,
        { timedOut: timeout.aborted, cancelled: req.signal?.aborted ?? false, timeoutMs },
        req,
      );
    }
  }

  /**
   * A plain GET that reads the body as bytes (media files). Transport failures come back as plain
   * Errors: the caller decides what they mean, since nothing here was sent to the platform.
   */
  async getBytes(url: string): Promise<HttpResponse & { body: Uint8Array }> {
    // Media files are larger than API answers: allow them longer.
    const timeoutMs = this.timeoutMs * 3;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.fetchImpl(url, { method: 'GET', signal: timeout });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, ok: response.ok, headers: response.headers, body: bytes };
    } catch (error) {
      if (timeout.aborted) throw new Error(`no answer within ${timeoutMs / 1000}s`);
      throw new Error(errorCode(error) ?? errorMessage(error));
    }
  }

  /** The post a publish answer created, with the rate-limit budget its headers report. */
  published(response: HttpResponse, platformPostId: string, platformUrl: string): PublishedRef {
    const rateLimit = rateLimitStateFrom(response.headers, this.now());
    return { platformPostId, platformUrl, ...(rateLimit ? { rateLimit } : {}) };
  }

  /** `request`, then throws the classified PlatformError for anything but a 2xx. */
  async requestOk(req: HttpRequest, classify?: ErrorClassifier): Promise<HttpResponse> {
    const response = await this.request(req);
    if (!response.ok) throw this.responseError(response, req, classify);
    return response;
  }

  /** The PlatformError a non-2xx answer stands for. */
  responseError(
    response: HttpResponse,
    req: Pick<HttpRequest, 'secrets'> = {},
    classify?: ErrorClassifier,
  ): PlatformError {
    const status = response.status;
    const detail = describeBody(response.body);
    const platformCode = platformCodeOf(response.body);
    const override = classify?.(response);
    const kind: PlatformErrorKind =
      override ??
      (status === 429
        ? 'rate-limited'
        : status === 401
          ? 'auth'
          : status >= 500
            ? 'ambiguous'
            : status >= 400
              ? 'rejected'
              : 'ambiguous');
    const retryAfterSeconds =
      kind === 'rate-limited' ? retryAfterSecondsFrom(response.headers, this.now()) : undefined;
    const message = redact(
      `${this.platformName} answered ${status}${detail ? `: ${detail}` : ''}${explain(kind, retryAfterSeconds)}`,
      req.secrets,
    );
    return new PlatformError(kind, message, {
      status,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(platformCode ? { platformCode: redact(platformCode, req.secrets) } : {}),
    });
  }

  private transportError(
    error: unknown,
    how: { timedOut: boolean; cancelled: boolean; timeoutMs: number },
    req: HttpRequest,
  ): PlatformError {
    const code = errorCode(error);
    // A sanitised cause: the transport's own error objects can quote the request.
    const cause = new Error(redact(code ? `${code}` : errorMessage(error), req.secrets));
    if (how.timedOut) {
      return new PlatformError(
        'ambiguous',
        `${this.platformName} did not answer within ${Math.round(how.timeoutMs / 100) / 10}s; the request may have been accepted`,
        { platformCode: 'timeout' },
        { cause },
      );
    }
    if (how.cancelled) {
      return new PlatformError(
        'ambiguous',
        `the request to ${this.platformName} was cancelled while in flight; it may have been accepted`,
        { platformCode: 'cancelled' },
        { cause },
      );
    }
    if (code && REFUSED_BEFORE_SENDING.has(code)) {
      return new PlatformError(
        'unavailable',
        `${this.platformName} could not be reached (${code}); nothing was sent`,
        { platformCode: code },
        { cause },
      );
    }
    if (code?.startsWith('ERR_TLS') || code?.includes('CERT')) {
      return new PlatformError(
        'unavailable',
        `${this.platformName}'s TLS handshake failed (${code}); nothing was sent`,
        { platformCode: code },
        { cause },
      );
    }
    return new PlatformError(
      'ambiguous',
      `the connection to ${this.platformName} failed after the request was sent (${code ?? 'connection lost'}); it may have been accepted`,
      { platformCode: code ?? 'connection-lost' },
      { cause },
    );
  }
}

/** Lets an adapter read a platform quirk (e.g. Bluesky's 400 ExpiredToken) before the default rules. */
export type ErrorClassifier = (response: HttpResponse) => PlatformErrorKind | undefined;

/** Failures that happen before a single byte of the request reaches the platform. */
const REFUSED_BEFORE_SENDING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  // undici wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }),
  // sometimes one level deeper (AggregateError for happy-eyeballs attempts).
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (typeof current === 'object' && current !== null) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      const errors = (current as { errors?: unknown }).errors;
      if (Array.isArray(errors) && errors.length > 0) {
        const inner = errorCode(errors[0]);
        if (inner) return inner;
      }
      current = (current as { cause?: unknown }).cause;
    } else {
      break;
    }
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function explain(kind: PlatformErrorKind, retryAfterSeconds: number | undefined): string {
  switch (kind) {
    case 'rate-limited':
      return retryAfterSeconds !== undefined
        ? ` (rate limited; retry in ${retryAfterSeconds}s)`
        : ' (rate limited)';
    case 'auth':
      return ' (the credentials were refused; reconnect the channel)';
    case 'ambiguous':
      return ' (the request may have been accepted)';
    default:
      return '';
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A short, human-readable summary of an error body in any of the platforms' shapes. */
export function describeBody(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string')
    return truncate(
      body
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    );
  if (typeof body !== 'object') return truncate(String(body));
  const record = body as Record<string, unknown>;
  const parts: string[] = [];
  const pick = (key: string) => {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '' && !parts.includes(value)) parts.push(value);
  };
  // X problem details, OAuth errors, Bluesky XRPC errors, Mastodon errors, Meta's error object.
  pick('title');
  pick('detail');
  pick('error');
  pick('error_description');
  pick('message');
  if (Array.isArray(record.errors)) {
    for (const entry of record.errors.slice(0, 2)) {
      if (entry && typeof entry === 'object') {
        const e = entry as Record<string, unknown>;
        const text = [e.message, e.detail].find((v) => typeof v === 'string');
        if (typeof text === 'string' && !parts.includes(text)) parts.push(text);
      }
    }
  }
  if (record.error && typeof record.error === 'object') {
    const nested = (record.error as Record<string, unknown>).message;
    if (typeof nested === 'string') parts.push(nested);
  }
  return truncate(parts.join(' — '));
}

/** The platform's own machine-readable error code, when its body has one. */
function platformCodeOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.error === 'string' && /^[A-Za-z_]+$/.test(record.error)) return record.error;
  if (typeof record.type === 'string' && record.type !== 'about:blank') return record.type;
  if (Array.isArray(record.errors) && record.errors[0] && typeof record.errors[0] === 'object') {
    const code = (record.errors[0] as Record<string, unknown>).code;
    if (typeof code === 'number' || typeof code === 'string') return String(code);
  }
  return undefined;
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Seconds to wait before the next request, from the answer's headers: `Retry-After` (seconds or
 * a date), X's `x-user-limit-24hour-reset` when the daily cap is spent, then the reset header of
 * X (`x-rate-limit-reset`, epoch seconds), Bluesky (`ratelimit-reset`, epoch seconds) or
 * Mastodon (`x-ratelimit-reset`, an ISO date). At least 1.
 */
export function retryAfterSecondsFrom(headers: Headers, now: Date): number | undefined {
  const candidates: (string | null)[] = [headers.get('retry-after')];
  if (headers.get('x-user-limit-24hour-remaining') === '0')
    candidates.push(headers.get('x-user-limit-24hour-reset'));
  candidates.push(
    headers.get('x-rate-limit-reset'),
    headers.get('ratelimit-reset'),
    headers.get('x-ratelimit-reset'),
  );
  for (const value of candidates) {
    const at = resetInstant(value, now);
    if (at !== undefined) return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
  }
  return undefined;
}

/** The remaining budget and its reset time, from whichever family of rate-limit headers is present. */
export function rateLimitStateFrom(headers: Headers, now: Date): RateLimitState | undefined {
  const families: [string, string][] = [
    ['x-rate-limit-remaining', 'x-rate-limit-reset'],
    ['ratelimit-remaining', 'ratelimit-reset'],
    ['x-ratelimit-remaining', 'x-ratelimit-reset'],
  ];
  for (const [remainingHeader, resetHeader] of families) {
    const remaining = headers.get(remainingHeader);
    const reset = resetInstant(headers.get(resetHeader), now);
    if (remaining !== null && /^\d+$/.test(remaining.trim()) && reset !== undefined) {
      return { remaining: Number(remaining), resetAt: new Date(reset).toISOString() };
    }
  }
  return undefined;
}

/**
 * A reset header as an instant (epoch ms). Numbers are read by size — epoch milliseconds, epoch
 * seconds, or (below 10^9, the IETF draft's form) seconds from now; anything else as a date.
 */
function resetInstant(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n >= 1e12) return n;
    if (n >= 1e9) return n * 1000;
    return now.getTime() + n * 1000;
  }
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) ? undefined : parsed;
}

const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [REDACTED]'],
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[REDACTED]'],
  [
    /\b(access_token|refresh_token|client_secret|password|app_password|token|code_verifier)=([^&\s"']+)/gi,
    '$1=[REDACTED]',
  ],
  [
    /"(accessJwt|refreshJwt|access_token|refresh_token|accessToken|refreshToken|clientSecret|client_secret|password|appPassword)"\s*:\s*"[^"]*"/g,
    '"$1":"[REDACTED]"',
  ],
];

/** Removes every known secret value, and anything shaped like a credential, from a text. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; credentials are never that short.
    if (secret && secret.length >= 6) out = out.split(secret).join('[REDACTED]');
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** The API root a channel points at: its `apiBaseUrl` (a Mastodon server, a simulator) or the platform's. */
export function apiBase(channel: Pick<Channel, 'apiBaseUrl'>, fallback: string): string {
  return (channel.apiBaseUrl ?? fallback).replace(/\/+$/, '');
}

/**
 * Reads a successful answer with a schema. A 2xx the adapter cannot read after a write means the
 * platform acted but we cannot tell on what: the caller passes `ambiguous` there, `rejected` or
 * `unavailable` for reads.
 */
export function readAnswer<T>(
  platformName: string,
  schema: z.ZodType<T>,
  body: unknown,
  what: string,
  kind: PlatformErrorKind,
): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new PlatformError(
    kind,
    `${platformName}'s answer to ${what} was not in the documented shape (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unreadable'})`,
    { platformCode: 'unexpected-answer' },
  );
}
