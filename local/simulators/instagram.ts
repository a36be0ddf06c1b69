import { createHash } from 'node:crypto';
import type { AudienceModel, Engagement, SimulatorConfig, SimulatorConfigInput } from './audience.ts';
import {
  type Clock,
  json,
  type SimContext,
  type SimRequest,
  type SimResponse,
  type SimRoute,
  type SimulatedPost,
  type SimulatorHandle,
  startSimulator,
} from './base.ts';
import {
  checkGraphVersion,
  graphFail,
  graphParams,
  insightEntry,
  LongLivedTokens,
  mediaReachable,
  metaDialect,
  metaTime,
  missingObject,
  splitFields,
} from './facebook.ts';

/**
 * A local stand-in for the Instagram API with Instagram Login (`graph.instagram.com`) as
 * Pulsecast uses it, answering as Meta documents: media containers (`POST /{ig-id}/media` with
 * `image_url`, `media_type=REELS` + `video_url`, `is_carousel_item`, `media_type=CAROUSEL` +
 * `children`), their `status_code` (IN_PROGRESS → FINISHED, ERROR for media it cannot fetch or
 * read, EXPIRED after 24 hours), `POST /{ig-id}/media_publish` (9007/2207027 while the container
 * is not ready, 9/2207042 past the publishing limit), `content_publishing_limit`, the account's
 * media list, media insights without the retired `impressions`, and `refresh_access_token`.
 */

export interface InstagramSimAccount {
  /** The Pulsecast channel this account stands for (its audience settings). */
  channel: string;
  igUserId: string;
  username: string;
  accessToken: string;
}

export interface InstagramSimulatorOptions {
  clock?: Clock;
  audience?: AudienceModel | SimulatorConfig | SimulatorConfigInput;
  accounts?: Partial<InstagramSimAccount>[];
  port?: number;
  /** Status polls an image container stays IN_PROGRESS. @default 0 */
  imageProcessingPolls?: number;
  /** Status polls a video container stays IN_PROGRESS. @default 2 */
  videoProcessingPolls?: number;
  /** Posts per rolling 24 hours (the documented example says 50). @default 50 */
  publishingLimit?: number;
  /** Lifetime of long-lived tokens. @default 5184000 (60 days) */
  tokenTtlSeconds?: number;
  /** How old the accounts' starting tokens are (they expire `tokenTtlSeconds` after issue). @default 2592000 (30 days) */
  initialTokenAgeSeconds?: number;
}

export interface InstagramSimulatorHandle extends SimulatorHandle {
  readonly accounts: readonly InstagramSimAccount[];
}

export const DEFAULT_INSTAGRAM_ACCOUNT: InstagramSimAccount = {
  channel: 'instagram-main',
  igUserId: '17841405822304914',
  username: 'pulsecast',
  accessToken: 'ig-sim-access-token-0001',
};

/** Media insights Instagram still serves, and what each reports of the audience. */
const MEDIA_METRICS: Record<
  string,
  { title: string; description: string; value: (e: Engagement) => number }
> = {
  views: {
    title: 'Views',
    description: 'The number of times your post was played or displayed.',
    value: (e) => e.impressions,
  },
  reach: {
    title: 'Accounts reached',
    description: 'The number of unique accounts that have seen this post at least once.',
    value: (e) => e.reach,
  },
  likes: { title: 'Likes', description: 'The number of likes on your post.', value: (e) => e.likes },
  comments: {
    title: 'Comments',
    description: 'The number of comments on your post.',
    value: (e) => e.comments,
  },
  shares: { title: 'Shares', description: 'The number of shares of your post.', value: (e) => e.shares },
  saved: { title: 'Saved', description: 'The number of saves of your post.', value: (e) => e.saves },
  total_interactions: {
    title: 'Interactions',
    description: 'The number of likes, saves, comments and shares on your post.',
    value: (e) => e.likes + e.saves + e.comments + e.shares,
  },
};
const RETIRED_METRICS = new Set([
  'impressions',
  'plays',
  'clips_replays_count',
  'ig_reels_aggregated_all_plays_count',
  'video_views',
]);

interface Container {
  id: string;
  account: string;
  kind: 'image' | 'video' | 'carousel';
  mediaType: string;
  url?: string;
  caption: string;
  children: string[];
  isCarouselItem: boolean;
  createdAt: number;
  pollsLeft: number;
  error?: string;
  published: boolean;
}

