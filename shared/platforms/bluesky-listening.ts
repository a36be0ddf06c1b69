import { z } from 'zod';
import type { Channel } from '../domain/index.ts';
import { BLUESKY_API_BASE, blueskySession, webUrl } from './bluesky.ts';
import { type AdapterOptions, apiBase, PlatformHttp, readAnswer } from './http.ts';
import {
  type FoundPost,
  type InboundPost,
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

  async function get<T>(
    channel: Channel,
    store: CredentialStore,
    method: string,
    query: (did: string) => URLSearchParams,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const { response } = await call(channel, store, (session) => ({
      method: 'GET',
      url: `${base(channel)}/${method}?${query(session.did)}`,
    }));
    return readAnswer('Bluesky', schema, response.body, method, 'unavailable');
  }

  /** Posts newer than the position (or `since`), and the new position. */
  function after(from: ReadFrom): { since: string; isOld: (at: string) => boolean } {
    const since = from.position ?? from.since;
    return { since, isOld: (at) => (from.position ? at <= from.position : at < from.since) };
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
    capabilities: {
      search: { supported: true },
      inbound: { supported: true },
      ownReplies: { supported: true },
    },

    async search(query, channel, store, from) {
      const { since, isOld } = after(from);
      const views = await readNewestFirst(
        async (cursor) => {
          const answer = await get(
            channel,
            store,
            'app.bsky.feed.searchPosts',
            () =>
              new URLSearchParams({
                q: query,
                sort: 'latest',
                since,
                limit: '100',
                ...(cursor ? { cursor } : {}),
              }),
            SearchAnswer,
          );
          return { items: answer.posts, ...(answer.cursor ? { cursor: answer.cursor } : {}) };
        },
        (view: PostView) => isOld(iso(view.record.createdAt)),
      );
      return newest(
        views.map((view) => found(view.uri, view.author, view.record)),
        from,
      );
    },

    async inbound(channel, store, from) {
      const { isOld } = after(from);
      const items = await readNewestFirst(
        async (cursor) => {
          const answer = await get(
            channel,
            store,
            'app.bsky.notification.listNotifications',
            () => new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) }),
            NotificationsAnswer,
          );
          return { items: answer.notifications, ...(answer.cursor ? { cursor: answer.cursor } : {}) };
        },
        (n) => isOld(iso(n.indexedAt)),
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
      const { isOld } = after(from);
      const items = await readNewestFirst(
        async (cursor) => {
          const answer = await get(
            channel,
            store,
            'app.bsky.feed.getAuthorFeed',
            (did) =>
              new URLSearchParams({
                actor: did,
                filter: 'posts_with_replies',
                limit: '100',
                ...(cursor ? { cursor } : {}),
              }),
            FeedAnswer,
          );
          return { items: answer.feed, ...(answer.cursor ? { cursor: answer.cursor } : {}) };
        },
        (item) => isOld(iso(item.post.record.createdAt)),
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
