import { metaUserBreakdown } from '../audience-breakdowns.ts';
import { json, type SimError } from '../base.ts';
import {
  type AccountsSimulatorHandle,
  type AccountsSimulatorOptions,
  numbered,
  numberedAccounts,
} from '../setup.ts';
import type * as Sim from '../sim.ts';
import { metaCommentsRoutes } from './comments-conversation.ts';
import {
  Containers,
  carouselChildren,
  containerRoutes,
  type MetaContainer,
  mediaOf,
  newContainer,
  nodeHandlers,
  postsInLastDay,
  publishingLimit,
  shortcode,
} from './containers.ts';
import {
  badParameter,
  graphFail,
  graphParams,
  insightsOf,
  type LongLivedTokenOptions,
  type MetricSpecs,
  mediaReachable,
  metaTime,
  ownPost,
  requestedMetrics,
  startMetaSimulator,
  tokenAccount,
} from './graph.ts';

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

export interface InstagramSimulatorOptions
  extends AccountsSimulatorOptions<InstagramSimAccount>,
    LongLivedTokenOptions {
  /** Status polls an image container stays IN_PROGRESS. @default 0 */
  imageProcessingPolls?: number;
  /** Status polls a video container stays IN_PROGRESS. @default 2 */
  videoProcessingPolls?: number;
  /** Posts per rolling 24 hours (the documented example says 50). @default 50 */
  publishingLimit?: number;
}

export type InstagramSimulatorHandle = AccountsSimulatorHandle<InstagramSimAccount>;

export const DEFAULT_INSTAGRAM_ACCOUNT: InstagramSimAccount = {
  channel: 'instagram-main',
  igUserId: '17841405822304914',
  username: 'pulsecast',
  accessToken: 'ig-sim-access-token-0001',
};

