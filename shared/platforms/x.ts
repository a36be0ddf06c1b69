import * as z from 'zod';
import type { Channel, NormalisedMetrics } from '../domain/index.ts';
import {
  type AdapterOptions,
  apiBase,
  type HttpRequest,
  type HttpResponse,
  PlatformHttp,
  readAnswer,
} from './http.ts';
import { downloadMedia, isVideoMime } from './media.ts';
import { chunk, deletedReading, okReading, publicCounts, sumDefined } from './metrics.ts';
import { type CredentialStore, type MetricsReading, type PlatformAdapter, PlatformError } from './port.ts';
import { beforePublishing, comparableText, lookupWindowStart, rejectInvalid } from './posting.ts';
import { composePublishedText, validatePostForPlatform } from './rules.ts';
import {
  type CredentialSession,
  CredentialSessions,
  credentialHealth,
  credentialSecrets,
} from './session.ts';

/**
 * X (API v2), against the documented HTTP API:
 * - publish: `POST /2/tweets` `{ text, media: { media_ids } }` → `201 { data: { id, text } }`;
 *   images through `POST /2/media/upload`, video through `/2/media/upload/initialize`,
 *   `/{id}/append`, `/{id}/finalize` and `GET /2/media/upload?command=STATUS`;
 * - metrics: `GET /2/tweets?ids=…` (up to 100) with `public_metrics`, and `non_public_metrics` /
 *   `organic_metrics` (link clicks) only for posts younger than 30 days — X refuses them after;
 * - lookup: X has no idempotency key, so an unknown outcome is settled by reading the account's
 *   own timeline (`GET /2/users/:id/tweets`) for the text we sent;
 * - credentials (the secret): `{ accessToken, refreshToken?, clientId?, clientSecret?, expiresAt? }`.
 *   Access tokens live two hours; with `offline.access` X issues a refresh token, which this
 *   adapter spends (`POST /2/oauth2/token`, grant `refresh_token`) when the token has expired or
 *   X answers 401, and writes the rotated pair back to the secret. Without one the channel needs
 *   reconnecting: PlatformError `auth`.
 */

export const X_API_BASE = 'https://api.x.com';

/** X offers non-public and organic metrics only for posts created within the last 30 days. */
const PRIVATE_METRICS_MAX_AGE_MS = 30 * 24 * 3_600_000;
/** Refresh a little early so a token does not expire between the check and the request. */
const EXPIRY_MARGIN_MS = 60_000;
/** Chunks for the chunked (video) upload; X accepts segments up to 5 MB. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_STATUS_POLLS = 60;

const BATCH_SIZE = 100;

export const XCredentials = z.looseObject({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  /** ISO instant the access token stops working. */
  expiresAt: z.string().optional(),
});
type XCredentials = z.infer<typeof XCredentials>;

const CreatePostAnswer = z.object({ data: z.object({ id: z.string().min(1), text: z.string().optional() }) });
const TokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expires_in: z.number().optional(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});
const MeAnswer = z.object({ data: z.object({ id: z.string(), username: z.string().optional() }) });
const MediaAnswer = z.object({
  data: z.looseObject({
    id: z.string().min(1),
    media_key: z.string().optional(),
    processing_info: z
      .object({
        state: z.string(),
        check_after_secs: z.number().optional(),
        error: z.looseObject({ message: z.string().optional() }).optional(),
      })
      .optional(),
  }),
});
const PublicMetrics = z.looseObject({
  retweet_count: z.number().optional(),
  reply_count: z.number().optional(),
  like_count: z.number().optional(),
  quote_count: z.number().optional(),
  bookmark_count: z.number().optional(),
  impression_count: z.number().optional(),
});
const PrivateMetrics = z.looseObject({
  impression_count: z.number().optional(),
  url_link_clicks: z.number().optional(),
  user_profile_clicks: z.number().optional(),
  engagements: z.number().optional(),
});
export const Tweet = z.looseObject({
  id: z.string(),
  text: z.string(),
  created_at: z.string().optional(),
  attachments: z.looseObject({ media_keys: z.array(z.string()).optional() }).optional(),
  public_metrics: PublicMetrics.optional(),
  non_public_metrics: PrivateMetrics.optional(),
  organic_metrics: PrivateMetrics.optional(),
});
type Tweet = z.infer<typeof Tweet>;
const XMedia = z.looseObject({
  media_key: z.string(),
  type: z.string().optional(),
  public_metrics: z.looseObject({ view_count: z.number().optional() }).optional(),
});
const ApiError = z.looseObject({
  resource_id: z.string().optional(),
  value: z.string().optional(),
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
});
export const TweetsAnswer = z.object({
  data: z.array(Tweet).optional(),
  includes: z.looseObject({ media: z.array(XMedia).optional() }).optional(),
  errors: z.array(ApiError).optional(),
  meta: z.looseObject({ next_token: z.string().optional(), result_count: z.number().optional() }).optional(),
});

