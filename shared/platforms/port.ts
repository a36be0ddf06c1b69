import type { Channel, NormalisedMetrics, Platform, Post } from '../domain/index.ts';
import type { PlatformFinding } from './rules.ts';

/** A channel's credentials as stored in its secret (JSON object; shape per platform). */
export type Credentials = Record<string, string>;

/**
 * Where adapters read and (after a token refresh) write credentials. Secrets Manager on AWS;
 * a JSON file in local mode (`PULSECAST_SECRETS_FILE`). Values are never logged or returned.
 */
export interface CredentialStore {
  get(secretRef: string): Promise<Credentials>;
  put(secretRef: string, credentials: Credentials): Promise<void>;
}

export interface PlatformCapabilities {
  /** Posts we may have published can be found again (to reconcile an UNKNOWN outcome). */
  lookup: boolean;
  /** How many posts one metrics request can cover (1 = no batching). */
  metricsBatchSize: number;
}

export interface PublishContext {
  /** Stable per post, the same on every attempt (never fresh per retry). */
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface PublishedRef {
  platformPostId: string;
  platformUrl: string;
  /** What the platform's response headers said about the rate limit, when they say it. */
  rateLimit?: { remaining: number; resetAt: string };
}

export interface MetricsReading {
  postId: string;
  platformPostId: string;
  /** `deleted` when the platform says the post no longer exists. */
  status: 'ok' | 'deleted';
  metrics: NormalisedMetrics;
  /** The platform's own payload, kept alongside the normalised numbers. */
  raw: unknown;
}

/**
 * How a channel's credentials stand, checked ahead of the next post so an expired or revoked
 * token becomes "Channel Needs Attention" before posts fail.
 */
export interface CredentialHealth {
  /** `unknown`: the platform could not be asked just now (try again later). */
  status: 'ok' | 'refreshed' | 'expiring' | 'expired' | 'invalid' | 'unknown';
  /** When the access token expires, if known. */
  expiresAt?: string;
  /** For a person: what is wrong and what to do. Never contains a credential. */
  message: string;
}

export interface PlatformAdapter {
  readonly platform: Platform;
  readonly capabilities: PlatformCapabilities;
  /** Checks a post against the platform's rules before it is scheduled. */
  validate(post: Pick<Post, 'text' | 'link' | 'media'>): PlatformFinding[];
  /** Publishes; throws PlatformError classified by what is known about the outcome. */
  publish(
    post: Post,
    channel: Channel,
    credentials: CredentialStore,
    context: PublishContext,
  ): Promise<PublishedRef>;
  /** Finds a post we may have published (UNKNOWN reconciliation); undefined when it is not there. */
  lookup(post: Post, channel: Channel, credentials: CredentialStore): Promise<PublishedRef | undefined>;
  fetchMetrics(
    posts: readonly (Pick<Post, 'id' | 'publishedAt'> & { platformPostId: string })[],
    channel: Channel,
    credentials: CredentialStore,
  ): Promise<MetricsReading[]>;
  /** Probes (and where the platform allows, refreshes) the channel's credentials. */
  checkCredentials(channel: Channel, credentials: CredentialStore): Promise<CredentialHealth>;
}

/**
 * How a platform call failed, by what we know about the post:
 * - `rejected`: definitely not published and retrying will not help (validation, forbidden);
 * - `rate-limited`: definitely not published; try again after `retryAfterSeconds`;
 * - `auth`: definitely not published; the credentials are expired or revoked;
 * - `unavailable`: definitely not published (refused before the request was sent), safe to retry;
 * - `ambiguous`: the request may have been accepted (timeout, reset, 5xx after sending): never
 *   retried blindly.
 */
export type PlatformErrorKind = 'rejected' | 'rate-limited' | 'auth' | 'unavailable' | 'ambiguous';

export class PlatformError extends Error {
  constructor(
    readonly kind: PlatformErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number; platformCode?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PlatformError';
  }
}
