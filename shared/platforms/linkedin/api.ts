import * as z from 'zod';
import type { Channel } from '../../domain/index.ts';
import type { HttpRequest, HttpResponse, PlatformHttp } from '../http.ts';
import { PlatformError, type PlatformErrorKind } from '../port.ts';
import { type CredentialSession, CredentialSessions, LONG_LIVED_REFRESH_AHEAD_MS } from '../session.ts';

/**
 * LinkedIn's Rest.li API as the adapter uses it: the versioned headers, the channel's OAuth
 * tokens (refreshed through `/oauth/v2/accessToken` where LinkedIn allows it) and its errors.
 */

/**
 * The `LinkedIn-Version` header. Versions are monthly and each is supported for at least a year;
 * 202607 was the latest the versioning page listed when this was written (202505 and older are
 * sunset). A sunset version answers 426.
 */
export const LINKEDIN_VERSION = '202607';
export const LINKEDIN_API_BASE = 'https://api.linkedin.com';
/** The token endpoint lives on www.linkedin.com, not on the API host. */
export const LINKEDIN_OAUTH_BASE = 'https://www.linkedin.com';

/** The channel secret: OAuth tokens of a page admin, and the page they post as. */
export const LinkedInCredentials = z.object({
  accessToken: z.string().min(1),
  /** Only partners approved for programmatic refresh get one (365 days). */
  refreshToken: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  /** ISO instant; access tokens last 60 days. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  refreshTokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
  organizationUrn: z.string().regex(/^urn:li:organization:\d+$/, 'must look like urn:li:organization:123'),
});
export type LinkedInCredentials = z.infer<typeof LinkedInCredentials>;

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.number().positive().optional(),
});

/**
 * Credential sessions for LinkedIn tokens. Access tokens last 60 days; only partners approved for
 * programmatic refresh get a refresh token, spent in the token's last week.
 */
export function linkedInSessions(http: PlatformHttp): CredentialSessions<LinkedInCredentials> {
  return new CredentialSessions<LinkedInCredentials>(
    {
      platformName: 'LinkedIn',
      schema: LinkedInCredentials,
      expiresAt: (c) => (c.expiresAt ? Date.parse(c.expiresAt) : undefined),
      refreshAheadMs: LONG_LIVED_REFRESH_AHEAD_MS,
      canRefresh: (c, _channel, now) =>
        Boolean(c.refreshToken && c.clientId && c.clientSecret) &&
        !(c.refreshTokenExpiresAt && Date.parse(c.refreshTokenExpiresAt) <= now.getTime()),
      refresh: (c, channel) => refreshToken(http, c, channel),
    },
    http.now,
  );
}

/** `POST /oauth/v2/accessToken` with `grant_type=refresh_token`. */
async function refreshToken(
  http: PlatformHttp,
  c: LinkedInCredentials,
  channel: Channel,
): Promise<LinkedInCredentials> {
  if (!c.refreshToken || !c.clientId || !c.clientSecret) {
    throw new PlatformError(
      'auth',
      `the LinkedIn token of channel '${channel.id}' cannot be refreshed; reconnect the channel`,
    );
  }
  const secrets = [c.accessToken, c.refreshToken, c.clientSecret];
  const response = await http.request({
    method: 'POST',
    // A simulator serves the token endpoint on its own host; LinkedIn on www.linkedin.com.
    url: `${(channel.apiBaseUrl ?? LINKEDIN_OAUTH_BASE).replace(/\/+$/, '')}/oauth/v2/accessToken`,
    form: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: c.refreshToken,
      client_id: c.clientId,
      client_secret: c.clientSecret,
    }),
    secrets,
  });
  if (!response.ok) {
    // 400 invalid_grant / 401 invalid_client: the refresh token is dead; a person must reconnect.
    const kind: PlatformErrorKind =
      response.status >= 500 ? 'unavailable' : response.status === 429 ? 'rate-limited' : 'auth';
    throw http.responseError(response, { secrets }, () => kind);
  }
  const parsed = TokenResponse.safeParse(response.body);
  if (!parsed.success) {
    throw new PlatformError('unavailable', 'LinkedIn answered the token refresh without a token', {
      platformCode: 'refresh',
    });
  }
  const now = http.now().getTime();
  return {
    ...c,
    accessToken: parsed.data.access_token,
    expiresAt: new Date(now + parsed.data.expires_in * 1000).toISOString(),
    ...(parsed.data.refresh_token ? { refreshToken: parsed.data.refresh_token } : {}),
    ...(parsed.data.refresh_token_expires_in
      ? { refreshTokenExpiresAt: new Date(now + parsed.data.refresh_token_expires_in * 1000).toISOString() }
      : {}),
  };
}

