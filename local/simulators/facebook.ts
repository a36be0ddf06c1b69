import { createHash } from 'node:crypto';
import type { AudienceModel, Engagement, SimulatorConfig, SimulatorConfigInput } from './audience.ts';
import {
  type Clock,
  json,
  type PlatformDialect,
  type SimContext,
  SimError,
  type SimRequest,
  type SimResponse,
  type SimRoute,
  type SimulatedMedia,
  type SimulatedPost,
  type SimulatorHandle,
  startSimulator,
} from './base.ts';

/**
 * A local stand-in for the Facebook Graph API (Pages) as Pulsecast uses it, answering as Meta
 * documents: versioned paths (`/v27.0/…`), the `access_token` parameter, `POST /{page-id}/feed`
 * (message, link, attached_media), `POST /{page-id}/photos` (published or not), `GET /{page-id}/feed`,
 * multiple-ID reads (`GET /?ids=…&fields=…`, with field expansion, `summary(total_count)` and
 * `insights.metric(…)`; one unknown id fails the read with #803), `/{post-id}/insights` with only
 * the metrics that survived the 2025 deprecations, Graph error objects, throttling as HTTP 400
 * with code 32/4 plus `X-App-Usage` and `X-Business-Use-Case-Usage`.
 *
 * The Meta pieces (dialect, token parameter, insights rendering) are shared with the Instagram and
 * Threads simulators.
 */

// ---------------------------------------------------------------------------------------------
// Meta Graph conventions shared by the Facebook, Instagram and Threads simulators

export function graphError(
  status: number,
  error: {
    message: string;
    type?: string;
    code: number;
    error_subcode?: number;
    is_transient?: boolean;
  } & Record<string, unknown>,
  headers: Record<string, string> = {},
): SimResponse {
  const fbtrace = createHash('sha256')
    .update(`${error.code}:${error.message}`)
    .digest('base64url')
    .slice(0, 23);
  return json(status, { error: { type: 'OAuthException', ...error, fbtrace_id: `A${fbtrace}` } }, headers);
}

export function graphFail(
  status: number,
  error: {
    message: string;
    type?: string;
    code: number;
    error_subcode?: number;
    is_transient?: boolean;
  } & Record<string, unknown>,
): SimError {
  return new SimError(graphError(status, error));
}

/**
 * How Meta reports limits and failures. Throttling is an HTTP 400 with a Graph error code (not a
 * 429), and the Business-Use-Case header says in minutes when access comes back.
 */
export function metaDialect(options: {
  throttleCode: number;
  throttleMessage: string;
  bucType: string;
  bucId: () => string;
  clock: Clock;
}): PlatformDialect {
  return {
    rateLimitHeaders: ({ limit, remaining, resetAt }) => {
      const used = Math.min(100, Math.round(((limit - Math.max(0, remaining)) / Math.max(1, limit)) * 100));
      return {
        'x-app-usage': JSON.stringify({
          call_count: used,
          total_time: Math.round(used / 2),
          total_cputime: Math.round(used / 3),
        }),
        'x-business-use-case-usage': JSON.stringify({
          [options.bucId()]: [
            {
              type: options.bucType,
              call_count: used,
              total_cputime: Math.round(used / 3),
              total_time: Math.round(used / 2),
              estimated_time_to_regain_access:
                remaining > 0
                  ? 0
                  : Math.max(1, Math.ceil((resetAt.getTime() - options.clock().getTime()) / 60_000)),
            },
          ],
        }),
      };
    },
    tooManyRequests: (resetAt, now) => {
      const minutes = Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 60_000));
      return graphError(
        400,
        { message: options.throttleMessage, is_transient: true, code: options.throttleCode },
        {
          'x-business-use-case-usage': JSON.stringify({
            [options.bucId()]: [
              {
                type: options.bucType,
                call_count: 100,
                total_cputime: 40,
                total_time: 60,
                estimated_time_to_regain_access: minutes,
              },
            ],
          }),
        },
      );
    },
    serverError: (status) =>
      graphError(status, {
        message: 'An unexpected error has occurred. Please retry your request later.',
        is_transient: true,
        code: 2,
      }),
    unauthorized: (reason) =>
      reason === 'expired'
        ? graphError(400, {
            message:
              'Error validating access token: Session has expired on Wednesday, 14-Feb-18 18:00:00 PST. The current time is Thursday, 15-Feb-18 13:46:35 PST.',
            code: 190,
            error_subcode: 463,
          })
        : reason === 'missing'
          ? graphError(400, {
              message: 'An active access token must be used to query information about the current user.',
              code: 2500,
            })
          : graphError(400, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 }),
    notFound: (method, path) =>
      graphError(400, { message: `Unknown path components: ${path}`, code: 2500, method }),
    tokenOf: graphTokenOf,
  };
}

