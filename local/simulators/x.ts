import { createHash } from 'node:crypto';
import twitterText from 'twitter-text';
import type { Engagement } from './audience.ts';
import { json, recentDuplicate, SimError, startSimulator } from './base.ts';
import { accountFollowers } from './history.ts';
import {
  type AccountsSimulatorHandle,
  numbered,
  numberedAccounts,
  type OAuthSimulatorOptions,
  oauthSimTokens,
} from './setup.ts';
import type * as Sim from './sim.ts';
import { xConversationRoutes } from './x-conversation.ts';
import { invalidRequest, mediaKey, XMediaUploads } from './x-media.ts';

/**
 * A local stand-in for the X API v2, speaking the parts Pulsecast uses exactly as X documents
 * them: OAuth 2.0 bearer tokens that expire after two hours and rotate on refresh
 * (`POST /2/oauth2/token`), `POST /2/tweets` (201, links rewritten to t.co, 403 for over-long
 * or duplicate text), `GET /2/tweets?ids=` (≤ 100, partial `errors` for missing posts,
 * non-public metrics only for the owner's posts younger than 30 days), `GET /2/users/me`,
 * `GET /2/users/:id/tweets`, recent search and mentions over the simulated conversation
 * (x-conversation.ts), the simple and chunked media uploads, `x-rate-limit-*` headers and
 * X's problem-details errors.
 */

export interface XSimAccount {
  /** The Pulsecast channel this account stands for (its audience settings). */
  channel: string;
  userId: string;
  username: string;
  name: string;
  /** Tokens valid when the simulator starts (a refresh rotates them). */
  accessToken: string;
  refreshToken: string;
  clientId: string;
  clientSecret?: string;
}

export interface XSimulatorOptions extends OAuthSimulatorOptions<XSimAccount> {
  /** Whether the app's plan includes recent search; false answers it 403 as X's free plan does. @default true */
  recentSearch?: boolean;
}

export type XSimulatorHandle = AccountsSimulatorHandle<XSimAccount>;

export const DEFAULT_X_ACCOUNT: XSimAccount = {
  channel: 'x-main',
  userId: '1580000000000000001',
  username: 'pulsecast',
  name: 'Pulsecast',
  ...oauthSimTokens('x'),
  clientId: 'x-sim-client-id',
};

const TITLES: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const xDialect: Sim.Dialect = {
  rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
    'x-rate-limit-limit': String(limit),
    'x-rate-limit-remaining': String(Math.max(0, remaining)),
    'x-rate-limit-reset': String(Math.floor(resetAt.getTime() / 1000)),
  }),
  tooManyRequests: () =>
    json(429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }),
  serverError: (status) => {
    const title = TITLES[status] ?? 'Internal Server Error';
    return json(status, { title, detail: title, type: 'about:blank', status });
  },
  unauthorized: () =>
    json(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' }),
  notFound: () => json(404, { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] }),
};

function forbidden(detail: string): SimError {
  return new SimError(json(403, { detail, type: 'about:blank', title: 'Forbidden', status: 403 }));
}