/** One channel's Rest.li calls, with its credential session. */
export class LinkedInClient {
  constructor(
    private readonly http: PlatformHttp,
    private readonly version: string,
    readonly session: CredentialSession<LinkedInCredentials>,
  ) {}

  get apiBase(): string {
    return (this.session.channel.apiBaseUrl ?? LINKEDIN_API_BASE).replace(/\/+$/, '');
  }

  get organizationUrn(): string {
    return this.session.credentials.organizationUrn;
  }

  /**
   * A Rest.li call with LinkedIn's headers. A 401 means the request was not processed, so one
   * refresh-and-repeat is safe even for the post itself.
   */
  call(
    req: Omit<HttpRequest, 'secrets' | 'headers'> & { headers?: Record<string, string> },
  ): Promise<HttpResponse> {
    return this.session.send(
      (credentials) =>
        this.http.request({
          ...req,
          headers: {
            authorization: `Bearer ${credentials.accessToken}`,
            'linkedin-version': this.version,
            'x-restli-protocol-version': '2.0.0',
            ...req.headers,
          },
          secrets: this.session.secrets,
        }),
      (response) => response.status === 401,
    );
  }

  /** A PUT of file bytes to an upload URL LinkedIn gave out. */
  upload(url: string, contentType: string, body: Uint8Array): Promise<HttpResponse> {
    return this.http.request({
      method: 'PUT',
      url,
      headers: { ...this.uploadAuth(url), 'content-type': contentType },
      body,
      secrets: this.session.secrets,
    });
  }

  error(response: HttpResponse, afterSending: PlatformErrorKind): PlatformError {
    return linkedInError(this.http, response, this.session.secrets, afterSending);
  }

  /** The bearer token goes only to LinkedIn's own hosts (or the configured API host). */
  private uploadAuth(uploadUrl: string): Record<string, string> {
    const host = new URL(uploadUrl).host;
    const apiHost = new URL(this.apiBase).host;
    const trusted = host === apiHost || host === 'linkedin.com' || host.endsWith('.linkedin.com');
    return trusted ? { authorization: `Bearer ${this.session.credentials.accessToken}` } : {};
  }
}

/**
 * LinkedIn's errors by status: 401 expired/revoked token → `auth`; 403 missing permission or
 * page role → `auth` (a person must fix the connection); 429 → `rate-limited` until midnight UTC
 * (LinkedIn's daily limits reset then and it sends no Retry-After); 426 sunset version and other
 * 4xx → `rejected`; 5xx → `ambiguous` for the post itself, `unavailable` for everything else.
 */
export function linkedInError(
  http: PlatformHttp,
  response: HttpResponse,
  secrets: readonly string[],
  afterSending: PlatformErrorKind,
): PlatformError {
  const status = response.status;
  const kind: PlatformErrorKind =
    status === 401 || status === 403
      ? 'auth'
      : status === 429
        ? 'rate-limited'
        : status >= 500
          ? afterSending
          : 'rejected';
  const base = http.responseError(response, { secrets }, () => kind);
  const code = linkedInCode(response.body);
  if (kind !== 'rate-limited') {
    return code
      ? new PlatformError(kind, base.message, { ...base.details, platformCode: code }, { cause: base })
      : base;
  }
  const retryAfterSeconds = base.details.retryAfterSeconds ?? secondsUntilUtcMidnight(http.now());
  const message = /retry in/.test(base.message)
    ? base.message
    : `${base.message.replace(/ \(rate limited\)$/, '')} (rate limited; LinkedIn's daily limits reset at midnight UTC, retry in ${retryAfterSeconds}s)`;
  return new PlatformError(
    'rate-limited',
    message,
    { ...base.details, retryAfterSeconds, ...(code ? { platformCode: code } : {}) },
    { cause: base },
  );
}

function linkedInCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.code === 'string') return record.code;
  if (typeof record.serviceErrorCode === 'number') return String(record.serviceErrorCode);
  return undefined;
}

export function secondsUntilUtcMidnight(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

export function parseOrUnavailable<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError('unavailable', `LinkedIn answered ${what} in an unexpected shape`, {
      platformCode: 'shape',
    });
  }
  return parsed.data;
}