/** Graph takes the token as `access_token` (query or form) or as an `Authorization: Bearer|OAuth` header. */
export function graphTokenOf(req: SimRequest): string | undefined {
  const fromQuery = req.query.get('access_token');
  if (fromQuery) return fromQuery;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body.access_token === 'string') return body.access_token;
  const header = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
  return header?.[1]?.trim();
}

/** Parameters from the query string and a form body together, as Graph reads them. */
export function graphParams(req: SimRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of req.query) out[key] = value;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** Splits `a,b.summary(x,y),insights.metric(m,n)` at top-level commas. */
export function splitFields(fields: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of fields) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** A versioned path segment (`v27.0`); anything else is an unknown path, as Graph says. */
export function checkGraphVersion(req: SimRequest, pattern = /^v\d+\.\d+$/): void {
  if (!pattern.test(req.params.version ?? '')) {
    throw graphFail(400, { message: `Unknown path components: /${req.params.version}`, code: 2500 });
  }
}

/** One lifetime insights entry, shaped as the Insights reference shows it. */
export function insightEntry(
  objectId: string,
  name: string,
  value: number,
  title: string,
  description: string,
) {
  return {
    name,
    period: 'lifetime',
    values: [{ value }],
    title,
    description,
    id: `${objectId}/insights/${name}/lifetime`,
  };
}