export async function startXSimulator(options: XSimulatorOptions = {}): Promise<XSimulatorHandle> {
  const accounts = numberedAccounts('x', options.accounts, DEFAULT_X_ACCOUNT, (n) => ({
    userId: numbered('15800000000000000', n, 2),
    username: `pulsecast${n}`,
    ...oauthSimTokens('x', n),
  }));
  const ttl = options.accessTokenTtlSeconds ?? 7200;
  const uploads = new XMediaUploads(options.videoProcessingPolls ?? 1);
  const accountById = (userId: string) => accounts.find((a) => a.userId === userId);

  const routes: Sim.Route[] = [
    { method: 'POST', path: '/2/oauth2/token', handle: (req, ctx) => token(req, ctx) },
    {
      method: 'GET',
      path: '/2/users/me',
      auth: true,
      handle: (req, ctx) => {
        const account = accountById(req.auth?.account ?? '');
        if (!account) throw new SimError(xDialect.unauthorized('invalid'));
        const metrics = (req.query.get('user.fields') ?? '').split(',').includes('public_metrics')
          ? { public_metrics: { followers_count: accountFollowers(ctx, account.userId, account.channel) } }
          : {};
        return json(200, {
          data: { id: account.userId, name: account.name, username: account.username, ...metrics },
        });
      },
    },
    { method: 'POST', path: '/2/tweets', auth: true, handle: (req, ctx) => createTweet(req, ctx) },
    { method: 'GET', path: '/2/tweets', auth: true, handle: (req, ctx) => lookupTweets(req, ctx) },
    ...uploads.routes,
    ...xConversationRoutes({
      accounts,
      recentSearch: options.recentSearch ?? true,
      tweetJson: (post, ctx, fields) => renderTweet(post, ctx, fields, undefined, new Set()).tweet,
      userTweets,
    }),
  ];

  function token(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const form = (req.body ?? {}) as Record<string, string>;
    const basic = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    let clientId = form.client_id;
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      const client = accounts.find((a) => a.clientId === id);
      if (!client || (client.clientSecret !== undefined && client.clientSecret !== secret)) {
        return json(401, {
          error: 'unauthorized_client',
          error_description: 'Missing valid authorization header',
        });
      }
      clientId = id;
    }
    if (form.grant_type !== 'refresh_token') {
      return json(400, {
        error: 'invalid_request',
        error_description: 'Value passed for the grant type was invalid.',
      });
    }
    const checked = ctx.tokens.check(form.refresh_token ?? '', 'refresh');
    const account = checked.ok ? accountById(checked.account) : undefined;
    if (!checked.ok || !account) {
      return json(400, {
        error: 'invalid_request',
        error_description: 'Value passed for the token was invalid.',
      });
    }
    if (account.clientId !== clientId) {
      return json(400, {
        error: 'invalid_request',
        error_description: 'Missing required parameter [client_id].',
      });
    }
    if (account.clientSecret !== undefined && !basic) {
      return json(401, {
        error: 'unauthorized_client',
        error_description: 'Missing valid authorization header',
      });
    }
    // Refresh tokens rotate: the one just spent stops working.
    ctx.tokens.revoke(form.refresh_token ?? '');
    const accessToken = ctx.tokens.issue(account.userId, { ttlSeconds: ttl });
    const refreshToken = ctx.tokens.issue(account.userId, { kind: 'refresh' });
    return json(200, {
      token_type: 'bearer',
      expires_in: ttl,
      access_token: accessToken,
      scope: 'tweet.write users.read tweet.read media.write offline.access',
      refresh_token: refreshToken,
    });
  }

  function createTweet(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountById(req.auth?.account ?? '');
    if (!account) throw new SimError(xDialect.unauthorized('invalid'));
    const body = req.body as { text?: unknown; media?: { media_ids?: unknown } } | undefined;
    if (!body || typeof body !== 'object') throw invalidRequest('Request body must be JSON.');
    const text = typeof body.text === 'string' ? body.text : '';
    const mediaIds = Array.isArray(body.media?.media_ids)
      ? (body.media.media_ids as unknown[]).map(String)
      : [];
    if (text === '' && mediaIds.length === 0) {
      throw invalidRequest('Post text or media is required.', 'text');
    }
    if (text !== '' && twitterText.parseTweet(text).weightedLength > 280) {
      throw forbidden(
        'Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.',
      );
    }
    if (text !== '' && recentDuplicate(ctx, account.userId, text, 36))
      throw forbidden('You are not allowed to create a Tweet with duplicate content.');

    const media: Sim.Media[] = [];
    for (const id of mediaIds) {
      const upload = uploads.find(id);
      if (!upload || upload.account !== account.userId) {
        throw invalidRequest(`Your media IDs are invalid.`, 'media.media_ids', [id]);
      }
      if (!upload.finalized || upload.pollsLeft > 0) {
        throw invalidRequest(`Your media ID ${id} is still processing.`, 'media.media_ids', [id]);
      }
      media.push({ id, kind: upload.kind, mimeType: upload.mimeType, bytes: upload.totalBytes });
    }
    if (media.length > 4 || (media.length > 1 && media.some((m) => m.kind === 'video'))) {
      throw invalidRequest(
        'Your media IDs are invalid: up to 4 images or 1 video.',
        'media.media_ids',
        mediaIds,
      );
    }

    const id = ctx.nextId();
    const shortened = shortenLinks(text);
    ctx.addPost({
      id,
      channel: account.channel,
      account: account.userId,
      text,
      media,
      publishedAt: ctx.now(),
      url: `https://x.com/${account.username}/status/${id}`,
      data: { shortenedText: shortened, mediaKeys: media.map((m) => mediaKey(m)) },
    });
    return json(201, { data: { id, text: shortened, edit_history_tweet_ids: [id] } });
  }

  function lookupTweets(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const raw = req.query.get('ids') ?? '';
    const ids = raw === '' ? [] : raw.split(',');
    if (ids.length < 1 || ids.length > 100) {
      throw invalidRequest(
        `The number of values in the \`ids\` query parameter list [${ids.length}] is not between 1 and 100`,
        'ids',
        [raw],
      );
    }
    const fields = new Set((req.query.get('tweet.fields') ?? '').split(',').filter(Boolean));
    const expand = (req.query.get('expansions') ?? '').split(',').includes('attachments.media_keys');
    const mediaFields = new Set((req.query.get('media.fields') ?? '').split(',').filter(Boolean));
    const data: unknown[] = [];
    const errors: unknown[] = [];
    const includedMedia: unknown[] = [];
    for (const id of ids) {
      const post = ctx.findPost(id);
      if (!post || post.deleted) {
        errors.push({
          value: id,
          detail: `Could not find tweet with ids: [${id}].`,
          title: 'Not Found Error',
          resource_type: 'tweet',
          parameter: 'ids',
          resource_id: id,
          type: 'https://api.twitter.com/2/problems/resource-not-found',
        });
        continue;
      }
      const { tweet, fieldErrors, media } = renderTweet(post, ctx, fields, req.auth?.account, mediaFields);
      data.push(tweet);
      errors.push(...fieldErrors);
      if (expand) includedMedia.push(...media);
    }
    return json(200, {
      ...(data.length ? { data } : {}),
      ...(includedMedia.length ? { includes: { media: includedMedia } } : {}),
      ...(errors.length ? { errors } : {}),
    });
  }

  function userTweets(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const userId = req.params.id ?? '';
    const max = Number(req.query.get('max_results') ?? 10);
    if (!Number.isInteger(max) || max < 5 || max > 100) {
      throw invalidRequest(
        `The \`max_results\` query parameter value [${max}] is not between 5 and 100`,
        'max_results',
        [String(max)],
      );
    }
    if (!accountById(userId)) {
      return json(200, {
        errors: [
          {
            value: userId,
            detail: `Could not find user with id: [${userId}].`,
            title: 'Not Found Error',
            resource_type: 'user',
            parameter: 'id',
            resource_id: userId,
            type: 'https://api.twitter.com/2/problems/resource-not-found',
          },
        ],
      });
    }
    const start = req.query.get('start_time');
    const end = req.query.get('end_time');
    const fields = new Set((req.query.get('tweet.fields') ?? '').split(',').filter(Boolean));
    const timeline = ctx.posts
      .filter((p) => p.account === userId && !p.deleted)
      .filter((p) => !start || p.publishedAt.getTime() >= Date.parse(start))
      .filter((p) => !end || p.publishedAt.getTime() <= Date.parse(end))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    const offset = Number(req.query.get('pagination_token') ?? 0) || 0;
    const page = timeline.slice(offset, offset + max);
    if (page.length === 0) return json(200, { meta: { result_count: 0 } });
    const nextOffset = offset + page.length;
    return json(200, {
      data: page.map((p) => renderTweet(p, ctx, fields, req.auth?.account, new Set()).tweet),
      meta: {
        result_count: page.length,
        newest_id: page[0]?.id,
        oldest_id: page[page.length - 1]?.id,
        ...(nextOffset < timeline.length ? { next_token: String(nextOffset) } : {}),
      },
    });
  }

  function renderTweet(
    post: Sim.Post,
    ctx: Sim.Context,
    fields: Set<string>,
    requester: string | undefined,
    mediaFields: Set<string>,
  ): { tweet: Record<string, unknown>; fieldErrors: unknown[]; media: unknown[] } {
    const e = ctx.audience.engagementAt(post, ctx.now());
    const tweet: Record<string, unknown> = {
      id: post.id,
      text: String(post.data.shortenedText ?? post.text),
      edit_history_tweet_ids: [post.id],
    };
    const fieldErrors: unknown[] = [];
    if (fields.has('created_at')) tweet.created_at = post.publishedAt.toISOString();
    if (fields.has('author_id')) tweet.author_id = post.account;
    const keys = (post.data.mediaKeys as string[] | undefined) ?? [];
    if (keys.length) tweet.attachments = { media_keys: keys };
    if (fields.has('public_metrics')) tweet.public_metrics = publicMetrics(e);
    const owner = requester === post.account;
    const young = ctx.now().getTime() - post.publishedAt.getTime() < 30 * 24 * 3_600_000;
    for (const field of ['non_public_metrics', 'organic_metrics'] as const) {
      if (!fields.has(field)) continue;
      if (owner && young) {
        tweet[field] = field === 'non_public_metrics' ? privateMetrics(e) : organicMetrics(e);
      } else {
        fieldErrors.push({
          value: post.id,
          detail: `Sorry, you are not authorized to access '${field}' on the Tweet with ids ${post.id}.`,
          title: 'Field Authorization Error',
          resource_type: 'tweet',
          parameter: 'tweet.fields',
          resource_id: post.id,
          field,
          type: 'https://api.twitter.com/2/problems/not-authorized-for-field',
        });
      }
    }
    const media = post.media.map((m) => ({
      media_key: mediaKey(m),
      type: m.kind === 'video' ? 'video' : 'photo',
      ...(m.kind === 'video' && mediaFields.has('public_metrics')
        ? { public_metrics: { view_count: e.videoViews } }
        : {}),
    }));
    return { tweet, fieldErrors, media };
  }

  const sim = await startSimulator(
    { platform: 'x', dialect: xDialect, routes, rateLimit: { limit: 900, windowSeconds: 900 } },
    options,
  );
  for (const account of accounts) {
    sim.ctx.tokens.issue(account.userId, { value: account.accessToken, ttlSeconds: ttl });
    sim.ctx.tokens.issue(account.userId, { value: account.refreshToken, kind: 'refresh' });
  }
  return Object.assign(sim, { accounts });
}

