import * as z from 'zod';
import type { Channel, NormalisedMetrics } from '../domain/index.ts';
import {
  type AdapterOptions,
  type HttpRequest,
  type HttpResponse,
  PlatformHttp,
  readAnswer,
} from './http.ts';
import { downloadMedia } from './media.ts';
import { batchReadings, chunk, publicCounts } from './metrics.ts';
import { type CredentialStore, type MetricsReading, type PlatformAdapter, PlatformError } from './port.ts';
import { beforePublishing, comparableText, lookupWindowStart, rejectInvalid } from './posting.ts';
import {
  composePublishedText,
  MASTODON_CHARACTERS_PER_URL,
  PLATFORM_RULES,
  validatePostForPlatform,
} from './rules.ts';
import { CredentialSessions, credentialHealth, credentialSecrets } from './session.ts';

/**
 * Mastodon (REST API), against the channel's own server:
 * - the server's limits come from `GET /api/v2/instance` (`configuration.statuses`), cached per
 *   server for an hour, and the post is checked against them before anything is sent;
 * - publish: `POST /api/v1/statuses` with an `Idempotency-Key` that is the same on every attempt
 *   for the same post (Mastodon remembers keys for about an hour and answers a repeat with the
 *   status it already created), media first through `POST /api/v2/media` (202 = still
 *   processing, polled with `GET /api/v1/media/:id` until 200);
 * - metrics: `GET /api/v1/statuses?id[]=…` (Mastodon 4.3+, 20 at a time), falling back to
 *   `GET /api/v1/statuses/:id` on older servers: favourites, reblogs (+ quotes on 4.5+), replies;
 * - lookup: the account's own statuses (`GET /api/v1/accounts/:id/statuses`) searched for our text.
 * Credentials (the secret): `{ accessToken }`; Mastodon tokens do not expire, so a 401 means
 * the token was revoked: PlatformError `auth`.
 */

const BATCH_SIZE = 20;
const INSTANCE_TTL_MS = 3_600_000;
const MAX_MEDIA_POLLS = 60;

export const MastodonCredentials = z.looseObject({ accessToken: z.string().min(1) });

const InstanceAnswer = z.looseObject({
  configuration: z
    .looseObject({
      statuses: z
        .looseObject({
          max_characters: z.number().optional(),
          max_media_attachments: z.number().optional(),
          characters_reserved_per_url: z.number().optional(),
        })
        .optional(),
    })
    .optional(),
});
export const Status = z.looseObject({
  id: z.string().min(1),
  url: z.string().nullable().optional(),
  uri: z.string().optional(),
  created_at: z.string().optional(),
  content: z.string().optional(),
  replies_count: z.number().optional(),
  reblogs_count: z.number().optional(),
  favourites_count: z.number().optional(),
  quotes_count: z.number().optional(),
});
type Status = z.infer<typeof Status>;
const MediaAttachment = z.looseObject({ id: z.string().min(1), url: z.string().nullable().optional() });
const Account = z.looseObject({ id: z.string().min(1), username: z.string().optional() });

/** The channel's server: its `apiBaseUrl`, else the domain of its `@user@server` handle. */
export function serverOf(channel: Channel): string {
  if (channel.apiBaseUrl) return channel.apiBaseUrl.replace(/\/+$/, '');
  // `@alice@mastodon.social` names its server.
  const domain = /^@?[^@\s]+@([^@\s]+)$/.exec(channel.handle.trim())?.[1];
  if (domain) return `https://${domain}`;
  throw new PlatformError(
    'rejected',
    `the Mastodon channel '${channel.id}' names no server: give its handle as @user@server or set apiBaseUrl`,
    { platformCode: 'no-server' },
  );
}

interface InstanceLimits {
  maxCharacters: number;
  maxMediaAttachments: number;
  charactersReservedPerUrl: number;
}

/**
 * A Mastodon account over one HTTP layer: its server and authenticated calls. The publishing
 * adapter and the listening adapter (mastodon-listening.ts) both use it.
 */