/** Media insights Instagram still serves, and what each reports of the audience. */
const MEDIA_METRICS: MetricSpecs = {
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

/** A container's `mediaType` is what its published media reports: IMAGE, VIDEO or CAROUSEL_ALBUM. */
type Container = MetaContainer & { caption: string };

/** Instagram's answer while a container is not FINISHED (`media_publish` adds `is_transient`). */
function notReady(transient: { is_transient?: boolean } = {}): SimError {
  return graphFail(400, {
    message: 'Media ID is not available',
    ...transient,
    code: 9007,
    error_subcode: 2207027,
    error_user_title: 'Media not ready for publishing',
    error_user_msg: 'The media is not ready for publishing, please wait for a moment',
  });
}

export async function startInstagramSimulator(
  options: InstagramSimulatorOptions = {},
): Promise<InstagramSimulatorHandle> {
  const accounts = numberedAccounts(options.accounts, DEFAULT_INSTAGRAM_ACCOUNT, (n) => ({
    channel: `instagram-${n}`,
    igUserId: String(17841405822304914n + BigInt(n - 1)),
    username: `pulsecast${n}`,
    accessToken: numbered('ig-sim-access-token-', n),
  }));
  const limit = options.publishingLimit ?? 50;
  const containers = new Containers<Container>();

  const nodes = nodeHandlers({
    containers,
    accountOf,
    userIdOf: (account) => account.igUserId,
    listSince: false,
    container(c, state, fields) {
      const out: Record<string, unknown> = {};
      if (fields.includes('status_code')) out.status_code = state;
      if (fields.includes('status'))
        out.status =
          state === 'ERROR'
            ? c.error
            : state === 'FINISHED'
              ? 'Finished: Media has been uploaded and it is ready to be published.'
              : state;
      return out;
    },
    post: renderMedia,
  });
  const routes = containerRoutes(
    { media: 'media', publish: 'media_publish', limit: 'content_publishing_limit' },
    {
      create: (req, ctx) => createContainer(req, ctx),
      list: nodes.list,
      publish: (req, ctx) => publish(req, ctx),
      limit: (req, ctx) => publishingLimit(req, ctx, accountOf(req).igUserId, limit),
      // The account's own id: its audience (demographics, online followers); a media id: the post's.
      insights: (req, ctx) =>
        req.params.id === accountOf(req).igUserId
          ? metaUserBreakdown(req, ctx, { id: accountOf(req).igUserId, channel: accountOf(req).channel }, [
              'follower_demographics',
              'online_followers',
            ])
          : mediaInsights(req, ctx),
      read: nodes.read,
    },
  );

  function accountOf(req: Sim.Request): InstagramSimAccount {
    const account = tokenAccount(req, accounts, (a) => a.igUserId);
    if (
      req.params.userId !== undefined &&
      req.params.userId !== account.igUserId &&
      req.params.userId !== 'me'
    ) {
      throw graphFail(400, {
        message: `Unsupported post request. Object with ID '${req.params.userId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        type: 'GraphMethodException',
        code: 100,
        error_subcode: 33,
      });
    }
    return account;
  }

  async function createContainer(req: Sim.Request, ctx: Sim.Context): Promise<Sim.Response> {
    const account = accountOf(req);
    const p = graphParams(req);
    const caption = p.caption ?? '';
    if (caption.length > 2200) {
      throw badParameter('The caption is too long: it must be at most 2,200 characters.');
    }
    const isCarouselItem = p.is_carousel_item === 'true';
    const base = { ...newContainer(ctx, account.igUserId, isCarouselItem), caption };
    let container: Container;
    if (p.media_type === 'CAROUSEL') {
      const children = carouselChildren(p.children);
      if (children.length < 2 || children.length > 10) {
        throw badParameter('A carousel takes between 2 and 10 children.');
      }
      for (const child of children) {
        const c = containers.of(child, account.igUserId);
        if (!c?.isCarouselItem) {
          throw badParameter(`The carousel child ${child} is not a carousel item of this account.`);
        }
        if (containers.status(c, ctx, false) !== 'FINISHED') throw notReady();
      }
      container = { ...base, mediaType: 'CAROUSEL_ALBUM', children, pollsLeft: 0 };
    } else if (p.video_url) {
      if (p.media_type === 'VIDEO' && !isCarouselItem) {
        throw badParameter('The VIDEO media_type is no longer supported for single videos; use REELS.');
      }
      if (p.media_type !== 'REELS' && p.media_type !== 'VIDEO') {
        throw badParameter('media_type must be REELS (or VIDEO for a carousel item) with video_url.');
      }
      container = {
        ...base,
        mediaType: 'VIDEO',
        url: p.video_url,
        pollsLeft: options.videoProcessingPolls ?? 2,
      };
      if (!(await mediaReachable(p.video_url)))
        container.error = 'Error: Media upload has failed with error code 2207052';
    } else if (p.image_url) {
      container = {
        ...base,
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
      throw badParameter('The parameter image_url or video_url is required.');
    }
    containers.add(container);
    return json(200, { id: container.id });
  }

  function publish(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountOf(req);
    const c = containers.of(graphParams(req).creation_id ?? '', account.igUserId);
    if (!c) throw badParameter('The parameter creation_id is not a container of this account.');
    if (c.isCarouselItem) {
      throw badParameter('A carousel item cannot be published on its own; publish the carousel.');
    }
    if (postsInLastDay(ctx, account.igUserId) >= limit) {
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
    const state = containers.status(c, ctx, false);
    if (state === 'PUBLISHED') throw badParameter('This media container has already been published.');
    if (state !== 'FINISHED') {
      throw notReady({ is_transient: false });
    }
    c.published = true;
    const mediaId = ctx.nextId();
    ctx.addPost({
      id: mediaId,
      channel: account.channel,
      account: account.igUserId,
      text: c.caption,
      media: mediaOf(c.mediaType === 'CAROUSEL_ALBUM' ? containers.itemsOf(c) : [c]),
      publishedAt: ctx.now(),
      url: `https://www.instagram.com/p/${shortcode(mediaId)}/`,
      data: { mediaType: c.mediaType, container: c.id },
    });
    return json(200, { id: mediaId });
  }

  function renderMedia(
    post: Sim.Post,
    fields: string[],
    account: InstagramSimAccount,
    ctx: Sim.Context,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { id: post.id };
    for (const field of fields) {
      if (field === 'caption' && post.text) out.caption = post.text;
      if (field === 'timestamp') out.timestamp = metaTime(post.publishedAt);
      if (field === 'permalink') out.permalink = post.url;
      if (field === 'media_type') out.media_type = post.data.mediaType;
      if (field === 'username') out.username = account.username;
      if (field === 'like_count') out.like_count = ctx.audience.engagementAt(post, ctx.now()).likes;
      if (field === 'comments_count')
        out.comments_count = ctx.audience.engagementAt(post, ctx.now()).comments;
    }
    return out;
  }

  function mediaInsights(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountOf(req);
    const post = ownPost(ctx, req.params.id ?? '', account.igUserId);
    const data = insightsOf(post, requestedMetrics(req), MEDIA_METRICS, ctx, (metric) =>
      RETIRED_METRICS.has(metric)
        ? badParameter(
            `Starting from version v22.0 and above, the ${metric} metric is no longer supported for media created after July 1, 2024. Please use the views metric.`,
          )
        : badParameter(
            `metric[0] must be one of the following values: ${Object.keys(MEDIA_METRICS).join(', ')}`,
          ),
    );
    return json(200, { data });
  }

  const sim = await startMetaSimulator({
    platform: 'instagram',
    throttle: {
      code: 80002,
      message: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
      bucType: 'instagram',
    },
    routes: [
      ...metaCommentsRoutes('instagram', (req) => {
        const account = accountOf(req);
        return { id: account.igUserId, name: account.username };
      }),
      ...routes,
    ],
    accounts: accounts.map((a) => ({ id: a.igUserId, token: a.accessToken })),
    refreshGrantType: 'ig_refresh_token',
    options,
  });
  return Object.assign(sim, { accounts });
}
