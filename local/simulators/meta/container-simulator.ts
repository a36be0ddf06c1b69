import { json, type SimError } from '../base.ts';
import {
  type AccountsSimulatorHandle,
  type AccountsSimulatorOptions,
  numbered,
  numberedAccounts,
} from '../setup.ts';
import type * as Sim from '../sim.ts';
import {
  type ContainerStatus,
  type Containers,
  containerRoutes,
  type MetaContainer,
  mediaOf,
  nodeHandlers,
  postsInLastDay,
  publishingLimit,
} from './containers.ts';
import {
  badParameter,
  graphParams,
  insightsOf,
  type LongLivedTokenOptions,
  type MetaThrottle,
  type MetricSpecs,
  metaTime,
  ownPost,
  requestedMetrics,
  startMetaSimulator,
  tokenAccount,
} from './graph.ts';

/** An account of a container platform's simulator. */
export interface ContainerSimAccount {
  /** The Pulsecast channel this account stands for (its audience settings). */
  channel: string;
  /** The Instagram or Threads user id. */
  userId: string;
  username: string;
  accessToken: string;
}

/**
 * A platform's first simulated account: `{platform}-main`, user `@pulsecast`, token
 * `{prefix}-sim-access-token-0001`. Later ones count up from it (`startContainerSimulator`).
 */
export function firstContainerAccount(
  platform: string,
  tokenPrefix: string,
  userId: string,
): ContainerSimAccount {
  return {
    channel: `${platform}-main`,
    userId,
    username: 'pulsecast',
    accessToken: numbered(`${tokenPrefix}-sim-access-token-`, 1),
  };
}

/** What a container platform's simulator is started with, besides its processing settings. */
export interface ContainerSimulatorOptions
  extends AccountsSimulatorOptions<ContainerSimAccount>,
    LongLivedTokenOptions {
  /** Posts per rolling 24 hours. @default the platform's documented quota */
  publishingLimit?: number;
}

/** The metrics Instagram and Threads both report alike. */
const VIEWS_METRIC: MetricSpecs[string] = {
  title: 'Views',
  description: 'The number of times your post was played or displayed.',
  value: (e) => e.impressions,
};
const LIKES_METRIC: MetricSpecs[string] = {
  title: 'Likes',
  description: 'The number of likes on your post.',
  value: (e) => e.likes,
};

/**
 * A container platform (Instagram, Threads): what differs between them, the rest being the
 * two-step publishing both share (containers.ts).
 */
export interface ContainerPlatform<C extends MetaContainer> {
  platform: string;
  throttle: MetaThrottle;
  /** Where the simulator keeps its containers (empty at the start). */
  containers: Containers<C>;
  /** The first account; the `n`th is `{platform}-{n}`, `pulsecast{n}`, the user id after the one before and a numbered token. */
  first: ContainerSimAccount;
  /** The Graph versions the platform answers (`tokenAccount`). */
  version?: RegExp;
  /** The error for a path naming a user other than the token's. */
  otherUser: (userId: string) => SimError;
  edges: { media: string; publish: string; limit: string };
  /** Posts per rolling 24 hours unless the options say otherwise. */
  limit: number;
  /** Whether listing the user's posts honours `since`. */
  listSince: boolean;
  /** The fields a container in this state can show besides its id (undefined ones it leaves out). */
  containerFields: (container: C, state: ContainerStatus) => Record<string, unknown>;
  /** The field a post's text is read as (`caption`, `text`). */
  textField: string;
  /** The platform's own fields of a published post, besides its text, time, link, type and author. */
  postFields: (post: Sim.Post, ctx: Sim.Context) => Record<string, unknown>;
  /** A new container from `POST /{user}/{media}`, checked (it is not stored yet). */
  create: (
    req: Sim.Request,
    ctx: Sim.Context,
    account: ContainerSimAccount,
    containers: Containers<C>,
  ) => Promise<C>;
  publish: {
    /** The container the request names, refused unless it may be published on its own. */
    check: (container: C | undefined) => C;
    limitReached: () => SimError;
    alreadyPublished: string;
    notReady: () => SimError;
    /** What the published post says, links to and keeps. */
    post: (
      container: C,
      account: ContainerSimAccount,
      mediaId: string,
    ) => { text: string; url: string; data: Record<string, unknown> };
  };
  /** Insights asked of the account's own id (its audience breakdowns), where the platform has them there. */
  accountInsights?(req: Sim.Request, ctx: Sim.Context, account: ContainerSimAccount): Sim.Response;
  /** The platform's media insights besides `views` and `likes`. */
  metrics: MetricSpecs;
  /** The refusal of a metric `metrics` lacks (Graph's generic one by default). */
  refuseMetric?: (metric: string) => SimError;
  /** Routes ahead of the container routes, given how a request's account is found. */
  routes: (
    accountOf: (req: Sim.Request) => ContainerSimAccount,
    accounts: ContainerSimAccount[],
  ) => Sim.Route[];
  refreshGrantType: string;
}

