import twitterText from 'twitter-text';
import { measureText } from '../../shared/platforms/rules.ts';
import { formObject, json, SimError, startSimulator } from './base.ts';
import { accountFollowers } from './history.ts';
import { mastodonConversationRoutes } from './mastodon-conversation.ts';
import {
  type AccountsSimulatorHandle,
  type AccountsSimulatorOptions,
  numbered,
  numberedAccounts,
} from './setup.ts';
import type * as Sim from './sim.ts';

/**
 * A local stand-in for a Mastodon server, speaking its REST API as documented: bearer tokens
 * that never expire but can be revoked (401), `GET /api/v2/instance` with the server's limits,
 * `POST /api/v2/media` (200 for images, 202 + `GET /api/v1/media/:id` 206→200 for video),
 * `POST /api/v1/statuses` honouring `Idempotency-Key` for an hour (a repeat returns the same
 * status) and answering 422 for text over the server's limit, `GET /api/v1/statuses/:id`,
 * `GET /api/v1/statuses?id[]=` (4.3+), `GET /api/v1/accounts/verify_credentials`,
 * `GET /api/v1/accounts/:id/statuses` (newest first, Link pagination) and `X-RateLimit-*`
 * headers (reset as an ISO timestamp).
 */

export interface MastodonSimAccount {
  channel: string;
  id: string;
  username: string;
  displayName: string;
  accessToken: string;
}

export interface MastodonSimulatorOptions extends AccountsSimulatorOptions<MastodonSimAccount> {
  /** The server's `configuration.statuses`. */
  maxCharacters?: number;
  maxMediaAttachments?: number;
  charactersReservedPerUrl?: number;
  /** Serve `GET /api/v1/statuses?id[]=` (Mastodon 4.3+). @default true */
  multiStatusEndpoint?: boolean;
  /** `GET /api/v1/media/:id` calls before a video is processed. @default 1 */
  mediaProcessingPolls?: number;
}

export interface MastodonSimulatorHandle extends AccountsSimulatorHandle<MastodonSimAccount> {
  /** Revokes an account's token, as a user removing the app would. */
  revokeToken(accessToken: string): void;
}

export const DEFAULT_MASTODON_ACCOUNT: MastodonSimAccount = {
  channel: 'mastodon-main',
  id: '109348000000000001',
  username: 'pulsecast',
  displayName: 'Pulsecast',
  accessToken: 'mastodon-sim-access-token-0001',
};

const IDEMPOTENCY_WINDOW_MS = 3_600_000;

const mastodonDialect: Sim.Dialect = {
  rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(Math.max(0, remaining)),
    // Rails' iso8601(6), as Mastodon sends it.
    'X-RateLimit-Reset': resetAt.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
  }),
  tooManyRequests: () => json(429, { error: 'Too many requests' }),
  serverError: (status) =>
    json(status, { error: status === 503 ? 'Service Unavailable' : 'Internal Server Error' }),
  unauthorized: (reason) =>
    json(401, {
      error: reason === 'missing' ? 'The access token is invalid' : 'The access token is invalid',
    }),
  notFound: () => json(404, { error: 'Record not found' }),
};

interface UploadedMedia {
  id: string;
  account: string;
  kind: 'image' | 'video';
  mimeType: string;
  bytes: number;
  pollsLeft: number;
  description: string | null;
  attached: boolean;
}

