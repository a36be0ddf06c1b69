import { createHash } from 'node:crypto';
import twitterText from 'twitter-text';
import { measureText } from '../../shared/platforms/rules.ts';
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
 * A local stand-in for the Threads API (`graph.threads.net/v1.0`) as Pulsecast uses it, answering
 * as Meta documents: media containers (`POST /{user}/threads` with `media_type` TEXT, IMAGE,
 * VIDEO, or CAROUSEL of `is_carousel_item` children), their `status` (IN_PROGRESS → FINISHED,
 * ERROR with `error_message`, EXPIRED after 24 hours), `POST /{user}/threads_publish`, the
 * 250-posts-a-day `threads_publishing_limit`, 500 characters (emoji counted in UTF-8 bytes) and
 * at most 5 links, the user's threads, media insights, and `refresh_access_token`.
 */

export interface ThreadsSimAccount {
  /** The Pulsecast channel this account stands for (its audience settings). */
  channel: string;
  threadsUserId: string;
  username: string;
  accessToken: string;
}

export interface ThreadsSimulatorOptions {
  clock?: Clock;
  audience?: AudienceModel | SimulatorConfig | SimulatorConfigInput;
  accounts?: Partial<ThreadsSimAccount>[];
  port?: number;
  /** Status polls an image or video container stays IN_PROGRESS. @default 1 */
  mediaProcessingPolls?: number;
  /** Posts per rolling 24 hours. @default 250 */
  publishingLimit?: number;
  /** Lifetime of long-lived tokens. @default 5184000 (60 days) */
  tokenTtlSeconds?: number;
  /** How old the accounts' starting tokens are. @default 2592000 (30 days) */
  initialTokenAgeSeconds?: number;
}

export interface ThreadsSimulatorHandle extends SimulatorHandle {
  readonly accounts: readonly ThreadsSimAccount[];
}

export const DEFAULT_THREADS_ACCOUNT: ThreadsSimAccount = {
  channel: 'threads-main',
  threadsUserId: '26014213178290321',
  username: 'pulsecast',
  accessToken: 'th-sim-access-token-0001',
};

/** The audience's shares split the way Threads reports spreading: reposts, quotes, shares. */
const MEDIA_METRICS: Record<
  string,
  { title: string; description: string; value: (e: Engagement) => number }
> = {
  views: {
    title: 'Views',
    description: 'The number of times your post was played or displayed.',
    value: (e) => e.impressions,
  },
  likes: { title: 'Likes', description: 'The number of likes on your post.', value: (e) => e.likes },
  replies: { title: 'Replies', description: 'The number of replies on your post.', value: (e) => e.comments },
  reposts: {
    title: 'Reposts',
    description: 'The number of times your post was reposted.',
    value: (e) => Math.round(e.shares * 0.6),
  },
  quotes: {
    title: 'Quotes',
    description: 'The number of times your post was quoted.',
    value: (e) => Math.round(e.shares * 0.2),
  },
  shares: {
    title: 'Shares',
    description: 'The number of shares of your post.',
    value: (e) => Math.max(0, e.shares - Math.round(e.shares * 0.6) - Math.round(e.shares * 0.2)),
  },
};

interface Container {
  id: string;
  account: string;
  mediaType: 'TEXT' | 'IMAGE' | 'VIDEO' | 'CAROUSEL';
  url?: string;
  text: string;
  children: string[];
  isCarouselItem: boolean;
  createdAt: number;
  pollsLeft: number;
  error?: string;
  published: boolean;
}

