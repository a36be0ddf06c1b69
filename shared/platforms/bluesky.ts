import twitterText from 'twitter-text';
import * as z from 'zod';
import type { Channel, NormalisedMetrics } from '../domain/index.ts';
import {
  type AdapterOptions,
  apiBase,
  type ErrorClassifier,
  type HttpRequest,
  type HttpResponse,
  PlatformHttp,
  readAnswer,
} from './http.ts';
import { downloadMedia, isVideoMime } from './media.ts';
import { batchReadings, chunk, publicCounts } from './metrics.ts';
import { type CredentialStore, type MetricsReading, type PlatformAdapter, PlatformError } from './port.ts';
import { beforePublishing, lookupWindowStart, rejectInvalid } from './posting.ts';
import { composePublishedText, validatePostForPlatform } from './rules.ts';
import { CredentialSessions, credentialHealth, credentialSecrets } from './session.ts';

/**
 * Bluesky (AT Protocol), in plain XRPC over HTTP:
 * - sign-in with an app password (`com.atproto.server.createSession`), which Bluesky limits
 *   tightly (30 per 5 minutes, 300 a day per account) — so the session is reused: kept in memory
 *   and in the channel's secret (`accessJwt`, `refreshJwt`, `did`, `handle`), refreshed with
 *   `com.atproto.server.refreshSession` when the access token expires (400 `ExpiredToken`), and
 *   only re-created when the refresh token is spent too;
 * - publish: an `app.bsky.feed.post` record via `com.atproto.repo.createRecord`, with rich-text
 *   facets for links and hashtags at UTF-8 byte offsets (Bluesky does not detect links itself),
 *   images (≤ 1,000,000 bytes each, up to 4) and video uploaded first with
 *   `com.atproto.repo.uploadBlob`;
 * - metrics: `app.bsky.feed.getPosts` (up to 25 at-uris): likes, reposts, quotes, replies,
 *   bookmarks. Bluesky has no impressions, reach or clicks: those stay absent;
 * - lookup: no idempotency key, so `com.atproto.repo.listRecords` is searched for a post with
 *   our text created since shortly before the post was due.
 * Credentials (the secret): `{ identifier, appPassword }` (+ the cached session fields).
 */

export const BLUESKY_API_BASE = 'https://bsky.social';
const POST_COLLECTION = 'app.bsky.feed.post';
/** From the app.bsky.embed.images lexicon. */
const MAX_IMAGE_BYTES = 1_000_000;
const EXPIRY_MARGIN_MS = 60_000;

const BATCH_SIZE = 25;

export const BlueskyCredentials = z.looseObject({
  identifier: z.string().min(1),
  appPassword: z.string().min(1),
  did: z.string().optional(),
  handle: z.string().optional(),
  accessJwt: z.string().optional(),
  refreshJwt: z.string().optional(),
});
type BlueskyCredentials = z.infer<typeof BlueskyCredentials>;

interface Session {
  did: string;
  handle: string;
  accessJwt: string;
  refreshJwt: string;
}

const SessionAnswer = z.looseObject({
  did: z.string().min(1),
  handle: z.string().min(1),
  accessJwt: z.string().min(1),
  refreshJwt: z.string().min(1),
});
const BlobAnswer = z.object({
  blob: z.looseObject({ $type: z.string().optional(), mimeType: z.string(), size: z.number() }),
});
const CreateRecordAnswer = z.looseObject({ uri: z.string().startsWith('at://'), cid: z.string() });
const ListRecordsAnswer = z.object({
  cursor: z.string().optional(),
  records: z.array(
    z.looseObject({
      uri: z.string(),
      cid: z.string().optional(),
      value: z.looseObject({ text: z.string().optional(), createdAt: z.string().optional() }),
    }),
  ),
});
export const PostView = z.looseObject({
  uri: z.string(),
  cid: z.string().optional(),
  replyCount: z.number().optional(),
  repostCount: z.number().optional(),
  likeCount: z.number().optional(),
  quoteCount: z.number().optional(),
  bookmarkCount: z.number().optional(),
});
type PostView = z.infer<typeof PostView>;
const GetPostsAnswer = z.object({ posts: z.array(PostView) });