/** Without a refresh token an X access token simply runs out (two hours): warn this long before. */
const EXPIRY_WARNING_MS = 30 * 60_000;

/**
 * The X credentials of every channel, and authenticated requests with them: shared by the
 * publishing adapter and the listening one (x-listening.ts).
 */
export function xSession(http: PlatformHttp) {
  const sessions = new CredentialSessions<XCredentials>(
    {
      platformName: 'X',
      schema: XCredentials,
      expiresAt: (c) => (c.expiresAt ? Date.parse(c.expiresAt) || undefined : undefined),
      refreshAheadMs: EXPIRY_MARGIN_MS,
      canRefresh: (c) => Boolean(c.refreshToken && c.clientId),
      refresh,
      reconnect:
        'connect it with the offline.access scope and store refreshToken and clientId, or reconnect the channel',
    },
    http.now,
  );

  /** Spends the refresh token (`POST /2/oauth2/token`, grant `refresh_token`) for a new pair. */
  async function refresh(current: XCredentials, channel: Channel): Promise<XCredentials> {
    const { refreshToken, clientId } = current;
    if (!refreshToken || !clientId) throw new PlatformError('auth', 'the X channel has no refresh token');
    const secrets = credentialSecrets(current);
    const form = new URLSearchParams({
      refresh_token: refreshToken,
      grant_type: 'refresh_token',
      client_id: clientId,
    });
    const headers: Record<string, string> = {};
    // Confidential clients authenticate with Basic client_id:client_secret (X OAuth 2.0 docs).
    if (current.clientSecret) {
      headers.authorization = `Basic ${Buffer.from(`${clientId}:${current.clientSecret}`).toString('base64')}`;
    }
    const response = await http.request({
      method: 'POST',
      url: `${apiBase(channel, X_API_BASE)}/2/oauth2/token`,
      form,
      headers,
      secrets,
    });
    if (!response.ok) {
      if (response.status === 400 || response.status === 401) {
        const base = http.responseError(response, { secrets });
        throw new PlatformError(
          'auth',
          `X refused to refresh the access token (${base.message}); reconnect the channel`,
          { status: response.status, platformCode: 'refresh-failed' },
        );
      }
      throw http.responseError(response, { secrets });
    }
    const answer = readAnswer('X', TokenAnswer, response.body, 'the token refresh', 'unavailable');
    return {
      ...current,
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token ?? refreshToken,
      ...(answer.expires_in !== undefined
        ? { expiresAt: new Date(http.now().getTime() + answer.expires_in * 1000).toISOString() }
        : {}),
    };
  }

  /**
   * Sends an authenticated request; on a 401 refreshes once and sends it again. A 401 means X
   * refused the request, so sending it again cannot publish twice.
   */
  async function call(
    channel: Channel,
    store: CredentialStore,
    build: (token: string) => HttpRequest,
  ): Promise<HttpResponse> {
    const session = await sessions.open(channel, store);
    const response = await session.send(
      (credentials) => http.request(withToken(build(credentials.accessToken), session)),
      (answer) => answer.status === 401,
    );
    if (!response.ok) {
      const error = http.responseError(response, { secrets: session.secrets });
      if (error.kind === 'auth') {
        throw new PlatformError('auth', error.message, { ...error.details, platformCode: 'token-refused' });
      }
      throw error;
    }
    return response;
  }

  function withToken(request: HttpRequest, session: CredentialSession<XCredentials>): HttpRequest {
    return {
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${session.credentials.accessToken}` },
      secrets: session.secrets,
    };
  }

  return { sessions, call };
}

export function createXAdapter(options: AdapterOptions = {}): PlatformAdapter {
  const http = new PlatformHttp('X', options);
  const { sessions, call } = xSession(http);

  async function uploadMedia(channel: Channel, store: CredentialStore, url: string): Promise<string> {
    const base = apiBase(channel, X_API_BASE);
    const file = await downloadMedia(http, url);
    if (!isVideoMime(file.mimeType)) {
      const response = await call(channel, store, () => {
        const form = new FormData();
        form.set('media', new Blob([file.bytes], { type: file.mimeType }), file.fileName);
        form.set('media_category', file.mimeType === 'image/gif' ? 'tweet_gif' : 'tweet_image');
        return { method: 'POST', url: `${base}/2/media/upload`, body: form };
      });
      return readAnswer('X', MediaAnswer, response.body, 'the media upload', 'unavailable').data.id;
    }

    const init = await call(channel, store, () => ({
      method: 'POST',
      url: `${base}/2/media/upload/initialize`,
      json: { media_type: file.mimeType, total_bytes: file.bytes.length, media_category: 'tweet_video' },
    }));
    const id = readAnswer('X', MediaAnswer, init.body, 'the upload initialisation', 'unavailable').data.id;
    let segment = 0;
    for (let offset = 0; offset < file.bytes.length; offset += CHUNK_BYTES, segment++) {
      const piece = file.bytes.subarray(offset, offset + CHUNK_BYTES);
      const index = segment;
      await call(channel, store, () => {
        const form = new FormData();
        form.set('media', new Blob([piece], { type: 'application/octet-stream' }), file.fileName);
        form.set('segment_index', String(index));
        return { method: 'POST', url: `${base}/2/media/upload/${encodeURIComponent(id)}/append`, body: form };
      });
    }
    const finalized = await call(channel, store, () => ({
      method: 'POST',
      url: `${base}/2/media/upload/${encodeURIComponent(id)}/finalize`,
    }));
    let info = readAnswer('X', MediaAnswer, finalized.body, 'the upload finalisation', 'unavailable').data
      .processing_info;
    // Video is processed asynchronously; it can be attached once STATUS says succeeded.
    for (let poll = 0; info && info.state !== 'succeeded'; poll++) {
      if (info.state === 'failed') {
        throw new PlatformError(
          'rejected',
          `X could not process the video '${file.fileName}'${info.error?.message ? `: ${info.error.message}` : ''}`,
          { platformCode: 'media-processing-failed' },
        );
      }
      if (poll >= MAX_STATUS_POLLS) {
        throw new PlatformError(
          'unavailable',
          `X was still processing the video '${file.fileName}'; try again later`,
          { platformCode: 'media-processing-slow' },
        );
      }
      await http.sleep(Math.max(1, info.check_after_secs ?? 1) * 1000);
      const status = await call(channel, store, () => ({
        method: 'GET',
        url: `${base}/2/media/upload?${new URLSearchParams({ command: 'STATUS', media_id: id })}`,
      }));
      info = readAnswer('X', MediaAnswer, status.body, 'the upload status', 'unavailable').data
        .processing_info;
    }
    return id;
  }

  function postUrl(channel: Channel, id: string): string {
    const username = channel.handle.replace(/^@/, '').trim();
    return /^\w{1,15}$/.test(username)
      ? `https://x.com/${username}/status/${id}`
      : `https://x.com/i/web/status/${id}`;
  }

  return {
    platform: 'x',
    capabilities: { lookup: true, metricsBatchSize: BATCH_SIZE },

    checkCredentials(channel, store) {
      return credentialHealth('X', channel, async () => {
        const before = await sessions.read(channel, store);
        // Refreshes first if the token has run out, and on a 401.
        await call(channel, store, () => ({
          method: 'GET',
          url: `${apiBase(channel, X_API_BASE)}/2/users/me`,
        }));
        const after = await sessions.read(channel, store);
        const expiresAt = after.expiresAt;
        const refreshable = Boolean(after.refreshToken && after.clientId);
        const soon =
          !refreshable &&
          expiresAt !== undefined &&
          Date.parse(expiresAt) - http.now().getTime() < EXPIRY_WARNING_MS;
        return {
          refreshed: after.accessToken !== before.accessToken,
          ...(expiresAt ? { expiresAt } : {}),
          ...(soon
            ? {
                warning: `the X access token of channel '${channel.id}' expires at ${expiresAt} and has no refresh token; reconnect the channel with the offline.access scope`,
              }
            : {}),
        };
      });
    },

    validate(post) {
      return validatePostForPlatform('x', post);
    },

    async publish(post, channel, store, context) {
      const text = composePublishedText('x', post.text, post.link);
      rejectInvalid('x', post);
      const base = apiBase(channel, X_API_BASE);

      // Everything before the create call: a failure there cannot have published the post.
      const mediaIds = await beforePublishing(async () => {
        await sessions.open(channel, store);
        const ids: string[] = [];
        for (const url of post.media) ids.push(await uploadMedia(channel, store, url));
        return ids;
      });

      const response = await call(channel, store, () => ({
        method: 'POST',
        url: `${base}/2/tweets`,
        json: mediaIds.length > 0 ? { text, media: { media_ids: mediaIds } } : { text },
        ...(context.signal ? { signal: context.signal } : {}),
      }));
      // 2xx: X has the post. An answer we cannot read leaves us without its id: unknown outcome.
      const created = readAnswer('X', CreatePostAnswer, response.body, 'the new post', 'ambiguous');
      return http.published(response, created.data.id, postUrl(channel, created.data.id));
    },

    async lookup(post, channel, store) {
      const base = apiBase(channel, X_API_BASE);
      const me = await call(channel, store, () => ({ method: 'GET', url: `${base}/2/users/me` }));
      const userId = readAnswer('X', MeAnswer, me.body, 'users/me', 'unavailable').data.id;
      const wanted = comparableText(composePublishedText('x', post.text, post.link));
      // X wants second precision and no milliseconds in start_time.
      const startTime = `${lookupWindowStart(post).toISOString().slice(0, 19)}Z`;
      let paginationToken: string | undefined;
      for (let page = 0; page < 10; page++) {
        const query = new URLSearchParams({
          max_results: '100',
          start_time: startTime,
          exclude: 'retweets,replies',
          'tweet.fields': 'created_at',
        });
        if (paginationToken) query.set('pagination_token', paginationToken);
        const response = await call(channel, store, () => ({
          method: 'GET',
          url: `${base}/2/users/${encodeURIComponent(userId)}/tweets?${query}`,
        }));
        const answer = readAnswer('X', TweetsAnswer, response.body, 'the account timeline', 'unavailable');
        const match = (answer.data ?? []).find((tweet) => comparableText(tweet.text) === wanted);
        if (match) return { platformPostId: match.id, platformUrl: postUrl(channel, match.id) };
        paginationToken = answer.meta?.next_token;
        if (!paginationToken) break;
      }
      return undefined;
    },

    async fetchMetrics(posts, channel, store): Promise<MetricsReading[]> {
      const base = apiBase(channel, X_API_BASE);
      const now = http.now().getTime();
      const recent = posts.filter(
        (p) => p.publishedAt && now - Date.parse(p.publishedAt) < PRIVATE_METRICS_MAX_AGE_MS,
      );
      const older = posts.filter((p) => !recent.includes(p));
      const readings: MetricsReading[] = [];
      for (const [group, privateMetrics] of [
        [recent, true],
        [older, false],
      ] as const) {
        for (const batch of chunk(group, BATCH_SIZE)) {
          const fields = privateMetrics
            ? 'public_metrics,non_public_metrics,organic_metrics,created_at'
            : 'public_metrics,created_at';
          const query = new URLSearchParams({
            ids: batch.map((p) => p.platformPostId).join(','),
            'tweet.fields': fields,
            expansions: 'attachments.media_keys',
            'media.fields': 'public_metrics,type',
          });
          const response = await call(channel, store, () => ({
            method: 'GET',
            url: `${base}/2/tweets?${query}`,
          }));
          const answer = readAnswer('X', TweetsAnswer, response.body, 'the posts lookup', 'unavailable');
          const byId = new Map((answer.data ?? []).map((tweet) => [tweet.id, tweet]));
          const media = new Map((answer.includes?.media ?? []).map((m) => [m.media_key, m]));
          for (const post of batch) {
            const tweet = byId.get(post.platformPostId);
            if (!tweet) {
              // Absent from `data` (X lists it under `errors` as resource-not-found): deleted.
              const error = (answer.errors ?? []).find(
                (e) => e.resource_id === post.platformPostId || e.value === post.platformPostId,
              );
              readings.push(deletedReading(post, error ?? null));
              continue;
            }
            const tweetMedia = (tweet.attachments?.media_keys ?? []).flatMap((key) => {
              const item = media.get(key);
              return item ? [item] : [];
            });
            readings.push(
              okReading(post, normaliseTweetMetrics(tweet, tweetMedia), { tweet, media: tweetMedia }),
            );
          }
        }
      }
      return readings;
    },
  };
}

/** X's numbers in Pulsecast's vocabulary; what X did not report stays absent. */
export function normaliseTweetMetrics(
  tweet: Tweet,
  media: readonly z.infer<typeof XMedia>[] = [],
): NormalisedMetrics {
  const pub = tweet.public_metrics ?? {};
  const priv = tweet.non_public_metrics ?? tweet.organic_metrics;
  const metrics = publicCounts({
    likes: pub.like_count,
    replies: pub.reply_count,
    reposts: pub.retweet_count,
    quotes: pub.quote_count,
    saves: pub.bookmark_count,
  });
  const impressions = pub.impression_count ?? priv?.impression_count;
  if (impressions !== undefined) metrics.impressions = impressions;
  const clicks = tweet.non_public_metrics?.url_link_clicks ?? tweet.organic_metrics?.url_link_clicks;
  if (clicks !== undefined) metrics.clicks = clicks;
  const views = media.filter((m) => m.public_metrics?.view_count !== undefined);
  if (views.length > 0)
    metrics.videoViews = views.reduce((sum, m) => sum + (m.public_metrics?.view_count ?? 0), 0);
  // X's own count when the owner's token may read it; otherwise the public counts and link clicks.
  const engagements =
    tweet.non_public_metrics?.engagements ?? sumDefined(metrics.engagements, metrics.clicks);
  if (engagements !== undefined) metrics.engagements = engagements;
  return metrics;
}
