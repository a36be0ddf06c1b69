import * as z from 'zod';
import type { Channel } from '../../domain/index.ts';
import type { PlatformHttp } from '../http.ts';
import { PlatformError, type PublishContext, type PublishedRef } from '../port.ts';
import type { GraphClient, GraphParams } from './graph.ts';

/**
 * Instagram's and Threads' two-step publishing: create a media container (children and a
 * CAROUSEL container for several items), wait until Meta has processed it, then publish it —
 * the one call that can make a post public.
 */

/** What one post asks of its containers: the container's parameters for each shape of post. */
export interface ContainerPost {
  /** Keys the containers of this post (with the idempotency key): its text and media. */
  content: unknown;
  media: readonly string[];
  /** The container of a post with at most one media item. */
  single(url: string | undefined): GraphParams;
  /** One item of a carousel. */
  item(url: string): GraphParams;
  /** The carousel container itself, of the children's container ids (comma-separated). */
  carousel(children: string): GraphParams;
  /** Where the post can be seen when Meta does not say its permalink. */
  profileUrl: string;
}

/**
 * Publishes a post through containers: checks the 24-hour quota, makes (or picks up from an
 * earlier attempt) a finished container, publishes it and reads its permalink. Everything before
 * the publish call is safe to repeat (the Graph client reports those failures as `unavailable`);
 * only an already-published container is `ambiguous`.
 */
export async function publishThroughContainers(args: {
  http: PlatformHttp;
  graph: GraphClient;
  dialect: ContainerDialect;
  cache: ContainerCache;
  channel: Channel;
  userId: string;
  context: PublishContext;
  processingBudgetMs: number;
  post: ContainerPost;
}): Promise<PublishedRef> {
  const { http, graph, dialect, cache, channel, userId, context, post } = args;
  const quota = await readPublishingQuota(graph, userId, dialect);
  if (quota && quota.usage >= quota.total) {
    throw new PlatformError(
      'rate-limited',
      `the ${dialect.platformName} account of channel '${channel.id}' has used its ${quota.total} posts of the last 24 hours`,
      { retryAfterSeconds: 3600, platformCode: 'publishing-limit' },
    );
  }
  const key = ContainerCache.key(channel.id, context.idempotencyKey, post.content);
  const budget = { remainingMs: args.processingBudgetMs };
  const ready = (cacheKey: string, create: () => Promise<string>) =>
    readyContainer({ http, graph, dialect, cache, key: cacheKey, budget, create });
  const create = (params: GraphParams) => createContainer(graph, userId, dialect, params);
  const containerId =
    post.media.length <= 1
      ? await ready(key, () => create(post.single(post.media[0])))
      : await ready(key, async () => {
          const children: string[] = [];
          for (const [i, url] of post.media.entries()) {
            children.push(await ready(`${key}#${i}`, () => create(post.item(url))));
          }
          return create(post.carousel(children.join(',')));
        });
  let mediaId: string;
  try {
    mediaId = await publishContainer(graph, userId, containerId, dialect, context.signal);
  } catch (error) {
    if (error instanceof PlatformError && error.kind === 'rejected') cache.delete(key);
    throw error;
  }
  cache.delete(key);
  const permalink = await permalinkOf(graph, mediaId);
  return {
    platformPostId: mediaId,
    platformUrl: permalink ?? post.profileUrl,
    ...rateLimitAfterPublish(quota, http.now()),
  };
}

/** What differs between Instagram's and Threads' two-step publishing. */
export interface ContainerDialect {
  platformName: string;
  /** `media` (Instagram) or `threads`. */
  createEdge: string;
  /** `media_publish` or `threads_publish`. */
  publishEdge: string;
  /** `content_publishing_limit` or `threads_publishing_limit`. */
  limitEdge: string;
  /** The container's status field: `status_code` (Instagram) or `status` (Threads). */
  statusField: 'status_code' | 'status';
  /** Fields to read alongside the status, for the reason of an ERROR. */
  statusDetailFields: string[];
  /** How long to wait between status polls. */
  pollMs: number;
}