export async function startInstagramSimulator(
  options: InstagramSimulatorOptions = {},
): Promise<InstagramSimulatorHandle> {
  const accounts: InstagramSimAccount[] = (options.accounts ?? [{}]).map((a, i) => ({
    ...DEFAULT_INSTAGRAM_ACCOUNT,
    ...(i > 0
      ? {
          channel: `instagram-${i + 1}`,
          igUserId: String(17841405822304914n + BigInt(i)),
          username: `pulsecast${i + 1}`,
          accessToken: `ig-sim-access-token-${String(i + 1).padStart(4, '0')}`,
        }
      : {}),
    ...a,
  }));
  const ttl = options.tokenTtlSeconds ?? 5_184_000;
  const limit = options.publishingLimit ?? 50;
  const containers = new Map<string, Container>();
  const accountById = (id: string) => accounts.find((a) => a.igUserId === id);
  const clock = options.clock ?? (() => new Date());
  let ctxRef: SimContext | undefined;
  const longLived = new LongLivedTokens(() => ctxRef as SimContext, ttl);

  const routes: SimRoute[] = [
    {
      method: 'GET',
      path: '/refresh_access_token',
      handle: (req) => longLived.refresh(req, 'ig_refresh_token'),
    },
    {
      method: 'POST',
      path: '/:version/:igId/media',
      auth: true,
      handle: (req, ctx) => createContainer(req, ctx),
    },
    { method: 'GET', path: '/:version/:igId/media', auth: true, handle: (req, ctx) => listMedia(req, ctx) },
    {
      method: 'POST',
      path: '/:version/:igId/media_publish',
      auth: true,
      handle: (req, ctx) => publish(req, ctx),
    },
    {
      method: 'GET',
      path: '/:version/:igId/content_publishing_limit',
      auth: true,
      handle: (req, ctx) => publishingLimit(req, ctx),
    },
    {
      method: 'GET',
      path: '/:version/:id/insights',
      auth: true,
      handle: (req, ctx) => mediaInsights(req, ctx),
    },
    { method: 'GET', path: '/:version/:id', auth: true, handle: (req, ctx) => readNode(req, ctx) },
  ];

  function accountOf(req: SimRequest): InstagramSimAccount {
    checkGraphVersion(req);
    const account = accountById(req.auth?.account ?? '');
    if (!account)
      throw graphFail(400, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 });
    if (req.params.igId !== undefined && req.params.igId !== account.igUserId && req.params.igId !== 'me') {
      throw graphFail(400, {
        message: `Unsupported post request. Object with ID '${req.params.igId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        type: 'GraphMethodException',
        code: 100,
        error_subcode: 33,
      });
    }
    return account;
  }

  async function createContainer(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    const account = accountOf(req);
    const p = graphParams(req);
    const caption = p.caption ?? '';
    if (caption.length > 2200) {
      throw graphFail(400, {
        message: '(#100) The caption is too long: it must be at most 2,200 characters.',
        code: 100,
      });
    }
    const isCarouselItem = p.is_carousel_item === 'true';
    const id = ctx.nextId();
    const base = {
      id,
      account: account.igUserId,
      caption,
      isCarouselItem,
      createdAt: ctx.now().getTime(),
      published: false,
      children: [],
    };
    let container: Container;
    if (p.media_type === 'CAROUSEL') {
      const children = (p.children ?? '').split(',').filter(Boolean);
      if (children.length < 2 || children.length > 10) {
        throw graphFail(400, { message: '(#100) A carousel takes between 2 and 10 children.', code: 100 });
      }
      for (const child of children) {
        const c = containers.get(child);
        if (!c || c.account !== account.igUserId || !c.isCarouselItem) {
          throw graphFail(400, {
            message: `(#100) The carousel child ${child} is not a carousel item of this account.`,
            code: 100,
          });
        }
        if (status(c, ctx, false) !== 'FINISHED') {
          throw graphFail(400, {
            message: 'Media ID is not available',
            code: 9007,
            error_subcode: 2207027,
            error_user_title: 'Media not ready for publishing',
            error_user_msg: 'The media is not ready for publishing, please wait for a moment',
          });
        }
      }
      container = { ...base, kind: 'carousel', mediaType: 'CAROUSEL_ALBUM', children, pollsLeft: 0 };
    } else if (p.video_url) {
      if (p.media_type === 'VIDEO' && !isCarouselItem) {
        throw graphFail(400, {
          message: '(#100) The VIDEO media_type is no longer supported for single videos; use REELS.',
          code: 100,
        });
      }
      if (p.media_type !== 'REELS' && p.media_type !== 'VIDEO') {
        throw graphFail(400, {
          message: '(#100) media_type must be REELS (or VIDEO for a carousel item) with video_url.',
          code: 100,
        });
      }
      container = {
        ...base,
        kind: 'video',
        mediaType: 'VIDEO',
        url: p.video_url,
        pollsLeft: options.videoProcessingPolls ?? 2,
      };
      if (!(await mediaReachable(p.video_url)))
        container.error = 'Error: Media upload has failed with error code 2207052';
    } else if (p.image_url) {
      container = {
        ...base,
        kind: 'image',
        mediaType: 'IMAGE',
        url: p.image_url,
        pollsLeft: options.imageProcessingPolls ?? 0,
      };
      // "JPEG is the only image format supported."
      if (!/\.jpe?g(?:$|[?#])/i.test(p.image_url))
        container.error = 'Error: Media upload has failed with error code 2207026';
      else if (!(await mediaReachable(p.image_url)))
        container.error = 'Error: Media upload has failed with error code 2207052';
    } else {
      throw graphFail(400, {
        message: '(#100) The parameter image_url or video_url is required.',
        code: 100,
      });
    }
    containers.set(id, container);
    return json(200, { id });
  }

  /** A container's status; reading it counts as one poll of the processing it needs. */
  function status(c: Container, ctx: SimContext, poll = true): string {
    if (c.published) return 'PUBLISHED';
    if (ctx.now().getTime() - c.createdAt >= 24 * 3_600_000) return 'EXPIRED';
    if (c.pollsLeft > 0) {
      if (poll) c.pollsLeft -= 1;
      return 'IN_PROGRESS';
    }
    return c.error ? 'ERROR' : 'FINISHED';
  }

  function postsInLastDay(account: InstagramSimAccount, ctx: SimContext): number {
    const since = ctx.now().getTime() - 24 * 3_600_000;
    return ctx.posts.filter((p) => p.account === account.igUserId && p.publishedAt.getTime() > since).length;
  }

  function publish(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const creationId = graphParams(req).creation_id ?? '';
    const c = containers.get(creationId);
    if (!c || c.account !== account.igUserId) {
      throw graphFail(400, {
        message: '(#100) The parameter creation_id is not a container of this account.',
        code: 100,
      });
    }
    if (c.isCarouselItem) {
      throw graphFail(400, {
        message: '(#100) A carousel item cannot be published on its own; publish the carousel.',
        code: 100,
      });
    }
    if (postsInLastDay(account, ctx) >= limit) {
      throw graphFail(400, {
        message: 'Application request limit reached',
        is_transient: false,
        code: 9,
        error_subcode: 2207042,
        error_user_title: 'Publishing limit reached',
        error_user_msg:
          'You have reached the maximum number of posts that is allowed to be published in 24 hours.',
      });
    }
    const state = status(c, ctx, false);
    if (state === 'PUBLISHED') {
      throw graphFail(400, { message: '(#100) This media container has already been published.', code: 100 });
    }
    if (state !== 'FINISHED') {
      throw graphFail(400, {
        message: 'Media ID is not available',
        is_transient: false,
        code: 9007,
        error_subcode: 2207027,
        error_user_title: 'Media not ready for publishing',
        error_user_msg: 'The media is not ready for publishing, please wait for a moment',
      });
    }
    c.published = true;
    const mediaId = ctx.nextId();
    const items = c.kind === 'carousel' ? c.children.map((id) => containers.get(id) as Container) : [c];
    ctx.addPost({
      id: mediaId,
      channel: account.channel,
      account: account.igUserId,
      text: c.caption,
      media: items.map((item) => ({
        id: item.id,
        kind: item.kind === 'video' ? 'video' : 'image',
        mimeType: item.kind === 'video' ? 'video/mp4' : 'image/jpeg',
        bytes: 0,
      })),
      publishedAt: ctx.now(),
      url: `https://www.instagram.com/p/${shortcode(mediaId)}/`,
      data: { mediaType: c.mediaType, container: c.id },
    });
    return json(200, { id: mediaId });
  }

  function publishingLimit(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const fields = splitFields(req.query.get('fields') ?? 'quota_usage');
    const entry: Record<string, unknown> = { quota_usage: postsInLastDay(account, ctx) };
    if (fields.includes('config')) entry.config = { quota_total: limit, quota_duration: 86400 };
    return json(200, { data: [entry] });
  }

  function listMedia(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const max = Math.min(Number(req.query.get('limit') ?? 25) || 25, 100);
    const fields = splitFields(req.query.get('fields') ?? 'id');
    const items = ctx.posts
      .filter((p) => p.account === account.igUserId && !p.deleted)
      .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime())
      .slice(0, max);
    return json(200, {
      data: items.map((p) => renderMedia(p, fields, account)),
      paging: {
        cursors: {
          before: Buffer.from(items[0]?.id ?? '').toString('base64url'),
          after: Buffer.from(items.at(-1)?.id ?? '').toString('base64url'),
        },
      },
    });
  }

  function readNode(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const id = req.params.id ?? '';
    const fields = splitFields(req.query.get('fields') ?? 'id');
    if (id === 'me' || id === account.igUserId)
      return json(200, { id: account.igUserId, username: account.username });
    const c = containers.get(id);
    if (c && c.account === account.igUserId) {
      const out: Record<string, unknown> = { id: c.id };
      const state = status(c, ctx);
      if (fields.includes('status_code')) out.status_code = state;
      if (fields.includes('status'))
        out.status =
          state === 'ERROR'
            ? c.error
            : state === 'FINISHED'
              ? 'Finished: Media has been uploaded and it is ready to be published.'
              : state;
      return json(200, out);
    }
    const post = ctx.findPost(id);
    if (!post || post.deleted || post.account !== account.igUserId) throw missingObject(id);
    return json(200, renderMedia(post, fields, account));
  }

  function renderMedia(
    post: SimulatedPost,
    fields: string[],
    account: InstagramSimAccount,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { id: post.id };
    for (const field of fields) {
      if (field === 'caption' && post.text) out.caption = post.text;
      if (field === 'timestamp') out.timestamp = metaTime(post.publishedAt);
      if (field === 'permalink') out.permalink = post.url;
      if (field === 'media_type') out.media_type = post.data.mediaType;
      if (field === 'username') out.username = account.username;
    }
    return out;
  }

  function mediaInsights(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const id = req.params.id ?? '';
    const post = ctx.findPost(id);
    if (!post || post.deleted || post.account !== account.igUserId) throw missingObject(id);
    const metrics = (req.query.get('metric') ?? '').split(',').filter(Boolean);
    for (const metric of metrics) {
      if (RETIRED_METRICS.has(metric)) {
        throw graphFail(400, {
          message: `(#100) Starting from version v22.0 and above, the ${metric} metric is no longer supported for media created after July 1, 2024. Please use the views metric.`,
          code: 100,
        });
      }
      if (!MEDIA_METRICS[metric]) {
        throw graphFail(400, {
          message: `(#100) metric[0] must be one of the following values: ${Object.keys(MEDIA_METRICS).join(', ')}`,
          code: 100,
        });
      }
    }
    const e = ctx.audience.engagementAt(post, ctx.now());
    return json(200, {
      data: metrics.map((metric) => {
        const spec = MEDIA_METRICS[metric] as (typeof MEDIA_METRICS)[string];
        return insightEntry(post.id, metric, spec.value(e), spec.title, spec.description);
      }),
    });
  }

  const sim = await startSimulator({
    platform: 'instagram',
    dialect: metaDialect({
      throttleCode: 80002,
      throttleMessage: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
      bucType: 'instagram',
      bucId: () => accounts[0]?.igUserId ?? '0',
      clock,
    }),
    routes,
    rateLimit: { limit: 4800, windowSeconds: 86_400 },
    clock,
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  ctxRef = sim.ctx;
  for (const account of accounts) {
    longLived.issue(account.igUserId, account.accessToken, options.initialTokenAgeSeconds ?? 30 * 86_400);
  }
  return Object.assign(sim, { accounts });
}

/** Instagram's short code for a permalink, derived from the media id. */
function shortcode(id: string): string {
  return createHash('sha256').update(id).digest('base64url').replace(/[-_]/g, 'x').slice(0, 11);
}