/** `2026-12-10T09:00:02+0000`, Meta's timestamp format. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** Media URLs a simulator can fetch itself: only ones on this machine; others are trusted. */
export async function mediaReachable(url: string): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return parsed.protocol === 'https:';
  try {
    const response = await fetch(parsed, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export function mediaKind(url: string): 'image' | 'video' {
  return /\.(?:mp4|mov|m4v|webm)(?:$|[?#])/i.test(url) ? 'video' : 'image';
}

/** Long-lived Meta tokens: valid 60 days, refreshable once at least 24 hours old and not expired. */
export class LongLivedTokens {
  private readonly issuedAt = new Map<string, number>();

  constructor(
    private readonly ctx: () => SimContext,
    private readonly ttlSeconds: number,
  ) {}

  /** A token for the account; `ageSeconds` pretends it was issued that long ago (it expires sooner). */
  issue(account: string, value?: string, ageSeconds = 0): string {
    const token = this.ctx().tokens.issue(account, {
      ttlSeconds: Math.max(0, this.ttlSeconds - ageSeconds),
      ...(value ? { value } : {}),
    });
    this.issuedAt.set(token, this.ctx().now().getTime() - ageSeconds * 1000);
    return token;
  }

  /** `GET /refresh_access_token?grant_type=…&access_token=…` */
  refresh(req: SimRequest, grantType: string): SimResponse {
    if (req.query.get('grant_type') !== grantType) {
      return graphError(400, {
        message: `Unsupported grant_type: ${req.query.get('grant_type') ?? '(none)'}`,
        code: 100,
      });
    }
    const token = req.query.get('access_token') ?? '';
    const checked = this.ctx().tokens.check(token);
    if (!checked.ok) {
      return checked.reason === 'expired'
        ? graphError(400, {
            message: 'Error validating access token: Session has expired.',
            code: 190,
            error_subcode: 463,
          })
        : graphError(400, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 });
    }
    const issued = this.issuedAt.get(token) ?? 0;
    if (this.ctx().now().getTime() - issued < 24 * 3_600_000) {
      return graphError(400, {
        message: 'The access token must be at least 24 hours old to be refreshed.',
        code: 190,
      });
    }
    const fresh = this.issue(checked.account);
    return json(200, { access_token: fresh, token_type: 'bearer', expires_in: this.ttlSeconds });
  }
}

// ---------------------------------------------------------------------------------------------
// Facebook Pages

export interface FacebookSimPage {
  /** The Pulsecast channel this Page stands for (its audience settings). */
  channel: string;
  pageId: string;
  name: string;
  pageAccessToken: string;
}

export interface FacebookSimulatorOptions {
  clock?: Clock;
  audience?: AudienceModel | SimulatorConfig | SimulatorConfigInput;
  pages?: Partial<FacebookSimPage>[];
  port?: number;
}

export interface FacebookSimulatorHandle extends SimulatorHandle {
  readonly pages: readonly FacebookSimPage[];
}

export const DEFAULT_FACEBOOK_PAGE: FacebookSimPage = {
  channel: 'facebook-page',
  pageId: '546349135390552',
  name: 'Pulsecast',
  pageAccessToken: 'fb-sim-page-token-0001',
};

/** Post metrics that still exist; the retired ones (impressions, engaged users, …) are refused. */
const PAGE_POST_METRICS: Record<
  string,
  { title: string; description: string; value: (e: Engagement) => number }
> = {
  post_media_view: {
    title: 'Lifetime Post media views',
    description: 'Lifetime: The number of times your post was on screen.',
    value: (e) => e.impressions,
  },
  post_total_media_view_unique: {
    title: 'Lifetime Post total media viewers',
    description: 'Lifetime: The number of people who saw your post at least once.',
    value: (e) => e.reach,
  },
  post_clicks: {
    title: 'Lifetime Post Clicks',
    description: 'Lifetime: The number of clicks anywhere in your post.',
    value: (e) => e.clicks,
  },
  post_video_views: {
    title: 'Lifetime Post video views',
    description: 'Lifetime: The number of times your video was watched for 3 seconds or more.',
    value: (e) => e.videoViews,
  },
};

interface Photo {
  id: string;
  page: string;
  url: string;
  published: boolean;
  attached: boolean;
}

export async function startFacebookSimulator(
  options: FacebookSimulatorOptions = {},
): Promise<FacebookSimulatorHandle> {
  const pages: FacebookSimPage[] = (options.pages ?? [{}]).map((p, i) => ({
    ...DEFAULT_FACEBOOK_PAGE,
    ...(i > 0
      ? {
          channel: `facebook-${i + 1}`,
          pageId: String(546349135390552 + i),
          pageAccessToken: `fb-sim-page-token-${String(i + 1).padStart(4, '0')}`,
        }
      : {}),
    ...p,
  }));
  const photos = new Map<string, Photo>();
  const pageById = (id: string) => pages.find((p) => p.pageId === id);

  const routes: SimRoute[] = [
    {
      method: 'POST',
      path: '/:version/:pageId/feed',
      auth: true,
      handle: (req, ctx) => createFeedPost(req, ctx),
    },
    { method: 'GET', path: '/:version/:pageId/feed', auth: true, handle: (req, ctx) => readFeed(req, ctx) },
    {
      method: 'POST',
      path: '/:version/:pageId/photos',
      auth: true,
      handle: (req, ctx) => createPhoto(req, ctx),
    },
    {
      method: 'GET',
      path: '/:version/:id/insights',
      auth: true,
      handle: (req, ctx) => postInsights(req, ctx),
    },
    { method: 'GET', path: '/:version/', auth: true, handle: (req, ctx) => multipleIds(req, ctx) },
    { method: 'GET', path: '/:version/:id', auth: true, handle: (req, ctx) => readNode(req, ctx) },
  ];

  function pageOf(req: SimRequest): FacebookSimPage {
    checkGraphVersion(req);
    const page = pageById(req.auth?.account ?? '');
    if (!page)
      throw graphFail(400, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 });
    if (req.params.pageId !== undefined && req.params.pageId !== page.pageId) {
      throw graphFail(403, {
        message: "(#200) The user hasn't authorized the application to perform this action",
        code: 200,
      });
    }
    return page;
  }

  async function createFeedPost(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    const page = pageOf(req);
    const params = graphParams(req);
    const message = params.message ?? '';
    const link = params.link;
    const attached: Photo[] = [];
    for (const [key, value] of Object.entries(params)) {
      if (!/^attached_media\[\d+\]$/.test(key)) continue;
      let fbid: string | undefined;
      try {
        fbid = String((JSON.parse(value) as { media_fbid?: unknown }).media_fbid ?? '');
      } catch {
        fbid = undefined;
      }
      const photo = fbid ? photos.get(fbid) : undefined;
      if (!photo || photo.page !== page.pageId || photo.published || photo.attached) {
        throw graphFail(400, { message: `(#100) Invalid media_fbid in ${key}`, code: 100 });
      }
      attached.push(photo);
    }
    if (message === '' && !link && attached.length === 0) {
      throw graphFail(400, { message: '(#100) Missing message or attachment', code: 100 });
    }
    if (message.length > 63_206)
      throw graphFail(400, { message: '(#100) The message is too long', code: 100 });
    duplicateCheck(ctx, page, message);
    for (const photo of attached) photo.attached = true;
    const story = ctx.nextId();
    const id = `${page.pageId}_${story}`;
    addFacebookPost(
      ctx,
      page,
      id,
      message,
      attached.map((p) => ({ id: p.id, kind: 'image', mimeType: 'image/jpeg', bytes: 0 })),
      link,
    );
    return json(200, { id });
  }

  async function createPhoto(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    const page = pageOf(req);
    const params = graphParams(req);
    const url = params.url;
    if (!url) throw graphFail(400, { message: '(#100) The parameter url is required', code: 100 });
    if (!(await mediaReachable(url))) {
      throw graphFail(400, { message: '(#324) Missing or invalid image file', code: 324 });
    }
    const published = params.published !== 'false';
    const photoId = ctx.nextId();
    photos.set(photoId, { id: photoId, page: page.pageId, url, published, attached: false });
    if (!published) return json(200, { id: photoId });
    const message = params.message ?? params.caption ?? '';
    duplicateCheck(ctx, page, message);
    const postId = `${page.pageId}_${ctx.nextId()}`;
    addFacebookPost(
      ctx,
      page,
      postId,
      message,
      [{ id: photoId, kind: 'image', mimeType: 'image/jpeg', bytes: 0 }],
      undefined,
    );
    return json(200, { id: photoId, post_id: postId });
  }

  function duplicateCheck(ctx: SimContext, page: FacebookSimPage, message: string): void {
    if (message === '') return;
    const now = ctx.now().getTime();
    const duplicate = ctx.posts.some(
      (p) =>
        p.account === page.pageId &&
        !p.deleted &&
        p.text === message &&
        now - p.publishedAt.getTime() < 24 * 3_600_000,
    );
    if (duplicate) throw graphFail(400, { message: '(#506) Duplicate status message', code: 506 });
  }

  function addFacebookPost(
    ctx: SimContext,
    page: FacebookSimPage,
    id: string,
    message: string,
    media: SimulatedMedia[],
    link: string | undefined,
  ): void {
    const [, story] = id.split('_');
    ctx.addPost({
      id,
      channel: page.channel,
      account: page.pageId,
      text: message,
      media,
      publishedAt: ctx.now(),
      url: `https://www.facebook.com/${page.pageId}/posts/${story}`,
      ...(link ? { link } : {}),
      data: { link: link ?? null },
    });
  }

  function readFeed(req: SimRequest, ctx: SimContext): SimResponse {
    const page = pageOf(req);
    const since = Number(req.query.get('since') ?? 0) * 1000;
    const limit = Math.min(Number(req.query.get('limit') ?? 25) || 25, 100);
    const fields = splitFields(req.query.get('fields') ?? 'id,message,created_time');
    const items = ctx.posts
      .filter((p) => p.account === page.pageId && !p.deleted && p.publishedAt.getTime() >= since)
      .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime())
      .slice(0, limit);
    return json(200, {
      data: items.map((p) => renderPost(p, fields, ctx)),
      paging: { cursors: { before: cursor(items[0]?.id), after: cursor(items.at(-1)?.id) } },
    });
  }

  function multipleIds(req: SimRequest, ctx: SimContext): SimResponse {
    checkGraphVersion(req);
    const ids = (req.query.get('ids') ?? '').split(',').filter(Boolean);
    if (ids.length === 0)
      throw graphFail(400, { message: '(#100) The parameter ids is required', code: 100 });
    if (ids.length > 50)
      throw graphFail(400, {
        message: `(#100) Too many IDs. Maximum: 50. Provided: ${ids.length}.`,
        code: 100,
      });
    const page = pageById(req.auth?.account ?? '');
    const missing = ids.filter((id) => {
      const post = ctx.findPost(id);
      return !post || post.deleted || post.account !== page?.pageId;
    });
    if (missing.length > 0) {
      throw graphFail(404, {
        message: `(#803) Some of the aliases you requested do not exist: ${missing.join(',')}`,
        code: 803,
      });
    }
    const fields = splitFields(req.query.get('fields') ?? 'id,message,created_time');
    const out: Record<string, unknown> = {};
    for (const id of ids) out[id] = renderPost(ctx.findPost(id) as SimulatedPost, fields, ctx);
    return json(200, out);
  }

  function readNode(req: SimRequest, ctx: SimContext): SimResponse {
    checkGraphVersion(req);
    const id = req.params.id ?? '';
    const page = pageById(req.auth?.account ?? '');
    if (id === 'me' || id === page?.pageId) return json(200, { id: page?.pageId, name: page?.name });
    const post = ctx.findPost(id);
    if (!post || post.deleted || post.account !== page?.pageId) throw missingObject(id);
    return json(
      200,
      renderPost(post, splitFields(req.query.get('fields') ?? 'id,message,created_time'), ctx),
    );
  }

  function postInsights(req: SimRequest, ctx: SimContext): SimResponse {
    checkGraphVersion(req);
    const id = req.params.id ?? '';
    const page = pageById(req.auth?.account ?? '');
    const post = ctx.findPost(id);
    if (!post || post.deleted || post.account !== page?.pageId) throw missingObject(id);
    return json(200, {
      data: insights(post, (req.query.get('metric') ?? '').split(',').filter(Boolean), ctx),
    });
  }

  function insights(post: SimulatedPost, metrics: string[], ctx: SimContext) {
    if (metrics.length === 0) {
      throw graphFail(400, {
        message:
          'No metric was specified to be fetched. Please specify one or more metrics to be fetched and try again.',
        code: 3001,
        error_subcode: 1504028,
      });
    }
    for (const metric of metrics) {
      if (!PAGE_POST_METRICS[metric]) {
        throw graphFail(400, {
          message: `(#100) The value must be a valid insights metric: ${metric}`,
          code: 100,
        });
      }
    }
    const e = ctx.audience.engagementAt(post, ctx.now());
    return metrics.map((metric) => {
      const spec = PAGE_POST_METRICS[metric] as (typeof PAGE_POST_METRICS)[string];
      return insightEntry(post.id, metric, spec.value(e), spec.title, spec.description);
    });
  }

  function renderPost(post: SimulatedPost, fields: string[], ctx: SimContext): Record<string, unknown> {
    const e = ctx.audience.engagementAt(post, ctx.now());
    const node: Record<string, unknown> = {};
    for (const field of fields) {
      const name = field.split(/[.(]/)[0] ?? field;
      switch (name) {
        case 'id':
          node.id = post.id;
          break;
        case 'message':
          if (post.text) node.message = post.text;
          break;
        case 'created_time':
          node.created_time = metaTime(post.publishedAt);
          break;
        case 'permalink_url':
          node.permalink_url = post.url;
          break;
        case 'shares':
          // Facebook leaves `shares` out of a post nobody shared.
          if (e.shares > 0) node.shares = { count: e.shares };
          break;
        case 'reactions':
          node.reactions = { data: [], summary: { total_count: e.likes, viewer_reaction: 'NONE' } };
          break;
        case 'comments':
          node.comments = {
            data: [],
            summary: { order: 'ranked', total_count: e.comments, can_comment: true },
          };
          break;
        case 'insights': {
          const metrics =
            /metric\(([^)]*)\)/.exec(field)?.[1]?.split(',').filter(Boolean) ??
            Object.keys(PAGE_POST_METRICS);
          node.insights = { data: insights(post, metrics, ctx) };
          break;
        }
        default:
          throw graphFail(400, {
            message: `(#100) Tried accessing nonexisting field (${name}) on node type (PagePost)`,
            code: 100,
          });
      }
    }
    node.id ??= post.id;
    return node;
  }

  const clock = options.clock ?? (() => new Date());
  const sim = await startSimulator({
    platform: 'facebook',
    dialect: metaDialect({
      throttleCode: 32,
      throttleMessage: '(#32) Page request limit reached',
      bucType: 'pages',
      bucId: () => pages[0]?.pageId ?? '0',
      clock,
    }),
    routes,
    rateLimit: { limit: 4800, windowSeconds: 86_400 },
    clock,
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  // Page tokens derived from a long-lived user token do not expire.
  for (const page of pages) sim.ctx.tokens.issue(page.pageId, { value: page.pageAccessToken });
  return Object.assign(sim, { pages });
}

export function missingObject(id: string): SimError {
  return graphFail(400, {
    message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: 'GraphMethodException',
    code: 100,
    error_subcode: 33,
  });
}

function cursor(id: string | undefined): string {
  return Buffer.from(id ?? '').toString('base64url');
}