export async function startMastodonSimulator(
  options: MastodonSimulatorOptions = {},
): Promise<MastodonSimulatorHandle> {
  const accounts = numberedAccounts('mastodon', options.accounts, DEFAULT_MASTODON_ACCOUNT, (n) => ({
    id: numbered('1093480000000000', n, 2),
    username: `pulsecast${n}`,
    accessToken: numbered('mastodon-sim-access-token-', n),
  }));
  const limits = {
    maxCharacters: options.maxCharacters ?? 500,
    maxMediaAttachments: options.maxMediaAttachments ?? 4,
    charactersReservedPerUrl: options.charactersReservedPerUrl ?? 23,
  };
  const media = new Map<string, UploadedMedia>();
  const idempotency = new Map<string, { statusId: string; at: number }>();
  const byId = (id: string) => accounts.find((a) => a.id === id);

  const routes: Sim.Route[] = [
    { method: 'GET', path: '/api/v2/instance', handle: (_req, ctx) => json(200, instance(ctx)) },
    {
      method: 'GET',
      path: '/api/v1/accounts/verify_credentials',
      auth: true,
      handle: (req, ctx) => json(200, accountJson(mine(req), ctx)),
    },
    { method: 'POST', path: '/api/v2/media', auth: true, handle: (req, ctx) => uploadMedia(req, ctx) },
    {
      method: 'GET',
      path: '/api/v1/media/:id',
      auth: true,
      handle: (req, ctx) => {
        const item = media.get(req.params.id ?? '');
        if (!item || item.account !== mine(req).id) return json(404, { error: 'Record not found' });
        if (item.pollsLeft > 0) {
          item.pollsLeft -= 1;
          return { status: 206, text: '' };
        }
        return json(200, attachmentJson(item, ctx));
      },
    },
    { method: 'POST', path: '/api/v1/statuses', auth: true, handle: (req, ctx) => createStatus(req, ctx) },
    {
      method: 'GET',
      path: '/api/v1/statuses/:id',
      handle: (req, ctx) => {
        const post = ctx.findPost(req.params.id ?? '');
        if (!post || post.deleted) return json(404, { error: 'Record not found' });
        return json(200, statusJson(post, ctx));
      },
    },
    ...(options.multiStatusEndpoint === false
      ? []
      : [
          {
            method: 'GET',
            path: '/api/v1/statuses',
            handle: (req: Sim.Request, ctx: Sim.Context) => {
              const ids = req.query.getAll('id[]');
              return json(
                200,
                ids.flatMap((id) => {
                  const post = ctx.findPost(id);
                  return post && !post.deleted ? [statusJson(post, ctx)] : [];
                }),
              );
            },
          },
        ]),
    ...mastodonConversationRoutes({ accounts, statusJson, accountStatuses }),
  ];

  function mine(req: Sim.Request): MastodonSimAccount {
    const account = byId(req.auth?.account ?? '');
    if (!account) throw new SimError(mastodonDialect.unauthorized('invalid'));
    return account;
  }

  function instance(ctx: Sim.Context) {
    const domain = new URL(ctx.baseUrl).host;
    return {
      domain,
      title: 'Pulsecast simulator',
      version: '4.3.0',
      source_url: 'https://github.com/mastodon/mastodon',
      description: 'A local Mastodon stand-in for Pulsecast',
      usage: { users: { active_month: accounts.length } },
      thumbnail: { url: `${ctx.baseUrl}/thumbnail.png` },
      languages: ['en'],
      configuration: {
        urls: { streaming: `ws://${domain}`, status: null },
        accounts: { max_featured_tags: 10, max_pinned_statuses: 5 },
        statuses: {
          max_characters: limits.maxCharacters,
          max_media_attachments: limits.maxMediaAttachments,
          characters_reserved_per_url: limits.charactersReservedPerUrl,
        },
        media_attachments: {
          supported_mime_types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4'],
          image_size_limit: 16777216,
          image_matrix_limit: 33177600,
          video_size_limit: 103809024,
          video_frame_rate_limit: 120,
          video_matrix_limit: 8294400,
        },
        polls: {
          max_options: 4,
          max_characters_per_option: 50,
          min_expiration: 300,
          max_expiration: 2629746,
        },
        translation: { enabled: false },
      },
      registrations: { enabled: false, approval_required: false, message: null },
      contact: { email: 'admin@pulsecast.example' },
      rules: [],
    };
  }

  function uploadMedia(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = mine(req);
    const file = req.form?.get('file');
    if (!file || typeof file === 'string') {
      return json(422, { error: 'Validation failed: File content type is invalid, File is invalid' });
    }
    const mimeType = file.type || 'application/octet-stream';
    if (!/^(image|video)\//.test(mimeType)) {
      return json(422, { error: 'Validation failed: File content type is invalid, File is invalid' });
    }
    const kind = mimeType.startsWith('video/') ? 'video' : 'image';
    const item: UploadedMedia = {
      id: ctx.nextId(),
      account: account.id,
      kind,
      mimeType,
      bytes: file.size,
      pollsLeft: kind === 'video' ? (options.mediaProcessingPolls ?? 1) : 0,
      description:
        typeof req.form?.get('description') === 'string' ? String(req.form?.get('description')) : null,
      attached: false,
    };
    media.set(item.id, item);
    // Mastodon ≥ 4.0 processes images synchronously (200) and video in the background (202).
    return kind === 'video'
      ? json(202, { ...attachmentJson(item, ctx), url: null })
      : json(200, attachmentJson(item, ctx));
  }

  function createStatus(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = mine(req);
    const key = req.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' && key !== '' ? `${account.id}:${key}` : undefined;
    if (idempotencyKey) {
      const seen = idempotency.get(idempotencyKey);
      if (seen && ctx.now().getTime() - seen.at < IDEMPOTENCY_WINDOW_MS) {
        const post = ctx.findPost(seen.statusId);
        if (post) return json(200, statusJson(post, ctx));
      }
    }
    const body = (req.body ?? (req.form ? formFields(req.form) : {})) as Record<string, unknown>;
    const text = typeof body.status === 'string' ? body.status : '';
    const rawIds = body.media_ids ?? body['media_ids[]'] ?? [];
    const mediaIds = (Array.isArray(rawIds) ? rawIds : [rawIds]).map(String).filter((v) => v !== '');
    if (text.trim() === '' && mediaIds.length === 0) {
      return json(422, { error: "Validation failed: Text can't be blank" });
    }
    const length = measureText('mastodon', text, {
      maxCharacters: limits.maxCharacters,
      charactersReservedPerUrl: limits.charactersReservedPerUrl,
    }).length;
    if (length > limits.maxCharacters) {
      return json(422, {
        error: `Validation failed: Text character limit of ${limits.maxCharacters} exceeded`,
      });
    }
    if (mediaIds.length > limits.maxMediaAttachments) {
      return json(422, {
        error: `Validation failed: Cannot attach more than ${limits.maxMediaAttachments} files`,
      });
    }
    const attachments: UploadedMedia[] = [];
    for (const id of mediaIds) {
      const item = media.get(id);
      if (!item || item.account !== account.id || item.attached) {
        return json(422, { error: 'Validation failed: Media attachments are invalid' });
      }
      if (item.pollsLeft > 0) {
        return json(422, {
          error: 'Cannot attach files that have not finished processing. Try again in a moment!',
        });
      }
      attachments.push(item);
    }
    if (attachments.length > 1 && attachments.some((a) => a.kind === 'video')) {
      return json(422, {
        error: 'Validation failed: Cannot attach a video to a post that already contains images',
      });
    }
    for (const item of attachments) item.attached = true;
    const id = ctx.nextId();
    const simMedia: Sim.Media[] = attachments.map((a) => ({
      id: a.id,
      kind: a.kind,
      mimeType: a.mimeType,
      bytes: a.bytes,
    }));
    const post = ctx.addPost({
      id,
      channel: account.channel,
      account: account.id,
      text,
      media: simMedia,
      publishedAt: ctx.now(),
      url: `${ctx.baseUrl}/@${account.username}/${id}`,
      data: {
        visibility: typeof body.visibility === 'string' ? body.visibility : 'public',
        language: typeof body.language === 'string' ? body.language : 'en',
        attachments: attachments.map((a) => attachmentJson(a, ctx)),
      },
    });
    if (idempotencyKey) idempotency.set(idempotencyKey, { statusId: id, at: ctx.now().getTime() });
    return json(200, statusJson(post, ctx));
  }

  function accountStatuses(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = byId(req.params.id ?? '');
    if (!account) return json(404, { error: 'Record not found' });
    const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 20) || 20, 1), 40);
    const maxId = req.query.get('max_id');
    const sinceId = req.query.get('since_id') ?? req.query.get('min_id');
    const list = ctx.posts
      .filter((p) => p.account === account.id && !p.deleted)
      .filter((p) => !maxId || BigInt(p.id) < BigInt(maxId))
      .filter((p) => !sinceId || BigInt(p.id) > BigInt(sinceId))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
      .slice(0, limit);
    const headers: Record<string, string> = {};
    const first = list[0];
    const last = list.at(-1);
    if (first && last) {
      const base = `${ctx.baseUrl}/api/v1/accounts/${account.id}/statuses`;
      headers.Link = `<${base}?limit=${limit}&max_id=${last.id}>; rel="next", <${base}?limit=${limit}&min_id=${first.id}>; rel="prev"`;
    }
    return json(
      200,
      list.map((p) => statusJson(p, ctx)),
      headers,
    );
  }

  function accountJson(account: MastodonSimAccount, ctx: Sim.Context) {
    return {
      id: account.id,
      username: account.username,
      acct: account.username,
      display_name: account.displayName,
      locked: false,
      bot: false,
      discoverable: true,
      group: false,
      created_at: '2022-11-12T00:00:00.000Z',
      note: '<p>Posts scheduled with Pulsecast</p>',
      url: `${ctx.baseUrl}/@${account.username}`,
      avatar: `${ctx.baseUrl}/avatars/original/missing.png`,
      avatar_static: `${ctx.baseUrl}/avatars/original/missing.png`,
      header: `${ctx.baseUrl}/headers/original/missing.png`,
      header_static: `${ctx.baseUrl}/headers/original/missing.png`,
      followers_count: accountFollowers(ctx, account.id, account.channel),
      following_count: 150,
      statuses_count: ctx.posts.filter((p) => p.account === account.id && !p.deleted).length,
      last_status_at: null,
      emojis: [],
      fields: [],
    };
  }

  function attachmentJson(item: UploadedMedia, ctx: Sim.Context) {
    const extension = item.mimeType.split('/')[1] ?? 'bin';
    return {
      id: item.id,
      type: item.kind,
      url: `${ctx.baseUrl}/system/media_attachments/files/original/${item.id}.${extension}`,
      preview_url: `${ctx.baseUrl}/system/media_attachments/files/small/${item.id}.png`,
      remote_url: null,
      text_url: null,
      meta: {},
      description: item.description,
      blurhash: null,
    };
  }

  function statusJson(post: Sim.Post, ctx: Sim.Context) {
    const account = byId(post.account) ?? DEFAULT_MASTODON_ACCOUNT;
    const e = ctx.audience.engagementAt(post, ctx.now());
    const quotes = Math.ceil(e.shares / 4);
    return {
      id: post.id,
      created_at: post.publishedAt.toISOString(),
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      sensitive: false,
      spoiler_text: '',
      visibility: post.data.visibility ?? 'public',
      language: post.data.language ?? 'en',
      uri: `${ctx.baseUrl}/users/${account.username}/statuses/${post.id}`,
      url: post.url,
      replies_count: e.comments,
      reblogs_count: e.shares - quotes,
      favourites_count: e.likes,
      quotes_count: quotes,
      edited_at: null,
      favourited: false,
      reblogged: false,
      muted: false,
      bookmarked: false,
      content: statusHtml(post.text, ctx.baseUrl),
      reblog: null,
      application: { name: 'Pulsecast', website: null },
      account: accountJson(account, ctx),
      media_attachments: post.data.attachments ?? [],
      mentions: [],
      tags: twitterText.extractHashtags(post.text).map((tag) => ({
        name: tag.toLowerCase(),
        url: `${ctx.baseUrl}/tags/${tag.toLowerCase()}`,
      })),
      emojis: [],
      card: null,
      poll: null,
    };
  }

  const sim = await startSimulator(
    { platform: 'mastodon', dialect: mastodonDialect, routes, rateLimit: { limit: 300, windowSeconds: 300 } },
    options,
  );
  for (const account of accounts) sim.ctx.tokens.issue(account.id, { value: account.accessToken });
  return Object.assign(sim, {
    accounts,
    revokeToken: (accessToken: string) => sim.ctx.tokens.revoke(accessToken),
  });
}