/** X rewrites every link in a post to a t.co link (23 characters). */
function shortenLinks(text: string): string {
  const urls = twitterText.extractUrlsWithIndices(text);
  let out = '';
  let from = 0;
  for (const { url, indices } of urls) {
    const slug = createHash('sha256').update(url).digest('base64url').replace(/[-_]/g, 'x').slice(0, 10);
    out += `${text.slice(from, indices[0])}https://t.co/${slug}`;
    from = indices[1];
  }
  return out + text.slice(from);
}

function publicMetrics(e: Engagement) {
  const quotes = Math.ceil(e.shares / 4);
  return {
    retweet_count: e.shares - quotes,
    reply_count: e.comments,
    like_count: e.likes,
    quote_count: quotes,
    bookmark_count: e.saves,
    impression_count: e.impressions,
  };
}

function privateMetrics(e: Engagement) {
  const profileClicks = Math.floor(e.impressions / 200);
  return {
    impression_count: e.impressions,
    url_link_clicks: e.clicks,
    user_profile_clicks: profileClicks,
    engagements: e.likes + e.comments + e.shares + e.saves + e.clicks + profileClicks,
  };
}

function organicMetrics(e: Engagement) {
  const quotes = Math.ceil(e.shares / 4);
  return {
    impression_count: e.impressions,
    like_count: e.likes,
    reply_count: e.comments,
    retweet_count: e.shares - quotes,
    url_link_clicks: e.clicks,
    user_profile_clicks: Math.floor(e.impressions / 200),
  };
}