/**
 * How long one publish may wait for media processing. The publish step runs in a Lambda function
 * with a 30-second timeout, so the default leaves room for the calls around the wait; a video
 * that takes longer is `unavailable` this time and its container is picked up again next time
 * (see ContainerCache).
 */
export const DEFAULT_PROCESSING_BUDGET_MS = 18_000;

const ContainerCreated = z.object({ id: z.string().min(1) });
const PublishingLimit = z.object({
  data: z.array(
    z.object({
      quota_usage: z.number(),
      config: z.object({ quota_total: z.number(), quota_duration: z.number() }).optional(),
    }),
  ),
});

interface QuotaState {
  usage: number;
  total: number;
  durationSeconds: number;
}

/** `GET /{user}/…_publishing_limit?fields=quota_usage,config`: how much of the 24-hour quota is used. */
async function readPublishingQuota(
  graph: GraphClient,
  userId: string,
  dialect: ContainerDialect,
): Promise<QuotaState | undefined> {
  const body = await graph.get(`/${userId}/${dialect.limitEdge}`, { fields: 'quota_usage,config' });
  const parsed = PublishingLimit.safeParse(body);
  const entry = parsed.success ? parsed.data.data[0] : undefined;
  if (!entry?.config) return undefined;
  return {
    usage: entry.quota_usage,
    total: entry.config.quota_total,
    durationSeconds: entry.config.quota_duration,
  };
}

/** Creates a container; containers publish nothing, so creating one is safe to repeat. */
async function createContainer(
  graph: GraphClient,
  userId: string,
  dialect: ContainerDialect,
  params: GraphParams,
): Promise<string> {
  const body = await graph.post(`/${userId}/${dialect.createEdge}`, params, { retrySafe: true });
  const parsed = ContainerCreated.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError(
      'unavailable',
      `${dialect.platformName} created a container but did not say its id`,
      {
        platformCode: 'shape',
      },
    );
  }
  return parsed.data.id;
}

/** Waiting time left for one publish, shared by every container it waits for. */
interface ProcessingBudget {
  remainingMs: number;
}

/**
 * Polls a container until it is FINISHED, while the budget lasts. ERROR means the media was
 * refused (`rejected`); EXPIRED (unpublished for 24 h) and a container still processing when the
 * budget runs out can be tried again (`unavailable`). A container already PUBLISHED means an
 * earlier attempt's publish went through: that is `ambiguous`, never a reason to publish again.
 */
async function waitForContainer(
  http: PlatformHttp,
  graph: GraphClient,
  containerId: string,
  dialect: ContainerDialect,
  budget: ProcessingBudget,
): Promise<void> {
  const fields = [dialect.statusField, ...dialect.statusDetailFields].join(',');
  for (;;) {
    const body = (await graph.get(`/${containerId}`, { fields })) as Record<string, unknown> | undefined;
    const status =
      typeof body?.[dialect.statusField] === 'string' ? (body[dialect.statusField] as string) : undefined;
    if (status === 'FINISHED') return;
    if (status === 'PUBLISHED') {
      throw new PlatformError(
        'ambiguous',
        `the ${dialect.platformName} container was already published by an earlier attempt`,
        { platformCode: 'container-published' },
      );
    }
    if (status === 'ERROR') {
      const detail = dialect.statusDetailFields
        .map((field) => body?.[field])
        .find((value): value is string => typeof value === 'string' && value !== 'ERROR');
      throw new PlatformError(
        'rejected',
        `${dialect.platformName} could not process the media${detail ? `: ${detail}` : ''}`,
        { platformCode: 'container-error' },
      );
    }
    if (status === 'EXPIRED') {
      throw new PlatformError(
        'unavailable',
        `the ${dialect.platformName} container expired before it was published`,
        {
          platformCode: 'container-expired',
        },
      );
    }
    // Counted down by the poll interval, not read from the clock (which is injectable).
    if (budget.remainingMs < dialect.pollMs) break;
    budget.remainingMs -= dialect.pollMs;
    await http.sleep(dialect.pollMs);
  }
  throw new PlatformError(
    'unavailable',
    `${dialect.platformName} was still processing the media; nothing was published, and the next attempt continues with the same container`,
    { platformCode: 'container-processing' },
  );
}