/** Bluesky answers an expired or unverifiable access token with 400 (not 401): read the code. */
export const blueskyErrors: ErrorClassifier = (response) => {
  const code = errorCode(response);
  if (
    code === 'ExpiredToken' ||
    code === 'InvalidToken' ||
    code === 'AuthenticationRequired' ||
    code === 'AuthMissing'
  ) {
    return 'auth';
  }
  if (code === 'RateLimitExceeded') return 'rate-limited';
  return undefined;
};

function errorCode(response: HttpResponse): string | undefined {
  const body = response.body;
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  return undefined;
}

/**
 * A Bluesky account's session over one HTTP layer: signing in, refreshing, and authenticated XRPC
 * calls. The publishing adapter and the listening adapter (bluesky-listening.ts) both use it.
 */
export function blueskySession(http: PlatformHttp) {
  // The session lives in the channel's secret, so a warm container (and the next one) signs in
  // once, not once per post; it is refreshed when its access token runs out.
  const sessions = new CredentialSessions<BlueskyCredentials>(
    {
      platformName: 'Bluesky',
      schema: BlueskyCredentials,
      // No stored session yet: due now (sign in). A token whose expiry cannot be read is tried.
      expiresAt: (c) => (sessionOf(c) ? jwtExpiry(c.accessJwt ?? '') : 0),
      refreshAheadMs: EXPIRY_MARGIN_MS,
      refresh: async (c, channel) => ({ ...c, ...(await newSession(channel, c)) }),
    },
    http.now,
  );

  function live(jwt: string | undefined): boolean {
    if (!jwt) return false;
    const exp = jwtExpiry(jwt);
    return exp === undefined || exp - http.now().getTime() > EXPIRY_MARGIN_MS;
  }

  /** A refreshed session while the refresh token lives, else (last resort) a new sign-in. */
  async function newSession(channel: Channel, credentials: BlueskyCredentials): Promise<Session> {
    const current = sessionOf(credentials);
    if (current && live(current.refreshJwt)) {
      const refreshed = await refreshSession(channel, credentials, current);
      if (refreshed) return refreshed;
    }
    return createSession(channel, credentials);
  }

  async function refreshSession(
    channel: Channel,
    credentials: BlueskyCredentials,
    current: Session,
  ): Promise<Session | undefined> {
    const secrets = credentialSecrets(credentials);
    const response = await http.request({
      method: 'POST',
      url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/com.atproto.server.refreshSession`,
      headers: { authorization: `Bearer ${current.refreshJwt}` },
      secrets,
    });
    if (response.ok)
      return sessionFields(
        readAnswer('Bluesky', SessionAnswer, response.body, 'refreshSession', 'unavailable'),
      );
    // A spent or expired refresh token: fall back to signing in with the app password.
    if (response.status === 400 || response.status === 401) return undefined;
    throw http.responseError(response, { secrets }, blueskyErrors);
  }

  async function createSession(channel: Channel, credentials: BlueskyCredentials): Promise<Session> {
    const secrets = credentialSecrets(credentials);
    const response = await http.request({
      method: 'POST',
      url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/com.atproto.server.createSession`,
      json: { identifier: credentials.identifier, password: credentials.appPassword },
      secrets,
    });
    if (response.status === 401 || (response.status === 400 && errorCode(response) !== 'RateLimitExceeded')) {
      const base = http.responseError(response, { secrets }, blueskyErrors);
      throw new PlatformError(
        'auth',
        `Bluesky refused the app password for '${credentials.identifier}' (${base.message}); create a new app password and update the channel's secret`,
        { status: response.status, platformCode: 'sign-in-refused' },
      );
    }
    if (!response.ok) throw http.responseError(response, { secrets }, blueskyErrors);
    return sessionFields(readAnswer('Bluesky', SessionAnswer, response.body, 'createSession', 'unavailable'));
  }

  /**
   * An authenticated XRPC call; when Bluesky says the token expired it refreshes the session and
   * sends the call once more (the expired call was refused, so this cannot publish twice).
   */
  async function call(
    channel: Channel,
    store: CredentialStore,
    build: (session: Session) => HttpRequest,
  ): Promise<{ response: HttpResponse; session: Session }> {
    const opened = await sessions.open(channel, store);
    let used = signedIn(opened.credentials);
    const response = await opened.send(
      (credentials) => {
        used = signedIn(credentials);
        const request = build(used);
        return http.request({
          ...request,
          headers: { ...request.headers, authorization: `Bearer ${used.accessJwt}` },
          secrets: opened.secrets,
        });
      },
      (answer) => !answer.ok && blueskyErrors(answer) === 'auth',
    );
    if (!response.ok) throw http.responseError(response, { secrets: opened.secrets }, blueskyErrors);
    return { response, session: used };
  }

  return { sessions, call };
}

