import * as z from 'zod';
import type { Channel } from '../domain/index.ts';
import { BLUESKY_API_BASE, blueskySession, webUrl } from './bluesky.ts';
import { type AdapterOptions, apiBase, PlatformHttp, readAnswer } from './http.ts';
import {
  type FoundPost,
  type InboundPost,
  LISTENING_CAPABILITIES,
  type ListeningAdapter,
  laterOf,
  type Read,
  type ReadFrom,
  readNewestFirst,
} from './listening.ts';
import type { CredentialStore } from './port.ts';

/**
 * Bluesky listening, through the same session as publishing:
 * - search: `app.bsky.feed.searchPosts` (`sort=latest`, `since` = the newest post seen);
 * - inbound: `app.bsky.notification.listNotifications`, reasons reply, mention and quote;
 * - our replies: `app.bsky.feed.getAuthorFeed` with `filter=posts_with_replies`.
 * Positions are the newest `createdAt` (search, our replies) or `indexedAt` (notifications) seen.
 */

const Ref = z.looseObject({ uri: z.string() });
const PostRecord = z.looseObject({
  text: z.string().default(''),
  createdAt: z.string(),
  reply: z.looseObject({ root: Ref, parent: Ref }).optional(),
});
const Author = z.looseObject({ did: z.string(), handle: z.string(), displayName: z.string().optional() });
const PostView = z.looseObject({
  uri: z.string(),
  author: Author,
  record: PostRecord,
  indexedAt: z.string().optional(),
});
type PostView = z.infer<typeof PostView>;
const SearchAnswer = z.object({ posts: z.array(PostView), cursor: z.string().optional() });
const NotificationsAnswer = z.object({
  notifications: z.array(
    z.looseObject({
      uri: z.string(),
      author: Author,
      reason: z.string(),
      record: z.unknown(),
      indexedAt: z.string(),
    }),
  ),
  cursor: z.string().optional(),
});
const FeedAnswer = z.object({
  feed: z.array(z.looseObject({ post: PostView })),
  cursor: z.string().optional(),
});

const INBOUND_REASONS: Record<string, InboundPost['kind']> = {
  reply: 'reply',
  mention: 'mention',
  quote: 'quote',
};

const iso = (value: string) => new Date(value).toISOString();

function found(uri: string, author: z.infer<typeof Author>, record: z.infer<typeof PostRecord>): FoundPost {
  return {
    id: uri,
    url: webUrl(uri, author.handle),
    author: {
      handle: author.handle,
      id: author.did,
      ...(author.displayName ? { name: author.displayName } : {}),
    },
    createdAt: iso(record.createdAt),
    text: record.text,
    ...(record.reply ? { replyTo: record.reply.parent.uri, threadRoot: record.reply.root.uri } : {}),
  };
}

export function createBlueskyListening(options: AdapterOptions = {}): ListeningAdapter {
  const http = new PlatformHttp('Bluesky', options);
  const { call } = blueskySession(http);
  const base = (channel: Channel) => `${apiBase(channel, BLUESKY_API_BASE)}/xrpc`;

  /**
   * Every item of one XRPC list (`key` in the answer) newer than `from`, newest first, page by
   * page through Bluesky's cursor; `params` are the method's own parameters (given the DID).
   */
  async function list<T>(
    channel: Channel,
    store: CredentialStore,
    read: {
      method: string;
      key: string;
      schema: z.ZodType<{ cursor?: string | undefined }>;
      params: (did: string) => Record<string, string>;
    },
    at: (item: T) => string,
    from: ReadFrom,
  ): Promise<T[]> {
    const isOld = (value: string) => (from.position ? value <= from.position : value < from.since);
    return readNewestFirst(
      async (cursor) => {
        const { response } = await call(channel, store, (session) => ({
          method: 'GET',
          url: `${base(channel)}/${read.method}?${new URLSearchParams({ ...read.params(session.did), limit: '100', ...(cursor ? { cursor } : {}) })}`,
        }));
        const answer = readAnswer('Bluesky', read.schema, response.body, read.method, 'unavailable');
        const items = (answer as Record<string, unknown>)[read.key] as T[];
        return { items, ...(answer.cursor ? { cursor: answer.cursor } : {}) };
      },
      (item: T) => isOld(iso(at(item))),
    );
  }

  function newest<T extends FoundPost>(
    posts: T[],
    from: ReadFrom,
    at: (post: T) => string = (p) => p.createdAt,
  ): Read<T> {
    let position = from.position;
    for (const post of posts) position = laterOf(position, at(post));
    return { posts, ...(position ? { position } : {}) };
  }

  return {
    platform: 'bluesky',
    capabilities: LISTENING_CAPABILITIES.bluesky,

    async search(query, channel, store, from) {
      const since = from.position ?? from.since;
      const views = await list<PostView>(
        channel,
        store,
        {
          method: 'app.bsky.feed.searchPosts',
          key: 'posts',
          schema: SearchAnswer,
          params: () => ({ q: query, sort: 'latest', since }),
        },
        (view) => view.record.createdAt,
        from,
      );
      return newest(
        views.map((view) => found(view.uri, view.author, view.record)),
        from,
      );
    },

    async inbound(channel, store, from) {
      const items = await list<z.infer<typeof NotificationsAnswer>['notifications'][number]>(
        channel,
        store,
        {
          method: 'app.bsky.notification.listNotifications',
          key: 'notifications',
          schema: NotificationsAnswer,
          params: () => ({}),
        },
        (n) => n.indexedAt,
        from,
      );
      const posts: (InboundPost & { indexedAt: string })[] = [];
      for (const n of items) {
        const kind = INBOUND_REASONS[n.reason];
        const record = PostRecord.safeParse(n.record);
        if (!kind || !record.success) continue;
        posts.push({ ...found(n.uri, n.author, record.data), kind, indexedAt: iso(n.indexedAt) });
      }
      const read = newest(posts, from, (p) => p.indexedAt);
      return { ...read, posts: read.posts.map(({ indexedAt: _, ...post }) => post) };
    },

    async ownReplies(channel, store, from) {
      const items = await list<z.infer<typeof FeedAnswer>['feed'][number]>(
        channel,
        store,
        {
          method: 'app.bsky.feed.getAuthorFeed',
          key: 'feed',
          schema: FeedAnswer,
          params: (did) => ({ actor: did, filter: 'posts_with_replies' }),
        },
        (item) => item.post.record.createdAt,
        from,
      );
      // Reposts show in the author feed too (with a `reason`), under someone else's name.
      const posts = items
        .filter((item) => !item.reason)
        .map((item) => found(item.post.uri, item.post.author, item.post.record));
      const read = newest(posts, from);
      return { ...read, posts: read.posts.filter((post) => post.replyTo !== undefined) };
    },
  };
}