/**
 * A container for `key` that is ready to publish: the one an earlier attempt created if this
 * process still knows it, else a new one. It stays remembered unless it can never be published
 * (refused, expired, or already published).
 */
async function readyContainer(args: {
  http: PlatformHttp;
  graph: GraphClient;
  dialect: ContainerDialect;
  cache: ContainerCache;
  key: string;
  budget: ProcessingBudget;
  create: () => Promise<string>;
}): Promise<string> {
  let id = args.cache.get(args.key);
  if (id === undefined) {
    id = await args.create();
    args.cache.set(args.key, id);
  }
  try {
    await waitForContainer(args.http, args.graph, id, args.dialect, args.budget);
    return id;
  } catch (error) {
    if (
      !(error instanceof PlatformError) ||
      error.kind === 'rejected' ||
      FINAL_CONTAINER_CODES.has(error.details.platformCode ?? '')
    ) {
      args.cache.delete(args.key);
    }
    throw error;
  }
}

const FINAL_CONTAINER_CODES = new Set(['container-expired', 'container-published']);

/**
 * Containers created for a post, kept between attempts in this process, so that a video still
 * processing when one attempt gives up is picked up by the next instead of being uploaded again
 * (and never catching up). Keyed by the post's stable idempotency key and its content.
 * Containers expire after 24 hours on Meta's side; entries are dropped well before that.
 */
export class ContainerCache {
  private readonly entries = new Map<string, { id: string; at: number }>();
  private static readonly MAX_AGE_MS = 20 * 3_600_000;

  constructor(private readonly now: () => Date) {}

  static key(channelId: string, idempotencyKey: string, content: unknown): string {
    return `${channelId}\u0000${idempotencyKey}\u0000${JSON.stringify(content)}`;
  }

  get(key: string): string | undefined {
    const now = this.now().getTime();
    for (const [k, entry] of this.entries)
      if (now - entry.at > ContainerCache.MAX_AGE_MS) this.entries.delete(k);
    return this.entries.get(key)?.id;
  }

  set(key: string, id: string): void {
    this.entries.set(key, { id, at: this.now().getTime() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Publishes a finished container: the one call that can make a post public. No idempotency key
 * exists, so a lost answer is `ambiguous` (lookup reconciles it). "Media not ready" is not.
 */
async function publishContainer(
  graph: GraphClient,
  userId: string,
  containerId: string,
  dialect: ContainerDialect,
  signal?: AbortSignal,
): Promise<string> {
  const body = await graph.post(
    `/${userId}/${dialect.publishEdge}`,
    { creation_id: containerId },
    { retrySafe: false },
    signal,
  );
  const parsed = ContainerCreated.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError('ambiguous', `${dialect.platformName} accepted the post but did not say its id`, {
      platformCode: 'shape',
    });
  }
  return parsed.data.id;
}

/** The published media's permalink; a failure here must not turn a published post into an error. */
async function permalinkOf(graph: GraphClient, mediaId: string): Promise<string | undefined> {
  try {
    const body = (await graph.get(`/${mediaId}`, { fields: 'permalink' })) as
      | Record<string, unknown>
      | undefined;
    return typeof body?.permalink === 'string' ? body.permalink : undefined;
  } catch {
    return undefined;
  }
}

/** What a successful publish tells the channel's rate ledger: the quota left in the rolling day. */
function rateLimitAfterPublish(
  quota: QuotaState | undefined,
  now: Date,
): { rateLimit?: { remaining: number; resetAt: string } } {
  if (!quota) return {};
  // The window is rolling, so "reset" is at the latest one window from now.
  return {
    rateLimit: {
      remaining: Math.max(0, quota.total - quota.usage - 1),
      resetAt: new Date(now.getTime() + quota.durationSeconds * 1000).toISOString(),
    },
  };
}
