import twitterText from 'twitter-text';
import { measureText } from '../../../shared/platforms/rules.ts';
import { metaUserBreakdown } from '../audience-breakdowns.ts';
import { json } from '../base.ts';
import {
  type AccountsSimulatorHandle,
  type AccountsSimulatorOptions,
  numbered,
  numberedAccounts,
} from '../setup.ts';
import type * as Sim from '../sim.ts';
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
  missingObject,
  ownPost,
  requestedMetrics,
  startMetaSimulator,
  tokenAccount,
} from './graph.ts';
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

export interface ThreadsSimAccount {
  /** The Pulsecast channel this account stands for (its audience settings). */
  channel: string;
  threadsUserId: string;
  username: string;
  accessToken: string;
}

export interface ThreadsSimulatorOptions
  extends AccountsSimulatorOptions<ThreadsSimAccount>,
    LongLivedTokenOptions {
  /** Status polls an image or video container stays IN_PROGRESS. @default 1 */
  mediaProcessingPolls?: number;
  /** Posts per rolling 24 hours. @default 250 */
  publishingLimit?: number;
}

export type ThreadsSimulatorHandle = AccountsSimulatorHandle<ThreadsSimAccount>;

export const DEFAULT_THREADS_ACCOUNT: ThreadsSimAccount = {
  channel: 'threads-main',
  threadsUserId: '26014213178290321',
  username: 'pulsecast',
  accessToken: 'th-sim-access-token-0001',
};

