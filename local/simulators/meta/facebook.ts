import { facebookPageBreakdown } from '../audience-breakdowns.ts';
import { json, recentDuplicate } from '../base.ts';
import { accountFollowers } from '../history.ts';
import { numbered, numberedAccounts, type PlatformSimulatorOptions } from '../setup.ts';
import type * as Sim from '../sim.ts';
import { metaCommentsRoutes } from './comments-conversation.ts';
import {
  badParameter,
  checkGraphVersion,
  graphFail,
  graphParams,
  insightsOf,
  type MetricSpecs,
  mediaReachable,
  metaTime,
  ownPost,
  postList,
  requestedMetrics,
  splitFields,
  startMetaSimulator,
  tokenAccount,
} from './graph.ts';

/**
 * A local stand-in for the Facebook Graph API (Pages) as Pulsecast uses it, answering as Meta
 * documents: versioned paths (`/v27.0/…`), the `access_token` parameter, `POST /{page-id}/feed`
 * (message, link, attached_media), `POST /{page-id}/photos` (published or not), `GET /{page-id}/feed`,
 * multiple-ID reads (`GET /?ids=…&fields=…`, with field expansion, `summary(total_count)` and
 * `insights.metric(…)`; one unknown id fails the read with #803), `/{post-id}/insights` with only
 * the metrics that survived the 2025 deprecations, Graph error objects, throttling as HTTP 400
 * with code 32/4 plus `X-App-Usage` and `X-Business-Use-Case-Usage`.
 */

export interface FacebookSimPage {
  /** The Pulsecast channel this Page stands for (its audience settings). */
  channel: string;
  pageId: string;
  name: string;
  pageAccessToken: string;
}

export interface FacebookSimulatorOptions extends PlatformSimulatorOptions {
  pages?: Partial<FacebookSimPage>[];
}

export interface FacebookSimulatorHandle extends Sim.Handle {
  readonly pages: readonly FacebookSimPage[];
  /** The simulator's state, for seeding it (local/simulators/history.ts). */
  readonly ctx: Sim.Context;
}

export const DEFAULT_FACEBOOK_PAGE: FacebookSimPage = {
  channel: 'facebook-page',
  pageId: '546349135390552',
  name: 'Pulsecast',
  pageAccessToken: 'fb-sim-page-token-0001',
};

