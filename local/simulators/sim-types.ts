import type { IncomingHttpHeaders } from 'node:http';
import type {
  AudienceModel,
  AudiencePost,
  Engagement,
  SimulatedConversion,
  SimulatorConfig,
  SimulatorConfigInput,
} from './audience.ts';
import type { TokenStore } from './tokens.ts';

// The shapes a simulator is made of: its options, routes, requests and answers, what it records.

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
