import { createHash } from 'node:crypto';
import { json } from '../base.ts';
import { accountFollowers } from '../history.ts';
import type * as Sim from '../sim.ts';
import { ownPost, postList, splitFields } from './graph.ts';

/**
 * Media containers, the two-step publishing of Instagram and Threads: a container is created
 * (`POST /{user}/media` or `/threads`), processed for some status polls, then published
 * (`…_publish`), at most a quota of posts per rolling 24 hours. A container not published within
 * 24 hours expires.
 */

const DAY_MS = 24 * 3_600_000;

export interface MetaContainer {
  id: string;
  /** The account id that created it. */
  account: string;
  /** `VIDEO` for a video; the rest is the platform's own. */
  mediaType: string;
  url?: string;
  children: string[];
  isCarouselItem: boolean;
  createdAt: number;
  /** Status reads it stays IN_PROGRESS for. */
  pollsLeft: number;
  /** Set when processing fails: its status ends as ERROR. */
  error?: string;
  published: boolean;
}

export type ContainerStatus = 'PUBLISHED' | 'EXPIRED' | 'IN_PROGRESS' | 'ERROR' | 'FINISHED';

export class Containers<C extends MetaContainer> {
  private readonly byId = new Map<string, C>();

  add(container: C): void {
    this.byId.set(container.id, container);
  }

  /** The account's container with this id. */
  of(id: string, account: string): C | undefined {
    const container = this.byId.get(id);
    return container && container.account === account ? container : undefined;
  }

  /** The containers a carousel names, in order (they were checked when it was created). */
  itemsOf(carousel: C): C[] {
    return carousel.children.map((id) => this.byId.get(id) as C);
  }

  /** A container's status; reading it with `poll` counts as one poll of the processing it needs. */
  status(container: C, ctx: Sim.Context, poll = true): ContainerStatus {
    if (container.published) return 'PUBLISHED';
    if (ctx.now().getTime() - container.createdAt >= DAY_MS) return 'EXPIRED';
    if (container.pollsLeft > 0) {
      if (poll) container.pollsLeft -= 1;
      return 'IN_PROGRESS';
    }
    return container.error ? 'ERROR' : 'FINISHED';
  }
}

/** The fields every new container starts with. */
export function newContainer(ctx: Sim.Context, account: string, isCarouselItem: boolean) {
  return {
    id: ctx.nextId(),
    account,
    isCarouselItem,
    createdAt: ctx.now().getTime(),
    published: false,
    children: [] as string[],
  };
}

/** The container ids a carousel lists (`children=a,b,c`). */
export function carouselChildren(param: string | undefined): string[] {
  return (param ?? '').split(',').filter(Boolean);
}

/** Posts the account published in the last 24 hours, what the publishing quota counts. */
export function postsInLastDay(ctx: Sim.Context, account: string): number {
  const since = ctx.now().getTime() - DAY_MS;
  return ctx.posts.filter((p) => p.account === account && p.publishedAt.getTime() > since).length;
}

/** `GET /{user}/…publishing_limit`: the quota used, and with `fields=…config` the quota itself. */
export function publishingLimit(
  req: Sim.Request,
  ctx: Sim.Context,
  account: string,
  limit: number,
): Sim.Response {
  const fields = splitFields(req.query.get('fields') ?? 'quota_usage');
  const entry: Record<string, unknown> = { quota_usage: postsInLastDay(ctx, account) };
  if (fields.includes('config')) entry.config = { quota_total: limit, quota_duration: 86400 };
  return json(200, { data: [entry] });
}

/** The media of a published post, one per container (JPEG images, MP4 videos). */
export function mediaOf(items: MetaContainer[]): Sim.Media[] {
  return items.map((item) => ({
    id: item.id,
    kind: item.mediaType === 'VIDEO' ? 'video' : 'image',
    mimeType: item.mediaType === 'VIDEO' ? 'video/mp4' : 'image/jpeg',
    bytes: 0,
  }));
}

/** An 11-character permalink short code derived from `seed`. */
export function shortcode(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, 'x').slice(0, 11);
}

type Handler = Sim.Route['handle'];

/**
 * The routes of a container platform, under its own edge names (`media`, `media_publish`,
 * `content_publishing_limit` on Instagram): create and list on the user's media edge, publish,
 * the quota, a node's insights, and a node (user, container or post). The user is `:userId`.
 */
export function containerRoutes(
  edges: { media: string; publish: string; limit: string },
  handle: {
    create: Handler;
    list: Handler;
    publish: Handler;
    limit: Handler;
    insights: Handler;
    read: Handler;
  },
): Sim.Route[] {
  return [
    { method: 'POST', path: `/:version/:userId/${edges.media}`, auth: true, handle: handle.create },
    { method: 'GET', path: `/:version/:userId/${edges.media}`, auth: true, handle: handle.list },
    { method: 'POST', path: `/:version/:userId/${edges.publish}`, auth: true, handle: handle.publish },
    { method: 'GET', path: `/:version/:userId/${edges.limit}`, auth: true, handle: handle.limit },
    { method: 'GET', path: '/:version/:id/insights', auth: true, handle: handle.insights },
    { method: 'GET', path: '/:version/:id', auth: true, handle: handle.read },
  ];
}

/** How a container platform shows its user's posts and containers when they are read. */
export interface NodeViews<A extends { username: string }, C extends MetaContainer> {
  containers: Containers<C>;
  /** The account whose token the request presented (and whose user the path names). */
  accountOf: (req: Sim.Request) => A;
  userIdOf: (account: A) => string;
  /** Whether listing the user's posts honours `since`. */
  listSince: boolean;
  /** The fields asked for of a container in this state, besides its id. */
  container: (container: C, state: ContainerStatus, fields: string[]) => Record<string, unknown>;
  post: (post: Sim.Post, fields: string[], account: A, ctx: Sim.Context) => Record<string, unknown>;
}

/**
 * The reading routes of a container platform: `list`, the user's posts, newest first; `read`, a
 * node by id: the user itself (`me` too), one of its containers, or one of its posts.
 */
export function nodeHandlers<A extends { username: string }, C extends MetaContainer>(
  views: NodeViews<A, C>,
): { list: Handler; read: Handler } {
  return {
    list(req, ctx) {
      const account = views.accountOf(req);
      const options = { defaultFields: 'id', since: views.listSince };
      return postList(req, ctx, views.userIdOf(account), options, (post, fields) =>
        views.post(post, fields, account, ctx),
      );
    },
    read(req, ctx) {
      const account = views.accountOf(req);
      const userId = views.userIdOf(account);
      const id = req.params.id ?? '';
      const fields = splitFields(req.query.get('fields') ?? 'id');
      if (id === 'me' || id === userId) {
        const followers = fields.includes('followers_count')
          ? {
              followers_count: accountFollowers(ctx, userId, (account as { channel?: string }).channel ?? ''),
            }
          : {};
        return json(200, { id: userId, username: account.username, ...followers });
      }
      const c = views.containers.of(id, userId);
      if (c) return json(200, { id: c.id, ...views.container(c, views.containers.status(c, ctx), fields) });
      return json(200, views.post(ownPost(ctx, id, userId), fields, account, ctx));
    },
  };
}
