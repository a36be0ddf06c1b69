import twitterText from 'twitter-text';
import { measureText } from '../../../shared/platforms/rules.ts';
import { metaUserBreakdown } from '../audience-breakdowns.ts';
import type { AccountsSimulatorHandle } from '../setup.ts';
import {
  type ContainerSimAccount,
  type ContainerSimulatorOptions,
  containerSimulator,
  firstContainerAccount,
} from './container-simulator.ts';
import { Containers, carouselChildren, type MetaContainer, newContainer, shortcode } from './containers.ts';
import * as Graph from './graph.ts';
import { threadsConversationRoutes } from './threads-conversation.ts';
import { followersInsights } from './user-insights.ts';

/**
 * A local stand-in for the Threads API (`graph.threads.net/v1.0`) as Pulsecast uses it, answering
 * as Meta documents: media containers (`POST /{user}/threads` with `media_type` TEXT, IMAGE,
 * VIDEO, or CAROUSEL of `is_carousel_item` children), their `status` (IN_PROGRESS → FINISHED,
 * ERROR with `error_message`, EXPIRED after 24 hours), `POST /{user}/threads_publish`, the
 * 250-posts-a-day `threads_publishing_limit`, 500 characters (emoji counted in UTF-8 bytes) and
 * at most 5 links, the user's threads, media insights, `refresh_access_token`, and keyword search
 * and replies over the simulated conversation (threads-conversation.ts).
 */

export type ThreadsSimAccount = ContainerSimAccount;

export interface ThreadsSimulatorOptions extends ContainerSimulatorOptions {
  /** Status polls an image or video container stays IN_PROGRESS. @default 1 */
  mediaProcessingPolls?: number;
}

export type ThreadsSimulatorHandle = AccountsSimulatorHandle<ThreadsSimAccount>;

export const DEFAULT_THREADS_ACCOUNT = firstContainerAccount('threads', 'th', '26014213178290321');

/** The audience's shares split the way Threads reports spreading: reposts, quotes, shares. */
const MEDIA_METRICS: Graph.MetricSpecs = {
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

type Container = MetaContainer & { mediaType: 'TEXT' | 'IMAGE' | 'VIDEO' | 'CAROUSEL'; text: string };

/** What a published post's `media_type` says for each kind of container. */
const PUBLISHED_MEDIA_TYPE: Record<Container['mediaType'], string> = {
  TEXT: 'TEXT_POST',
  IMAGE: 'IMAGE',
  VIDEO: 'VIDEO',
  CAROUSEL: 'CAROUSEL_ALBUM',
};

export const startThreadsSimulator = containerSimulator((options: ThreadsSimulatorOptions) => ({
  platform: 'threads',
  throttle: { code: 4, message: '(#4) Application request limit reached', bucType: 'threads' },
  containers: new Containers<Container>(),
  first: DEFAULT_THREADS_ACCOUNT,
  version: /^v1\.0$/,
  otherUser: Graph.missingObject,
  edges: { media: 'threads', publish: 'threads_publish', limit: 'threads_publishing_limit' },
  limit: 250,
  listSince: true,
  containerFields: (c, state) => ({
    status: state,
    error_message: state === 'ERROR' ? c.error : undefined,
  }),
  textField: 'text',
  postFields: (post) => ({
    media_product_type: 'THREADS',
    shortcode: post.data.shortcode,
    is_quote_post: false,
  }),
  async create(req, ctx, account, containers) {
    const p = Graph.graphParams(req);
    const text = p.text ?? '';
    if (text !== '') {
      const length = measureText('threads', text).length;
      if (length > 500) throw Graph.badParameter(`The text is ${length} characters long; the limit is 500.`);
      if (new Set(twitterText.extractUrls(text)).size > 5) {
        throw Graph.badParameter('A post can contain at most 5 links.');
      }
    }
    const mediaType = p.media_type;
    const base = { ...newContainer(ctx, account.userId, p.is_carousel_item === 'true'), text };
    let container: Container;
    switch (mediaType) {
      case 'TEXT':
        if (text === '') throw Graph.badParameter('The parameter text is required for TEXT posts.');
        container = { ...base, mediaType, pollsLeft: 0 };
        break;
      case 'IMAGE':
      case 'VIDEO': {
        const url = mediaType === 'IMAGE' ? p.image_url : p.video_url;
        if (!url) {
          throw Graph.badParameter(
            `The parameter ${mediaType === 'IMAGE' ? 'image_url' : 'video_url'} is required.`,
          );
        }
        container = { ...base, mediaType, url, pollsLeft: options.mediaProcessingPolls ?? 1 };
        if (!(await Graph.mediaReachable(url))) {
          container.error = mediaType === 'IMAGE' ? 'FAILED_DOWNLOADING_IMAGE' : 'FAILED_DOWNLOADING_VIDEO';
        }
        break;
      }
      case 'CAROUSEL': {
        const children = carouselChildren(p.children);
        if (children.length < 2 || children.length > 20) {
          throw Graph.badParameter('A carousel takes between 2 and 20 items.');
        }
        for (const child of children) {
          const c = containers.of(child, account.userId);
          if (!c?.isCarouselItem || containers.status(c, ctx, false) !== 'FINISHED') {
            throw Graph.badParameter(`The carousel item ${child} is not a finished item of this account.`);
          }
        }
        container = { ...base, mediaType, children, pollsLeft: 0 };
        break;
      }
      default:
        throw Graph.badParameter('media_type must be one of TEXT, IMAGE, VIDEO, CAROUSEL.');
    }
    return container;
  },
  publish: {
    check(c) {
      if (!c || c.isCarouselItem) {
        throw Graph.badParameter('The parameter creation_id is not a publishable container of this account.');
      }
      return c;
    },
    // Threads documents the quota, not the error's exact code; Meta's "limit reached" code 9 is used.
    limitReached: () =>
      Graph.graphFail(400, {
        message: 'The user has reached the limit of posts that can be published in 24 hours.',
        code: 9,
        is_transient: false,
      }),
    alreadyPublished: 'This container has already been published.',
    notReady: () =>
      Graph.badParameter('The media container is not ready to be published; check its status and try again.'),
    post(c, account, mediaId) {
      const code = shortcode(`threads:${mediaId}`);
      return {
        text: c.text,
        url: `https://www.threads.net/@${account.username}/post/${code}`,
        data: { mediaType: PUBLISHED_MEDIA_TYPE[c.mediaType], shortcode: code },
      };
    },
  },
  metrics: MEDIA_METRICS,
  // The conversation first: `/{id}` would take `/keyword_search` otherwise.
  routes: (accountOf, accounts) => [
    ...threadsConversationRoutes(accounts),
    {
      method: 'GET',
      path: '/:version/:userId/threads_insights',
      auth: true,
      handle: (req, ctx) => {
        const account = accountOf(req);
        if (req.query.get('metric') === 'follower_demographics') {
          return metaUserBreakdown(req, ctx, { id: account.userId, channel: account.channel }, [
            'follower_demographics',
          ]);
        }
        return followersInsights(req, ctx, account);
      },
    },
  ],
  refreshGrantType: 'th_refresh_token',
}));