/** The audience's shares split the way Threads reports spreading: reposts, quotes, shares. */
const MEDIA_METRICS: MetricSpecs = {
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

type Container = MetaContainer & { mediaType: 'TEXT' | 'IMAGE' | 'VIDEO' | 'CAROUSEL'; text: string };

/** What a published post's `media_type` says for each kind of container. */
const PUBLISHED_MEDIA_TYPE: Record<Container['mediaType'], string> = {
  TEXT: 'TEXT_POST',
  IMAGE: 'IMAGE',
  VIDEO: 'VIDEO',
  CAROUSEL: 'CAROUSEL_ALBUM',
};

export async function startThreadsSimulator(
  options: ThreadsSimulatorOptions = {},
): Promise<ThreadsSimulatorHandle> {
  const accounts = numberedAccounts(options.accounts, DEFAULT_THREADS_ACCOUNT, (n) => ({
    channel: `threads-${n}`,
    threadsUserId: String(26014213178290321n + BigInt(n - 1)),
    username: `pulsecast${n}`,
    accessToken: numbered('th-sim-access-token-', n),
  }));
  const limit = options.publishingLimit ?? 250;
  const containers = new Containers<Container>();

  const nodes = nodeHandlers({
    containers,
    accountOf,
    userIdOf: (account) => account.threadsUserId,
    listSince: true,
    container(c, state, fields) {
      const out: Record<string, unknown> = {};
      if (fields.includes('status')) out.status = state;
      if (fields.includes('error_message') && state === 'ERROR') out.error_message = c.error;
      return out;
    },
    post: renderMedia,
  });
  const routes = containerRoutes(
    { media: 'threads', publish: 'threads_publish', limit: 'threads_publishing_limit' },
    {
      create: (req, ctx) => createContainer(req, ctx),
      list: nodes.list,
      publish: (req, ctx) => publish(req, ctx),
      limit: (req, ctx) => publishingLimit(req, ctx, accountOf(req).threadsUserId, limit),
      insights: (req, ctx) => mediaInsights(req, ctx),
      read: nodes.read,
    },
  );

  function accountOf(req: Sim.Request): ThreadsSimAccount {
    const account = tokenAccount(req, accounts, (a) => a.threadsUserId, /^v1\.0$/);
    const userId = req.params.userId;
    if (userId !== undefined && userId !== account.threadsUserId && userId !== 'me') {
      throw missingObject(userId);
    }
    return account;
  }

  async function createContainer(req: Sim.Request, ctx: Sim.Context): Promise<Sim.Response> {
    const account = accountOf(req);
    const p = graphParams(req);
    const text = p.text ?? '';
    if (text !== '') {
      const length = measureText('threads', text).length;
      if (length > 500) throw badParameter(`The text is ${length} characters long; the limit is 500.`);
      if (new Set(twitterText.extractUrls(text)).size > 5) {
        throw badParameter('A post can contain at most 5 links.');
      }
    }
    const mediaType = p.media_type;
    const base = { ...newContainer(ctx, account.threadsUserId, p.is_carousel_item === 'true'), text };
    let container: Container;
    switch (mediaType) {
      case 'TEXT':
        if (text === '') throw badParameter('The parameter text is required for TEXT posts.');
        container = { ...base, mediaType, pollsLeft: 0 };
        break;
      case 'IMAGE':
      case 'VIDEO': {
        const url = mediaType === 'IMAGE' ? p.image_url : p.video_url;
        if (!url) {
          throw badParameter(
            `The parameter ${mediaType === 'IMAGE' ? 'image_url' : 'video_url'} is required.`,
          );
        }
        container = { ...base, mediaType, url, pollsLeft: options.mediaProcessingPolls ?? 1 };
        if (!(await mediaReachable(url))) {
          container.error = mediaType === 'IMAGE' ? 'FAILED_DOWNLOADING_IMAGE' : 'FAILED_DOWNLOADING_VIDEO';
        }
        break;
      }
      case 'CAROUSEL': {
        const children = carouselChildren(p.children);
        if (children.length < 2 || children.length > 20) {
          throw badParameter('A carousel takes between 2 and 20 items.');
        }
        for (const child of children) {
          const c = containers.of(child, account.threadsUserId);
          if (!c?.isCarouselItem || containers.status(c, ctx, false) !== 'FINISHED') {
            throw badParameter(`The carousel item ${child} is not a finished item of this account.`);
          }
        }
        container = { ...base, mediaType, children, pollsLeft: 0 };
        break;
      }
      default:
        throw badParameter('media_type must be one of TEXT, IMAGE, VIDEO, CAROUSEL.');
    }
    containers.add(container);
    return json(200, { id: container.id });
  }

  function publish(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountOf(req);
    const c = containers.of(graphParams(req).creation_id ?? '', account.threadsUserId);
    if (!c || c.isCarouselItem) {
      throw badParameter('The parameter creation_id is not a publishable container of this account.');
    }
    if (postsInLastDay(ctx, account.threadsUserId) >= limit) {
      // Threads documents the quota, not the error's exact code; Meta's "limit reached" code 9 is used.
      throw graphFail(400, {
        message: 'The user has reached the limit of posts that can be published in 24 hours.',
        code: 9,
        is_transient: false,
      });
    }
    const state = containers.status(c, ctx, false);
    if (state === 'PUBLISHED') throw badParameter('This container has already been published.');
    if (state !== 'FINISHED') {
      throw badParameter('The media container is not ready to be published; check its status and try again.');
    }
    c.published = true;
    const mediaId = ctx.nextId();
    const items = c.mediaType === 'CAROUSEL' ? containers.itemsOf(c) : c.mediaType === 'TEXT' ? [] : [c];
    const code = shortcode(`threads:${mediaId}`);
    ctx.addPost({
      id: mediaId,
      channel: account.channel,
      account: account.threadsUserId,
      text: c.text,
      media: mediaOf(items),
      publishedAt: ctx.now(),
      url: `https://www.threads.net/@${account.username}/post/${code}`,
      data: { mediaType: PUBLISHED_MEDIA_TYPE[c.mediaType], shortcode: code },
    });
    return json(200, { id: mediaId });
  }

  function renderMedia(
    post: Sim.Post,
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

  function mediaInsights(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountOf(req);
    const post = ownPost(ctx, req.params.id ?? '', account.threadsUserId);
    return json(200, { data: insightsOf(post, requestedMetrics(req), MEDIA_METRICS, ctx) });
  }

  const sim = await startMetaSimulator({
    platform: 'threads',
    throttle: { code: 4, message: '(#4) Application request limit reached', bucType: 'threads' },
    // The conversation first: `/{id}` would take `/keyword_search` otherwise.
    routes: [
      ...threadsConversationRoutes(accounts),
      ...routes,
      {
        method: 'GET',
        path: '/:version/:userId/threads_insights',
        auth: true,
        handle: (req, ctx) => {
          const account = accountOf(req);
          if (req.query.get('metric') === 'follower_demographics') {
            return metaUserBreakdown(req, ctx, { id: account.threadsUserId, channel: account.channel }, [
              'follower_demographics',
            ]);
          }
          return followersInsights(req, ctx, { userId: account.threadsUserId, channel: account.channel });
        },
      },
    ],
    accounts: accounts.map((a) => ({ id: a.threadsUserId, token: a.accessToken })),
    refreshGrantType: 'th_refresh_token',
    options,
  });
  return Object.assign(sim, { accounts });
}