export async function startThreadsSimulator(
  options: ThreadsSimulatorOptions = {},
): Promise<ThreadsSimulatorHandle> {
  const accounts: ThreadsSimAccount[] = (options.accounts ?? [{}]).map((a, i) => ({
    ...DEFAULT_THREADS_ACCOUNT,
    ...(i > 0
      ? {
          channel: `threads-${i + 1}`,
          threadsUserId: String(26014213178290321n + BigInt(i)),
          username: `pulsecast${i + 1}`,
          accessToken: `th-sim-access-token-${String(i + 1).padStart(4, '0')}`,
        }
      : {}),
    ...a,
  }));
  const ttl = options.tokenTtlSeconds ?? 5_184_000;
  const limit = options.publishingLimit ?? 250;
  const containers = new Map<string, Container>();
  const accountById = (id: string) => accounts.find((a) => a.threadsUserId === id);
  const clock = options.clock ?? (() => new Date());
  let ctxRef: SimContext | undefined;
  const longLived = new LongLivedTokens(() => ctxRef as SimContext, ttl);

  const routes: SimRoute[] = [
    {
      method: 'GET',
      path: '/refresh_access_token',
      handle: (req) => longLived.refresh(req, 'th_refresh_token'),
    },
    {
      method: 'POST',
      path: '/:version/:userId/threads',
      auth: true,
      handle: (req, ctx) => createContainer(req, ctx),
    },
    {
      method: 'GET',
      path: '/:version/:userId/threads',
      auth: true,
      handle: (req, ctx) => listThreads(req, ctx),
    },
    {
      method: 'POST',
      path: '/:version/:userId/threads_publish',
      auth: true,
      handle: (req, ctx) => publish(req, ctx),
    },
    {
      method: 'GET',
      path: '/:version/:userId/threads_publishing_limit',
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

  function accountOf(req: SimRequest): ThreadsSimAccount {
    checkGraphVersion(req, /^v1\.0$/);
    const account = accountById(req.auth?.account ?? '');
    if (!account)
      throw graphFail(400, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 });
    if (
      req.params.userId !== undefined &&
      req.params.userId !== account.threadsUserId &&
      req.params.userId !== 'me'
    ) {
      throw missingObject(req.params.userId);
    }
    return account;
  }

  async function createContainer(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    const account = accountOf(req);
    const p = graphParams(req);
    const text = p.text ?? '';
    if (text !== '') {
      const length = measureText('threads', text).length;
      if (length > 500) {
        throw graphFail(400, {
          message: `(#100) The text is ${length} characters long; the limit is 500.`,
          code: 100,
        });
      }
      if (new Set(twitterText.extractUrls(text)).size > 5) {
        throw graphFail(400, { message: '(#100) A post can contain at most 5 links.', code: 100 });
      }
    }
    const isCarouselItem = p.is_carousel_item === 'true';
    const mediaType = p.media_type;
    const id = ctx.nextId();
    const base = {
      id,
      account: account.threadsUserId,
      text,
      isCarouselItem,
      createdAt: ctx.now().getTime(),
      published: false,
      children: [],
    };
    let container: Container;
    switch (mediaType) {
      case 'TEXT':
        if (text === '')
          throw graphFail(400, {
            message: '(#100) The parameter text is required for TEXT posts.',
            code: 100,
          });
        container = { ...base, mediaType, pollsLeft: 0 };
        break;
      case 'IMAGE':
      case 'VIDEO': {
        const url = mediaType === 'IMAGE' ? p.image_url : p.video_url;
        if (!url) {
          throw graphFail(400, {
            message: `(#100) The parameter ${mediaType === 'IMAGE' ? 'image_url' : 'video_url'} is required.`,
            code: 100,
          });
        }
        container = { ...base, mediaType, url, pollsLeft: options.mediaProcessingPolls ?? 1 };
        if (!(await mediaReachable(url))) {
          container.error = mediaType === 'IMAGE' ? 'FAILED_DOWNLOADING_IMAGE' : 'FAILED_DOWNLOADING_VIDEO';
        }
        break;
      }
      case 'CAROUSEL': {
        const children = (p.children ?? '').split(',').filter(Boolean);
        if (children.length < 2 || children.length > 20) {
          throw graphFail(400, { message: '(#100) A carousel takes between 2 and 20 items.', code: 100 });
        }
        for (const child of children) {
          const c = containers.get(child);
          if (
            !c ||
            c.account !== account.threadsUserId ||
            !c.isCarouselItem ||
            status(c, ctx, false) !== 'FINISHED'
          ) {
            throw graphFail(400, {
              message: `(#100) The carousel item ${child} is not a finished item of this account.`,
              code: 100,
            });
          }
        }
        container = { ...base, mediaType, children, pollsLeft: 0 };
        break;
      }
      default:
        throw graphFail(400, {
          message: '(#100) media_type must be one of TEXT, IMAGE, VIDEO, CAROUSEL.',
          code: 100,
        });
    }
    containers.set(id, container);
    return json(200, { id });
  }

  function status(c: Container, ctx: SimContext, poll = true): string {
    if (c.published) return 'PUBLISHED';
    if (ctx.now().getTime() - c.createdAt >= 24 * 3_600_000) return 'EXPIRED';
    if (c.pollsLeft > 0) {
      if (poll) c.pollsLeft -= 1;
      return 'IN_PROGRESS';
    }
    return c.error ? 'ERROR' : 'FINISHED';
  }

  function postsInLastDay(account: ThreadsSimAccount, ctx: SimContext): number {
    const since = ctx.now().getTime() - 24 * 3_600_000;
    return ctx.posts.filter((p) => p.account === account.threadsUserId && p.publishedAt.getTime() > since)
      .length;
  }

  function publish(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const creationId = graphParams(req).creation_id ?? '';
    const c = containers.get(creationId);
    if (!c || c.account !== account.threadsUserId || c.isCarouselItem) {
      throw graphFail(400, {
        message: '(#100) The parameter creation_id is not a publishable container of this account.',
        code: 100,
      });
    }
    if (postsInLastDay(account, ctx) >= limit) {
      // Threads documents the quota, not the error's exact code; Meta's "limit reached" code 9 is used.
      throw graphFail(400, {
        message: 'The user has reached the limit of posts that can be published in 24 hours.',
        code: 9,
        is_transient: false,
      });
    }
    const state = status(c, ctx, false);
    if (state === 'PUBLISHED')
      throw graphFail(400, { message: '(#100) This container has already been published.', code: 100 });
    if (state !== 'FINISHED') {
      throw graphFail(400, {
        message: '(#100) The media container is not ready to be published; check its status and try again.',
        code: 100,
      });
    }
    c.published = true;
    const mediaId = ctx.nextId();
    const items =
      c.mediaType === 'CAROUSEL'
        ? c.children.map((id) => containers.get(id) as Container)
        : c.mediaType === 'TEXT'
          ? []
          : [c];
    const code = shortcode(mediaId);
    ctx.addPost({
      id: mediaId,
      channel: account.channel,
      account: account.threadsUserId,
      text: c.text,
      media: items.map((item) => ({
        id: item.id,
        kind: item.mediaType === 'VIDEO' ? 'video' : 'image',
        mimeType: item.mediaType === 'VIDEO' ? 'video/mp4' : 'image/jpeg',
        bytes: 0,
      })),
      publishedAt: ctx.now(),
      url: `https://www.threads.net/@${account.username}/post/${code}`,
      data: {
        mediaType:
          c.mediaType === 'TEXT' ? 'TEXT_POST' : c.mediaType === 'CAROUSEL' ? 'CAROUSEL_ALBUM' : c.mediaType,
        shortcode: code,
      },
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

  function listThreads(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const since = Number(req.query.get('since') ?? 0) * 1000;
    const max = Math.min(Number(req.query.get('limit') ?? 25) || 25, 100);
    const fields = splitFields(req.query.get('fields') ?? 'id');
    const items = ctx.posts
      .filter((p) => p.account === account.threadsUserId && !p.deleted && p.publishedAt.getTime() >= since)
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
    if (id === 'me' || id === account.threadsUserId)
      return json(200, { id: account.threadsUserId, username: account.username });
    const c = containers.get(id);
    if (c && c.account === account.threadsUserId) {
      const state = status(c, ctx);
      const out: Record<string, unknown> = { id: c.id };
      if (fields.includes('status')) out.status = state;
      if (fields.includes('error_message') && state === 'ERROR') out.error_message = c.error;
      return json(200, out);
    }
    const post = ctx.findPost(id);
    if (!post || post.deleted || post.account !== account.threadsUserId) throw missingObject(id);
    return json(200, renderMedia(post, fields, account));
  }

  function renderMedia(
    post: SimulatedPost,
    fields: string[],
    account: ThreadsSimAccount,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { id: post.id };
    for (const field of fields) {
      if (field === 'text' && post.text) out.text = post.text;
      if (field === 'timestamp') out.timestamp = metaTime(post.publishedAt);
      if (field === 'permalink') out.permalink = post.url;
      if (field === 'media_type') out.media_type = post.data.mediaType;
      if (field === 'media_product_type') out.media_product_type = 'THREADS';
      if (field === 'username') out.username = account.username;
      if (field === 'shortcode') out.shortcode = post.data.shortcode;
      if (field === 'is_quote_post') out.is_quote_post = false;
    }
    return out;
  }

  function mediaInsights(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req);
    const id = req.params.id ?? '';
    const post = ctx.findPost(id);
    if (!post || post.deleted || post.account !== account.threadsUserId) throw missingObject(id);
    const metrics = (req.query.get('metric') ?? '').split(',').filter(Boolean);
    for (const metric of metrics) {
      if (!MEDIA_METRICS[metric]) {
        throw graphFail(400, {
          message: `(#100) The value must be a valid insights metric: ${metric}`,
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
    platform: 'threads',
    dialect: metaDialect({
      throttleCode: 4,
      throttleMessage: '(#4) Application request limit reached',
      bucType: 'threads',
      bucId: () => accounts[0]?.threadsUserId ?? '0',
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
    longLived.issue(
      account.threadsUserId,
      account.accessToken,
      options.initialTokenAgeSeconds ?? 30 * 86_400,
    );
  }
  return Object.assign(sim, { accounts });
}

function shortcode(id: string): string {
  return createHash('sha256').update(`threads:${id}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 11);
}