export function mastodonSession(http: PlatformHttp) {
  // Mastodon tokens do not expire: nothing to refresh.
  const sessions = new CredentialSessions(
    { platformName: 'Mastodon', schema: MastodonCredentials },
    http.now,
  );

  /** A request with the channel's token, and the token's value to keep out of messages. */
  async function authorised(
    channel: Channel,
    store: CredentialStore,
    request: HttpRequest,
  ): Promise<HttpRequest> {
    const credentials = await sessions.read(channel, store);
    return {
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${credentials.accessToken}` },
      secrets: credentialSecrets(credentials),
    };
  }

  async function call(channel: Channel, store: CredentialStore, request: HttpRequest): Promise<HttpResponse> {
    const sent = await authorised(channel, store, request);
    const response = await http.request(sent);
    if (!response.ok) {
      const error = http.responseError(response, sent);
      if (error.kind === 'auth') {
        throw new PlatformError(
          'auth',
          `${error.message.replace(/ \(the credentials were refused; reconnect the channel\)$/, '')} (Mastodon tokens do not expire: it was revoked; reconnect the channel)`,
          { ...error.details, platformCode: 'token-revoked' },
        );
      }
      throw error;
    }
    return response;
  }

  return { sessions, serverOf, authorised, call };
}

export function createMastodonAdapter(options: AdapterOptions = {}): PlatformAdapter {
  const http = new PlatformHttp('Mastodon', options);
  const { sessions, serverOf, authorised, call } = mastodonSession(http);
  const instances = new Map<string, { limits: InstanceLimits; at: number }>();
  /** Servers older than 4.3 have no multi-status endpoint: remembered so we ask once. */
  const noBatch = new Set<string>();

  async function limitsOf(server: string): Promise<InstanceLimits> {
    const cached = instances.get(server);
    const now = http.now().getTime();
    if (cached && now - cached.at < INSTANCE_TTL_MS) return cached.limits;
    const defaults: InstanceLimits = {
      maxCharacters: PLATFORM_RULES.mastodon.textLimit,
      maxMediaAttachments: PLATFORM_RULES.mastodon.maxMedia,
      charactersReservedPerUrl: MASTODON_CHARACTERS_PER_URL,
    };
    let limits = defaults;
    try {
      const response = await http.request({ method: 'GET', url: `${server}/api/v2/instance` });
      if (response.ok) {
        const statuses = InstanceAnswer.parse(response.body).configuration?.statuses;
        limits = {
          maxCharacters: statuses?.max_characters ?? defaults.maxCharacters,
          maxMediaAttachments: statuses?.max_media_attachments ?? defaults.maxMediaAttachments,
          charactersReservedPerUrl:
            statuses?.characters_reserved_per_url ?? defaults.charactersReservedPerUrl,
        };
      }
    } catch {
      // The limits sharpen the check; without them the stock defaults apply and the server
      // still has the last word (a 422 comes back as `rejected`).
      return defaults;
    }
    instances.set(server, { limits, at: now });
    return limits;
  }

  async function uploadMedia(
    channel: Channel,
    store: CredentialStore,
    server: string,
    url: string,
  ): Promise<string> {
    const file = await downloadMedia(http, url);
    const form = new FormData();
    form.set('file', new Blob([file.bytes], { type: file.mimeType }), file.fileName);
    const response = await call(channel, store, {
      method: 'POST',
      url: `${server}/api/v2/media`,
      body: form,
      timeoutMs: 60_000,
    });
    const attachment = readAnswer(
      'Mastodon',
      MediaAttachment,
      response.body,
      'the media upload',
      'unavailable',
    );
    if (response.status !== 202) return attachment.id;
    // 202: still processing (video, large images). It can be attached once GET says 200.
    for (let poll = 0; poll < MAX_MEDIA_POLLS; poll++) {
      await http.sleep(1000);
      const check = await call(channel, store, {
        method: 'GET',
        url: `${server}/api/v1/media/${encodeURIComponent(attachment.id)}`,
      });
      if (check.status === 200) return attachment.id;
    }
    throw new PlatformError(
      'unavailable',
      `Mastodon was still processing '${file.fileName}'; try again later`,
      { platformCode: 'media-processing-slow' },
    );
  }

  function statusUrl(server: string, channel: Channel, status: Status): string {
    if (status.url) return status.url;
    const user = /^@?([^@\s]+)/.exec(channel.handle.trim())?.[1] ?? 'web';
    return `${server}/@${user}/${status.id}`;
  }

  async function fetchBatch(
    channel: Channel,
    store: CredentialStore,
    server: string,
    ids: string[],
  ): Promise<Map<string, Status> | undefined> {
    if (noBatch.has(server)) return undefined;
    const query = new URLSearchParams();
    for (const id of ids) query.append('id[]', id);
    const request = await authorised(channel, store, {
      method: 'GET',
      url: `${server}/api/v1/statuses?${query}`,
    });
    const response = await http.request(request);
    if (response.status === 404) {
      noBatch.add(server);
      return undefined;
    }
    if (!response.ok) throw http.responseError(response, request);
    const statuses = readAnswer(
      'Mastodon',
      z.array(Status),
      response.body,
      'the statuses lookup',
      'unavailable',
    );
    return new Map(statuses.map((s) => [s.id, s]));
  }

  return {
    platform: 'mastodon',
    capabilities: { lookup: true, metricsBatchSize: BATCH_SIZE },

    checkCredentials(channel, store) {
      return credentialHealth('Mastodon', channel, async () => {
        await call(channel, store, {
          method: 'GET',
          url: `${serverOf(channel)}/api/v1/accounts/verify_credentials`,
        });
        return { refreshed: false };
      });
    },

    validate(post) {
      // The server's own limits are only known once a channel is at hand (publish checks them).
      return validatePostForPlatform('mastodon', post);
    },

    async publish(post, channel, store, context) {
      const server = serverOf(channel);
      const limits = await limitsOf(server);
      rejectInvalid('mastodon', post, {
        maxCharacters: limits.maxCharacters,
        charactersReservedPerUrl: limits.charactersReservedPerUrl,
        maxMediaAttachments: limits.maxMediaAttachments,
      });
      const text = composePublishedText('mastodon', post.text, post.link);
      const mediaIds = await beforePublishing(async () => {
        await sessions.read(channel, store);
        const ids: string[] = [];
        for (const url of post.media) ids.push(await uploadMedia(channel, store, server, url));
        return ids;
      });
      const response = await call(channel, store, {
        method: 'POST',
        url: `${server}/api/v1/statuses`,
        // The same key on every attempt: a retry after a lost answer returns the status Mastodon
        // already created instead of a second one (keys are kept about an hour).
        headers: { 'idempotency-key': context.idempotencyKey },
        json: { status: text, visibility: 'public', ...(mediaIds.length > 0 ? { media_ids: mediaIds } : {}) },
        ...(context.signal ? { signal: context.signal } : {}),
      });
      const status = readAnswer('Mastodon', Status, response.body, 'the new status', 'ambiguous');
      return http.published(response, status.id, statusUrl(server, channel, status));
    },

    async lookup(post, channel, store) {
      const server = serverOf(channel);
      const me = await call(channel, store, {
        method: 'GET',
        url: `${server}/api/v1/accounts/verify_credentials`,
      });
      const account = readAnswer('Mastodon', Account, me.body, 'verify_credentials', 'unavailable');
      const wanted = comparableText(composePublishedText('mastodon', post.text, post.link));
      const since = lookupWindowStart(post).getTime();
      let maxId: string | undefined;
      for (let page = 0; page < 10; page++) {
        const query = new URLSearchParams({ limit: '40', exclude_replies: 'true', exclude_reblogs: 'true' });
        if (maxId) query.set('max_id', maxId);
        const response = await call(channel, store, {
          method: 'GET',
          url: `${server}/api/v1/accounts/${encodeURIComponent(account.id)}/statuses?${query}`,
        });
        const statuses = readAnswer(
          'Mastodon',
          z.array(Status),
          response.body,
          'the account statuses',
          'unavailable',
        );
        for (const status of statuses) {
          if (comparableText(htmlToText(status.content ?? '')) === wanted) {
            return { platformPostId: status.id, platformUrl: statusUrl(server, channel, status) };
          }
        }
        const last = statuses.at(-1);
        // Newest first: stop once the page reaches back before the post was due.
        if (!last || Date.parse(last.created_at ?? '') < since) break;
        maxId = last.id;
      }
      return undefined;
    },

    async fetchMetrics(posts, channel, store): Promise<MetricsReading[]> {
      const server = serverOf(channel);
      const readings: MetricsReading[] = [];
      for (const batch of chunk(posts, BATCH_SIZE)) {
        let found = await fetchBatch(
          channel,
          store,
          server,
          batch.map((p) => p.platformPostId),
        );
        if (!found) {
          found = new Map();
          for (const post of batch) {
            const request = await authorised(channel, store, {
              method: 'GET',
              url: `${server}/api/v1/statuses/${encodeURIComponent(post.platformPostId)}`,
            });
            const response = await http.request(request);
            if (response.status === 404) continue;
            if (!response.ok) throw http.responseError(response, request);
            found.set(
              post.platformPostId,
              readAnswer('Mastodon', Status, response.body, 'the status', 'unavailable'),
            );
          }
        }
        // Missing from the answer (404 alone): deleted, or no longer visible to us.
        readings.push(...batchReadings(batch, found, normaliseStatus));
      }
      return readings;
    },
  };
}

/** Mastodon's counts in Pulsecast's vocabulary; Mastodon reports no impressions, reach or clicks. */
export function normaliseStatus(status: Status): NormalisedMetrics {
  return publicCounts({
    likes: status.favourites_count,
    replies: status.replies_count,
    reposts: status.reblogs_count,
    quotes: status.quotes_count,
  });
}

/**
 * The text of a status's HTML `content`, close to what was posted: paragraphs and line breaks
 * back to newlines, tags dropped (Mastodon's shortened-link spans hold the full URL between
 * them), entities decoded.
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<\/p>\s*<p>/gi, '\n\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}