/** Post metrics that still exist; the retired ones (impressions, engaged users, …) are refused. */
const PAGE_POST_METRICS: MetricSpecs = {
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

const DEFAULT_POST_FIELDS = 'id,message,created_time';

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
  const pages = numberedAccounts('facebook', options.pages, DEFAULT_FACEBOOK_PAGE, (n) => ({
    pageId: String(546349135390552 + n - 1),
    pageAccessToken: numbered('fb-sim-page-token-', n),
  }));
  const photos = new Map<string, Photo>();
  const pageById = (id: string) => pages.find((p) => p.pageId === id);

  const routes: Sim.Route[] = [
    {
      method: 'POST',
      path: '/:version/:pageId/feed',
      auth: true,
      handle: (req, ctx) => createFeedPost(req, ctx),
    },
    { method: 'GET', path: '/:version/:pageId/feed', auth: true, handle: (req, ctx) => readFeed(req, ctx) },
    { method: 'GET', path: '/:version/:pageId/posts', auth: true, handle: (req, ctx) => readFeed(req, ctx) },
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
    ...metaCommentsRoutes('facebook', (req) => {
      const page = tokenAccount(req, pages, (p) => p.pageId);
      return { id: page.pageId, name: page.name };
    }),
    { method: 'GET', path: '/:version/', auth: true, handle: (req, ctx) => multipleIds(req, ctx) },
    { method: 'GET', path: '/:version/:id', auth: true, handle: (req, ctx) => readNode(req, ctx) },
  ];

  function pageOf(req: Sim.Request): FacebookSimPage {
    const page = tokenAccount(req, pages, (p) => p.pageId);
    if (req.params.pageId !== undefined && req.params.pageId !== page.pageId) {
      throw graphFail(403, {
        message: "(#200) The user hasn't authorized the application to perform this action",
        code: 200,
      });
    }
    return page;
  }

  /** The Page of the token, for reads that answer "does not exist" rather than refuse a stranger. */
  function readerOf(req: Sim.Request): FacebookSimPage | undefined {
    checkGraphVersion(req);
    return pageById(req.auth?.account ?? '');
  }

  async function createFeedPost(req: Sim.Request, ctx: Sim.Context): Promise<Sim.Response> {
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
        throw badParameter(`Invalid media_fbid in ${key}`);
      }
      attached.push(photo);
    }
    if (message === '' && !link && attached.length === 0) {
      throw badParameter('Missing message or attachment');
    }
    if (message.length > 63_206) throw badParameter('The message is too long');
    duplicateCheck(ctx, page, message);
    for (const photo of attached) photo.attached = true;
    const id = `${page.pageId}_${ctx.nextId()}`;
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

  async function createPhoto(req: Sim.Request, ctx: Sim.Context): Promise<Sim.Response> {
    const page = pageOf(req);
    const params = graphParams(req);
    const url = params.url;
    if (!url) throw badParameter('The parameter url is required');
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

  function duplicateCheck(ctx: Sim.Context, page: FacebookSimPage, message: string): void {
    if (message !== '' && recentDuplicate(ctx, page.pageId, message, 24))
      throw graphFail(400, { message: '(#506) Duplicate status message', code: 506 });
  }

  function addFacebookPost(
    ctx: Sim.Context,
    page: FacebookSimPage,
    id: string,
    message: string,
    media: Sim.Media[],
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

  function readFeed(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const page = pageOf(req);
    return postList(
      req,
      ctx,
      page.pageId,
      { defaultFields: DEFAULT_POST_FIELDS, since: true },
      (post, fields) => renderPost(post, fields, ctx),
    );
  }

  function multipleIds(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    checkGraphVersion(req);
    const ids = (req.query.get('ids') ?? '').split(',').filter(Boolean);
    if (ids.length === 0) throw badParameter('The parameter ids is required');
    if (ids.length > 50) throw badParameter(`Too many IDs. Maximum: 50. Provided: ${ids.length}.`);
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
    const fields = splitFields(req.query.get('fields') ?? DEFAULT_POST_FIELDS);
    const out: Record<string, unknown> = {};
    for (const id of ids) out[id] = renderPost(ctx.findPost(id) as Sim.Post, fields, ctx);
    return json(200, out);
  }

  function readNode(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const page = readerOf(req);
    const id = req.params.id ?? '';
    if (id === 'me' || id === page?.pageId) {
      const fields = splitFields(req.query.get('fields') ?? 'id');
      const followers =
        page && fields.includes('followers_count')
          ? { followers_count: accountFollowers(ctx, page.pageId, page.channel) }
          : {};
      return json(200, { id: page?.pageId, name: page?.name, ...followers });
    }
    const post = ownPost(ctx, id, page?.pageId);
    return json(200, renderPost(post, splitFields(req.query.get('fields') ?? DEFAULT_POST_FIELDS), ctx));
  }

  function postInsights(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const page = readerOf(req);
    if (page && req.params.id === page.pageId) {
      return facebookPageBreakdown(req, ctx, { id: page.pageId, channel: page.channel });
    }
    const post = ownPost(ctx, req.params.id ?? '', page?.pageId);
    return json(200, { data: insights(post, requestedMetrics(req), ctx) });
  }

  function insights(post: Sim.Post, metrics: string[], ctx: Sim.Context) {
    if (metrics.length === 0) {
      throw graphFail(400, {
        message:
          'No metric was specified to be fetched. Please specify one or more metrics to be fetched and try again.',
        code: 3001,
        error_subcode: 1504028,
      });
    }
    return insightsOf(post, metrics, PAGE_POST_METRICS, ctx);
  }

  function renderPost(post: Sim.Post, fields: string[], ctx: Sim.Context): Record<string, unknown> {
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
          throw badParameter(`Tried accessing nonexisting field (${name}) on node type (PagePost)`);
      }
    }
    node.id ??= post.id;
    return node;
  }

  const sim = await startMetaSimulator({
    platform: 'facebook',
    throttle: { code: 32, message: '(#32) Page request limit reached', bucType: 'pages' },
    routes,
    // Page tokens derived from a long-lived user token do not expire.
    accounts: pages.map((p) => ({ id: p.pageId, token: p.pageAccessToken })),
    options,
  });
  return Object.assign(sim, { pages });
}
