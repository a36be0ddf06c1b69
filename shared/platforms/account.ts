import type * as z from 'zod';
import type { Channel, NormalisedMetrics, Platform } from '../domain/index.ts';
import {
  type AudienceBreakdowns,
  type BreakdownCapability,
  type BreakdownReading,
  type BreakdownSpec,
  breakdownCapability,
} from './audience-breakdowns.ts';
import { type AdapterOptions, type ErrorClassifier, PlatformHttp } from './http.ts';
import { type CredentialStore, type PlatformAdapter, PlatformError } from './port.ts';
import { CredentialSessions, credentialSecrets } from './session.ts';

/**
 * What an account already holds on its platform, apart from publishing: its own posts since a
 * date (page by page, with a cursor) and its audience (the follower count and, where the platform
 * has them, breakdowns). The history import and the daily audience snapshot read through this
 * port; publishing and metrics stay with the PlatformAdapter.
 *
 * Every reader says up front what it cannot return (`limitations`), so the audit reports it per
 * channel instead of guessing.
 */

/** One post the account published, as the platform reports it now. */
export interface AccountPost {
  platformPostId: string;
  platformUrl: string;
  publishedAt: string;
  text: string;
  link?: string;
  /** What media the post carried (`image`, `video`), one entry per item. */
  media: ('image' | 'video')[];
  /** Hashtags in the text, lower case without `#`. */
  hashtags: string[];
  /** The numbers the listing carries (public counts); absent metrics stay absent. */
  metrics: NormalisedMetrics;
}

export interface AccountPostsPage {
  posts: AccountPost[];
  /** Where the next page starts; absent when the listing reached `since` or its end. */
  cursor?: string;
}

export type { Breakdown } from './audience-breakdowns.ts';

export interface AudienceReading {
  followers: number;
  breakdowns?: AudienceBreakdowns;
}

export interface AccountReader {
  readonly platform: Platform;
  /** What this platform cannot give the audit, in words a marketer reads. */
  readonly limitations: readonly string[];
  /** Posts newest first, from `cursor` (the first page without one), none older than `since`. */
  listPosts(
    channel: Channel,
    credentials: CredentialStore,
    request: { since: string; cursor?: string },
  ): Promise<AccountPostsPage>;
  readAudience(channel: Channel, credentials: CredentialStore): Promise<AudienceReading>;
  /** Which audience breakdowns the platform offers, and why not the others. */
  readonly breakdowns: BreakdownCapability;
  /** The offered breakdowns now (none offered: an empty reading, no request). */
  readBreakdowns(channel: Channel, credentials: CredentialStore): Promise<BreakdownReading>;
}

/** A GET against the platform with the channel's credentials, read as JSON. */
export type AccountGet = (url: string) => Promise<unknown>;

/** How one platform's account is read: the requests and how to read their answers. */
export interface AccountSpec<C extends object> {
  platform: Platform;
  platformName: string;
  /** The secret's shape (the same one the platform's adapter reads). */
  credentials: z.ZodType<C>;
  limitations: readonly string[];
  /** Where the channel's requests go (its server, a simulator, or the platform). */
  base(channel: Channel): string;
  /** Adds the credentials to a request: headers, or query parameters (Meta). */
  authorise(credentials: C, url: URL): Record<string, string>;
  /** Platform-specific error codes (Bluesky's 400 ExpiredToken is an auth failure). */
  classify?: ErrorClassifier;
  /** How long a throttled app waits when the platform sends no Retry-After (Graph's usage headers). */
  retryAfterSeconds?(headers: Headers, now: Date): number;
  /** Whether the secret lacks what requests need until the adapter has signed in once. */
  needsSignIn?(credentials: C): boolean;
  listPosts(
    get: AccountGet,
    context: { channel: Channel; credentials: C; base: string; since: string; cursor?: string; now: Date },
  ): Promise<AccountPostsPage>;
  readAudience(
    get: AccountGet,
    context: { channel: Channel; credentials: C; base: string },
  ): Promise<AudienceReading>;
  /** Audience breakdowns, where the platform offers any (shared/platforms/audience-breakdowns.ts). */
  breakdowns?: BreakdownSpec<C>;
}

/**
 * A reader built from a spec over the shared pieces: the platform HTTP layer (429 →
 * `rate-limited` with `retryAfterSeconds`, redaction), the credential session (the secret read
 * and checked against the adapter's schema), and the adapter's own credential check, which
 * refreshes the token: a refused token is refreshed once through it and the request sent again
 * (a GET changes nothing, so sending it twice is harmless).
 */