export function createBlueskyAdapter(options: AdapterOptions = {}): PlatformAdapter {
  const http = new PlatformHttp('Bluesky', options);
  const { sessions, call } = blueskySession(http);

  async function uploadBlob(channel: Channel, store: CredentialStore, url: string) {
    const file = await downloadMedia(http, url);
    const video = isVideoMime(file.mimeType);
    if (!video && file.bytes.length > MAX_IMAGE_BYTES) {
      throw new PlatformError(
        'rejected',
        `Bluesky takes images up to ${MAX_IMAGE_BYTES.toLocaleString('en-US')} bytes; '${file.fileName}' is ${file.bytes.length.toLocaleString('en-US')} bytes`,
        { platformCode: 'image-too-large' },
      );
    }
    const { response } = await call(channel, store, () => ({
      method: 'POST',
      url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/com.atproto.repo.uploadBlob`,
      headers: { 'content-type': file.mimeType },
      body: file.bytes,
      timeoutMs: 60_000,
    }));
    const blob = readAnswer('Bluesky', BlobAnswer, response.body, 'uploadBlob', 'unavailable').blob;
    return { blob, video };
  }

  return {
    platform: 'bluesky',
    capabilities: { lookup: true, metricsBatchSize: BATCH_SIZE },

    checkCredentials(channel, store) {
      return credentialHealth('Bluesky', channel, async () => {
        // App passwords do not expire; the session is refreshed or re-created as needed.
        await call(channel, store, () => ({
          method: 'GET',
          url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/com.atproto.server.getSession`,
        }));
        return { refreshed: false };
      });
    },

    validate(post) {
      return validatePostForPlatform('bluesky', post);
    },

    async publish(post, channel, store, context) {
      rejectInvalid('bluesky', post);
      const text = composePublishedText('bluesky', post.text, post.link);
      const embed = await beforePublishing(async () => {
        await sessions.open(channel, store);
        const blobs = [];
        for (const url of post.media) blobs.push(await uploadBlob(channel, store, url));
        if (blobs.length === 0) return undefined;
        const video = blobs.find((b) => b.video);
        if (video) return { $type: 'app.bsky.embed.video', video: video.blob };
        return { $type: 'app.bsky.embed.images', images: blobs.map((b) => ({ alt: '', image: b.blob })) };
      });
      const facets = richTextFacets(text);
      const record = {
        $type: POST_COLLECTION,
        text,
        createdAt: http.now().toISOString(),
        ...(facets.length > 0 ? { facets } : {}),
        ...(embed ? { embed } : {}),
      };
      const { response, session: used } = await call(channel, store, (s) => ({
        method: 'POST',
        url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/com.atproto.repo.createRecord`,
        json: { repo: s.did, collection: POST_COLLECTION, record },
        ...(context.signal ? { signal: context.signal } : {}),
      }));
      const created = readAnswer('Bluesky', CreateRecordAnswer, response.body, 'the new post', 'ambiguous');
      return http.published(response, created.uri, webUrl(created.uri, used.handle));
    },

    async lookup(post, channel, store) {
      const text = composePublishedText('bluesky', post.text, post.link);
      const since = lookupWindowStart(post).getTime();
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const { response, session: used } = await call(channel, store, (s) => {
          const query = new URLSearchParams({ repo: s.did, collection: POST_COLLECTION, limit: '100' });
          if (cursor) query.set('cursor', cursor);
          return {
            method: 'GET',
            url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/com.atproto.repo.listRecords?${query}`,
          };
        });
        const answer = readAnswer('Bluesky', ListRecordsAnswer, response.body, 'listRecords', 'unavailable');
        let older = false;
        for (const record of answer.records) {
          const createdAt = Date.parse(record.value.createdAt ?? '');
          if (!Number.isNaN(createdAt) && createdAt < since) {
            older = true;
            continue;
          }
          if (record.value.text === text)
            return { platformPostId: record.uri, platformUrl: webUrl(record.uri, used.handle) };
        }
        // Records come newest first: once they predate the window, ours is not further down.
        if (older || !answer.cursor) break;
        cursor = answer.cursor;
      }
      return undefined;
    },

    async fetchMetrics(posts, channel, store): Promise<MetricsReading[]> {
      const readings: MetricsReading[] = [];
      for (const batch of chunk(posts, BATCH_SIZE)) {
        // A post a person settled by its URL may name the account by handle (at://<handle>/…):
        // it is this channel's, so it is read (and matched) by the session's DID.
        const byDid = (uri: string, s: Session) => uri.replace(`at://${s.handle}/`, `at://${s.did}/`);
        const { response, session } = await call(channel, store, (s) => {
          const query = new URLSearchParams();
          for (const post of batch) query.append('uris', byDid(post.platformPostId, s));
          return {
            method: 'GET',
            url: `${apiBase(channel, BLUESKY_API_BASE)}/xrpc/app.bsky.feed.getPosts?${query}`,
          };
        });
        const answer = readAnswer('Bluesky', GetPostsAnswer, response.body, 'getPosts', 'unavailable');
        // getPosts leaves out posts that no longer exist. Keyed by what each post stores, which
        // may name the account by handle.
        const views = new Map(answer.posts.map((view) => [view.uri, view]));
        const byUri = new Map(
          batch.flatMap((post) => {
            const view = views.get(byDid(post.platformPostId, session));
            return view ? [[post.platformPostId, view] as const] : [];
          }),
        );
        readings.push(...batchReadings(batch, byUri, normalisePostView));
      }
      return readings;
    },
  };
}

