import { metaUserBreakdown } from '../audience-breakdowns.ts';
import type { SimError } from '../base.ts';
import type { AccountsSimulatorHandle } from '../setup.ts';
import { metaCommentsRoutes } from './comments-conversation.ts';
import {
  type ContainerSimAccount,
  type ContainerSimulatorOptions,
  containerSimulator,
  firstContainerAccount,
} from './container-simulator.ts';
import { Containers, carouselChildren, type MetaContainer, newContainer, shortcode } from './containers.ts';
import * as Graph from './graph.ts';

/**
 * A local stand-in for the Instagram API with Instagram Login (`graph.instagram.com`) as
 * Pulsecast uses it, answering as Meta documents: media containers (`POST /{ig-id}/media` with
 * `image_url`, `media_type=REELS` + `video_url`, `is_carousel_item`, `media_type=CAROUSEL` +
 * `children`), their `status_code` (IN_PROGRESS → FINISHED, ERROR for media it cannot fetch or
 * read, EXPIRED after 24 hours), `POST /{ig-id}/media_publish` (9007/2207027 while the container
 * is not ready, 9/2207042 past the publishing limit), `content_publishing_limit`, the account's
 * media list, media insights without the retired `impressions`, and `refresh_access_token`.
 */

export type InstagramSimAccount = ContainerSimAccount;

export interface InstagramSimulatorOptions extends ContainerSimulatorOptions {
  /** Status polls an image container stays IN_PROGRESS. @default 0 */
  imageProcessingPolls?: number;
  /** Status polls a video container stays IN_PROGRESS. @default 2 */
  videoProcessingPolls?: number;
}

export type InstagramSimulatorHandle = AccountsSimulatorHandle<InstagramSimAccount>;

export const DEFAULT_INSTAGRAM_ACCOUNT = firstContainerAccount('instagram', 'ig', '17841405822304914');

/** Media insights Instagram still serves, and what each reports of the audience. */
const MEDIA_METRICS: Graph.MetricSpecs = {
  reach: {
    title: 'Accounts reached',
    description: 'The number of unique accounts that have seen this post at least once.',
    value: (e) => e.reach,
  },
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
  return Graph.graphFail(400, {
    message: 'Media ID is not available',
    ...transient,
    code: 9007,
    error_subcode: 2207027,
    error_user_title: 'Media not ready for publishing',
    error_user_msg: 'The media is not ready for publishing, please wait for a moment',
  });
}

export const startInstagramSimulator = containerSimulator((options: InstagramSimulatorOptions) => ({
  platform: 'instagram',
  throttle: {
    code: 80002,
    message: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
    bucType: 'instagram',
  },
  containers: new Containers<Container>(),
  first: DEFAULT_INSTAGRAM_ACCOUNT,
  otherUser: (userId) =>
    Graph.graphFail(400, {
      message: `Unsupported post request. Object with ID '${userId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
    }),
  edges: { media: 'media', publish: 'media_publish', limit: 'content_publishing_limit' },
  limit: 50,
  listSince: false,
  accountInsights: (req, ctx, account) =>
    metaUserBreakdown(req, ctx, { id: account.userId, channel: account.channel }, [
      'follower_demographics',
      'online_followers',
    ]),
  containerFields: (c, state) => ({
    status_code: state,
    status:
      state === 'ERROR'
        ? c.error
        : state === 'FINISHED'
          ? 'Finished: Media has been uploaded and it is ready to be published.'
          : state,
  }),
  textField: 'caption',
  postFields(post, ctx) {
    const e = ctx.audience.engagementAt(post, ctx.now());
    return { like_count: e.likes, comments_count: e.comments };
  },
  async create(req, ctx, account, containers) {
    const p = Graph.graphParams(req);
    const caption = p.caption ?? '';
    if (caption.length > 2200) {
      throw Graph.badParameter('The caption is too long: it must be at most 2,200 characters.');
    }
    const isCarouselItem = p.is_carousel_item === 'true';
    const base = { ...newContainer(ctx, account.userId, isCarouselItem), caption };
    let container: Container;
    if (p.media_type === 'CAROUSEL') {
      const children = carouselChildren(p.children);
      if (children.length < 2 || children.length > 10) {
        throw Graph.badParameter('A carousel takes between 2 and 10 children.');
      }
      for (const child of children) {
        const c = containers.of(child, account.userId);
        if (!c?.isCarouselItem) {
          throw Graph.badParameter(`The carousel child ${child} is not a carousel item of this account.`);
        }
        if (containers.status(c, ctx, false) !== 'FINISHED') throw notReady();
      }
      container = { ...base, mediaType: 'CAROUSEL_ALBUM', children, pollsLeft: 0 };
    } else if (p.video_url) {
      if (p.media_type === 'VIDEO' && !isCarouselItem) {
        throw Graph.badParameter('The VIDEO media_type is no longer supported for single videos; use REELS.');
      }
      if (p.media_type !== 'REELS' && p.media_type !== 'VIDEO') {
        throw Graph.badParameter('media_type must be REELS (or VIDEO for a carousel item) with video_url.');
      }
      container = {
        ...base,
        mediaType: 'VIDEO',
        url: p.video_url,
        pollsLeft: options.videoProcessingPolls ?? 2,
      };
      if (!(await Graph.mediaReachable(p.video_url)))
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
      else if (!(await Graph.mediaReachable(p.image_url)))
        container.error = 'Error: Media upload has failed with error code 2207052';
    } else {
      throw Graph.badParameter('The parameter image_url or video_url is required.');
    }
    return container;
  },
  publish: {
    check(c) {
      if (!c) throw Graph.badParameter('The parameter creation_id is not a container of this account.');
      if (c.isCarouselItem) {
        throw Graph.badParameter('A carousel item cannot be published on its own; publish the carousel.');
      }
      return c;
    },
    limitReached: () =>
      Graph.graphFail(400, {
        message: 'Application request limit reached',
        is_transient: false,
        code: 9,
        error_subcode: 2207042,
        error_user_title: 'Publishing limit reached',
        error_user_msg:
          'You have reached the maximum number of posts that is allowed to be published in 24 hours.',
      }),
    alreadyPublished: 'This media container has already been published.',
    notReady: () => notReady({ is_transient: false }),
    post: (c, _account, mediaId) => ({
      text: c.caption,
      url: `https://www.instagram.com/p/${shortcode(mediaId)}/`,
      data: { mediaType: c.mediaType, container: c.id },
    }),
  },
  metrics: MEDIA_METRICS,
  refuseMetric: (metric) =>
    RETIRED_METRICS.has(metric)
      ? Graph.badParameter(
          `Starting from version v22.0 and above, the ${metric} metric is no longer supported for media created after July 1, 2024. Please use the views metric.`,
        )
      : Graph.badParameter(
          `metric[0] must be one of the following values: ${Object.keys(MEDIA_METRICS).join(', ')}`,
        ),
  routes: (accountOf) =>
    metaCommentsRoutes('instagram', (req) => {
      const account = accountOf(req);
      return { id: account.userId, name: account.username };
    }),
  refreshGrantType: 'ig_refresh_token',
}));