/**
 * The start function of a container platform's simulator (Instagram, Threads), from what sets
 * the platform apart given the options it is started with.
 */
export function containerSimulator<O extends ContainerSimulatorOptions, C extends MetaContainer>(
  specOf: (options: O) => ContainerPlatform<C>,
): (options?: O) => Promise<AccountsSimulatorHandle<ContainerSimAccount>> {
  return (options = {} as O) => startContainerSimulator(specOf(options), options);
}

async function startContainerSimulator<C extends MetaContainer>(
  spec: ContainerPlatform<C>,
  options: ContainerSimulatorOptions,
): Promise<AccountsSimulatorHandle<ContainerSimAccount>> {
  const { first } = spec;
  const userIdOf = (account: ContainerSimAccount) => account.userId;
  const metrics: MetricSpecs = { views: VIEWS_METRIC, likes: LIKES_METRIC, ...spec.metrics };
  const accounts = numberedAccounts(spec.platform, options.accounts, first, (n) => ({
    username: `pulsecast${n}`,
    userId: String(BigInt(first.userId) + BigInt(n - 1)),
    accessToken: numbered(first.accessToken.replace(/\d+$/, ''), n),
  }));
  const limit = options.publishingLimit ?? spec.limit;
  const { containers } = spec;

  function accountOf(req: Sim.Request): ContainerSimAccount {
    const account = tokenAccount(req, accounts, userIdOf, spec.version);
    const userId = req.params.userId;
    if (userId !== undefined && userId !== userIdOf(account) && userId !== 'me') {
      throw spec.otherUser(userId);
    }
    return account;
  }

  async function create(req: Sim.Request, ctx: Sim.Context): Promise<Sim.Response> {
    const container = await spec.create(req, ctx, accountOf(req), containers);
    containers.add(container);
    return json(200, { id: container.id });
  }

  function publish(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountOf(req);
    const userId = userIdOf(account);
    const c = spec.publish.check(containers.of(graphParams(req).creation_id ?? '', userId));
    if (postsInLastDay(ctx, userId) >= limit) throw spec.publish.limitReached();
    const state = containers.status(c, ctx, false);
    if (state === 'PUBLISHED') throw badParameter(spec.publish.alreadyPublished);
    if (state !== 'FINISHED') throw spec.publish.notReady();
    c.published = true;
    const mediaId = ctx.nextId();
    const items = c.children.length > 0 ? containers.itemsOf(c) : c.url ? [c] : [];
    const { text, url, data } = spec.publish.post(c, account, mediaId);
    ctx.addPost({
      id: mediaId,
      channel: account.channel,
      account: userId,
      text,
      media: mediaOf(items),
      publishedAt: ctx.now(),
      url,
      data,
    });
    return json(200, { id: mediaId });
  }

  function mediaInsights(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = accountOf(req);
    // The account's own id asks for its audience (demographics, online followers), a media id for the post's.
    if (spec.accountInsights && req.params.id === userIdOf(account))
      return spec.accountInsights(req, ctx, account);
    const post = ownPost(ctx, req.params.id ?? '', userIdOf(accountOf(req)));
    return json(200, { data: insightsOf(post, requestedMetrics(req), metrics, ctx, spec.refuseMetric) });
  }

  function renderPost(post: Sim.Post, fields: string[], account: ContainerSimAccount, ctx: Sim.Context) {
    const all: Record<string, unknown> = {
      [spec.textField]: post.text || undefined,
      timestamp: metaTime(post.publishedAt),
      permalink: post.url,
      media_type: post.data.mediaType,
      username: account.username,
      ...spec.postFields(post, ctx),
    };
    return { id: post.id, ...picked(all, fields) };
  }

  const nodes = nodeHandlers({
    containers,
    accountOf,
    userIdOf,
    listSince: spec.listSince,
    container: (c, state, fields) => picked(spec.containerFields(c, state), fields),
    post: renderPost,
  });
  const routes = containerRoutes(spec.edges, {
    create,
    list: nodes.list,
    publish,
    limit: (req, ctx) => publishingLimit(req, ctx, userIdOf(accountOf(req)), limit),
    insights: mediaInsights,
    read: nodes.read,
  });
  const sim = await startMetaSimulator({
    platform: spec.platform,
    throttle: spec.throttle,
    routes: [...spec.routes(accountOf, accounts), ...routes],
    accounts: accounts.map((a) => ({ id: userIdOf(a), token: a.accessToken })),
    refreshGrantType: spec.refreshGrantType,
    options,
  });
  return Object.assign(sim, { accounts });
}

/** The named fields that have a value. */
function picked(all: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => all[f] !== undefined).map((f) => [f, all[f]]));
}