/** Where a person sees a post: bsky.app by the author's handle and the record key. */
export function webUrl(uri: string, handle: string): string {
  const rkey = uri.split('/').pop() ?? '';
  return `https://bsky.app/profile/${handle}/post/${rkey}`;
}

/** Bluesky's counts in Pulsecast's vocabulary. No impressions, reach or clicks: absent, not zero. */
export function normalisePostView(view: PostView): NormalisedMetrics {
  return publicCounts({
    likes: view.likeCount,
    replies: view.replyCount,
    reposts: view.repostCount,
    quotes: view.quoteCount,
    saves: view.bookmarkCount,
  });
}

export interface Facet {
  index: { byteStart: number; byteEnd: number };
  features: (
    | { $type: 'app.bsky.richtext.facet#link'; uri: string }
    | { $type: 'app.bsky.richtext.facet#tag'; tag: string }
  )[];
}

/**
 * Link and hashtag facets for a post's text. Bluesky clients do not detect links in plain text:
 * without a facet a URL is not clickable. Offsets are UTF-8 byte offsets (twitter-text reports
 * UTF-16 ones), start inclusive, end exclusive.
 */
export function richTextFacets(text: string): Facet[] {
  const bytesBefore = (utf16Index: number) => Buffer.byteLength(text.slice(0, utf16Index), 'utf8');
  const facets: Facet[] = [];
  for (const { url, indices } of twitterText.extractUrlsWithIndices(text)) {
    facets.push({
      index: { byteStart: bytesBefore(indices[0]), byteEnd: bytesBefore(indices[1]) },
      features: [
        { $type: 'app.bsky.richtext.facet#link', uri: /^https?:\/\//i.test(url) ? url : `https://${url}` },
      ],
    });
  }
  for (const { hashtag, indices } of twitterText.extractHashtagsWithIndices(text)) {
    facets.push({
      index: { byteStart: bytesBefore(indices[0]), byteEnd: bytesBefore(indices[1]) },
      features: [{ $type: 'app.bsky.richtext.facet#tag', tag: hashtag }],
    });
  }
  return facets.sort((a, b) => a.index.byteStart - b.index.byteStart);
}

/** The session fields of the secret, when a session is stored there. */
function sessionOf(credentials: BlueskyCredentials): Session | undefined {
  const { did, handle, accessJwt, refreshJwt } = credentials;
  return did && handle && accessJwt && refreshJwt ? { did, handle, accessJwt, refreshJwt } : undefined;
}

/** The session of credentials that have just been opened (and so signed in). */
function signedIn(credentials: BlueskyCredentials): Session {
  const session = sessionOf(credentials);
  if (!session)
    throw new PlatformError('unavailable', 'Bluesky gave no session', { platformCode: 'session' });
  return session;
}

function sessionFields(answer: Session): Session {
  return {
    did: answer.did,
    handle: answer.handle,
    accessJwt: answer.accessJwt,
    refreshJwt: answer.refreshJwt,
  };
}

/** The `exp` claim of a JWT, in epoch milliseconds (undefined when it cannot be read). */
function jwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