export function accountReader<C extends object>(
  spec: AccountSpec<C>,
  adapter: Pick<PlatformAdapter, 'checkCredentials'>,
  options: AdapterOptions = {},
): AccountReader {
  const http = new PlatformHttp(spec.platformName, options);
  const sessions = new CredentialSessions(
    { platformName: spec.platformName, schema: spec.credentials },
    http.now,
  );

  async function withCredentials<R>(
    channel: Channel,
    store: CredentialStore,
    work: (get: AccountGet, credentials: C) => Promise<R>,
  ): Promise<R> {
    let credentials = await sessions.read(channel, store);
    let refreshed = false;
    const refresh = async () => {
      const health = await adapter.checkCredentials(channel, store);
      if (health.status === 'expired' || health.status === 'invalid') {
        throw new PlatformError('auth', health.message, { platformCode: 'credentials' });
      }
      credentials = await sessions.read(channel, store);
      refreshed = true;
    };
    if (spec.needsSignIn?.(credentials)) await refresh();
    const get: AccountGet = async (url) => {
      const send = () => accountRequest(http, spec, credentials, url);
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof PlatformError) || error.kind !== 'auth' || refreshed) throw error;
        await refresh();
        return await send();
      }
    };
    return work(get, credentials);
  }

  return {
    platform: spec.platform,
    limitations: spec.limitations,
    listPosts(channel, store, request) {
      return withCredentials(channel, store, (get, credentials) =>
        spec.listPosts(get, {
          channel,
          credentials,
          base: spec.base(channel),
          since: request.since,
          ...(request.cursor ? { cursor: request.cursor } : {}),
          now: http.now(),
        }),
      );
    },
    readAudience(channel, store) {
      return withCredentials(channel, store, (get, credentials) =>
        spec.readAudience(get, { channel, credentials, base: spec.base(channel) }),
      );
    },
    breakdowns: breakdownCapability(spec.breakdowns, spec.platformName),
    async readBreakdowns(channel, store) {
      const breakdowns = spec.breakdowns;
      if (!breakdowns) return { breakdowns: {}, unavailable: [] };
      return withCredentials(channel, store, (get, credentials) =>
        breakdowns.read(get, { channel, credentials, base: spec.base(channel), now: http.now() }),
      );
    },
  };
}

/**
 * One GET with the credentials added as the spec adds them, read as JSON. Any answer but a 2xx is
 * the PlatformError it stands for; a throttle without a Retry-After gets the spec's wait.
 */
export async function accountRequest<C extends object>(
  http: PlatformHttp,
  spec: Pick<AccountSpec<C>, 'authorise' | 'classify' | 'retryAfterSeconds'>,
  credentials: C,
  url: string,
): Promise<unknown> {
  const target = new URL(url);
  const headers = spec.authorise(credentials, target);
  const secrets = credentialSecrets(credentials as Record<string, unknown>);
  const response = await http.request({ method: 'GET', url: target, headers, secrets });
  if (response.ok) return response.body;
  const error = http.responseError(response, { secrets }, spec.classify);
  if (
    error.kind === 'rate-limited' &&
    error.details.retryAfterSeconds === undefined &&
    spec.retryAfterSeconds
  ) {
    const wait = spec.retryAfterSeconds(response.headers, http.now());
    const message = `${error.message.replace(/ \(rate limited\)$/, '')} (rate limited; retry in ${wait}s)`;
    throw new PlatformError(
      error.kind,
      message,
      { ...error.details, retryAfterSeconds: wait },
      { cause: error },
    );
  }
  throw error;
}

/** Hashtags in a text, lower case, without `#`. */
export function hashtagsIn(text: string): string[] {
  const tags = new Set<string>();
  for (const match of text.matchAll(/(?:^|[^\p{L}\p{N}_])#([\p{L}\p{N}_]+)/gu)) {
    if (match[1]) tags.add(match[1].toLowerCase());
  }
  return [...tags].sort();
}

/** The first http(s) URL in a text. */
export function firstLinkIn(text: string): string | undefined {
  return /https?:\/\/[^\s<>"]+/i.exec(text)?.[0];
}

/** A URL with query parameters set (undefined ones left out). */
export function withQuery(base: string, query: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