/**
 * A status's text as Mastodon renders it: paragraphs, line breaks, links shortened with
 * invisible spans (the full URL is still in the markup), hashtags linked.
 */
export function statusHtml(text: string, baseUrl: string): string {
  // Mastodon links only URLs with a scheme.
  const entities = [
    ...twitterText.extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false }),
    ...twitterText.extractHashtagsWithIndices(text),
  ]
    .sort((a, b) => a.indices[0] - b.indices[0])
    .filter((entity, i, all) => i === 0 || entity.indices[0] >= (all[i - 1]?.indices[1] ?? 0));
  let html = '';
  let from = 0;
  for (const entity of entities) {
    html += escapeHtml(text.slice(from, entity.indices[0]));
    if ('url' in entity) {
      const url = entity.url;
      const scheme = /^https?:\/\//.exec(url)?.[0] ?? '';
      const rest = url.slice(scheme.length);
      html +=
        `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener noreferrer" translate="no">` +
        `<span class="invisible">${escapeHtml(scheme)}</span><span class="${rest.length > 30 ? 'ellipsis' : ''}">${escapeHtml(rest.slice(0, 30))}</span>` +
        `<span class="invisible">${escapeHtml(rest.slice(30))}</span></a>`;
    } else if ('hashtag' in entity) {
      html += `<a href="${baseUrl}/tags/${encodeURIComponent(entity.hashtag.toLowerCase())}" class="mention hashtag" rel="tag">#<span>${escapeHtml(entity.hashtag)}</span></a>`;
    }
    from = entity.indices[1];
  }
  html += escapeHtml(text.slice(from));
  return html
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br />')}</p>`)
    .join('');
}

function formFields(form: FormData): Record<string, string | string[]> {
  const params = new URLSearchParams();
  for (const [key, value] of form) if (typeof value === 'string') params.append(key, value);
  return formObject(params);
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
