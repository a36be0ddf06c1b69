import * as z from 'zod';
import type { Channel } from '../domain/index.ts';
import { type AdapterOptions, PlatformHttp, readAnswer } from './http.ts';
import type { FoundPost, InboundPost, ListeningAdapter, Read, ReadFrom } from './listening.ts';
import { LISTENING_CAPABILITIES, MAX_PAGES } from './listening.ts';
import { htmlToText, mastodonSession } from './mastodon.ts';
import type { CredentialStore } from './port.ts';

/**
 * Mastodon listening, on the channel's own server with its token:
 * - search: a `#tag` term reads the hashtag timeline (`GET /api/v1/timelines/tag/:tag`), any other
 *   term full-text search (`GET /api/v2/search?type=statuses`; a server without a search index
 *   only finds posts its users interacted with, so hashtags are the reliable way);
 * - inbound: `GET /api/v1/notifications?types[]=mention` (a reply mentions whom it answers, and
 *   Mastodon fills a reply's mentions with everyone its parent mentioned, so a reply deeper in a
 *   thread under our post mentions us too);
 * - our replies: `GET /api/v1/accounts/:id/statuses` with `exclude_replies=false`.
 * Positions are status or notification ids (`min_id`: only what is newer is read). A first read
 * pages back from the newest (`max_id`) to `since`.
 *
 * Threads: a Mastodon status names only its parent (`in_reply_to_id`), so the chain above a post
 * is read from `GET /api/v1/statuses/:id/context` (`ancestors`, the first post first), and only
 * where it decides something: for an inbound reply to someone else's post (is the thread one our
 * post started? then it is a reply to us) and for each of our replies (which inbound posts above
 * it does it answer?). Direct replies to us need no call. At most CONTEXT_READS such calls per
 * read; what is past that is stored with its parent only, as before (a direct reply still
 * counts, a deeper one counts as a mention), so a burst of replies in a crisis cannot run the
 * account into Mastodon's rate limit (300 calls per 5 minutes).
 */

const Account = z.looseObject({ id: z.string(), acct: z.string(), display_name: z.string().optional() });
const Status = z.looseObject({
  id: z.string(),
  url: z.string().nullable().optional(),
  uri: z.string().optional(),
  created_at: z.string(),
  content: z.string().default(''),
  account: Account,
  in_reply_to_id: z.string().nullable().optional(),
  in_reply_to_account_id: z.string().nullable().optional(),
});
type Status = z.infer<typeof Status>;
const Notification = z.looseObject({
  id: z.string(),
  type: z.string(),
  status: Status.nullable().optional(),
});
const Me = z.looseObject({ id: z.string() });
const Context = z.looseObject({ ancestors: z.array(Status) });
const PAGE = 40;
/** Context calls per inbound or own-replies read of one channel (one Listener run). */
export const CONTEXT_READS = 40;

/** Mastodon ids are numbers written as strings: longer is newer, then lexical. */
export function newerId(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

function found(status: Status): FoundPost {
  return {
    id: status.id,
    url: status.url ?? status.uri ?? '',
    author: {
      handle: status.account.acct,
      id: status.account.id,
      ...(status.account.display_name ? { name: status.account.display_name } : {}),
    },
    createdAt: new Date(status.created_at).toISOString(),
    text: htmlToText(status.content),
    ...(status.in_reply_to_id ? { replyTo: status.in_reply_to_id } : {}),
  };
}

export function createMastodonListening(options: AdapterOptions = {}): ListeningAdapter {
  const http = new PlatformHttp('Mastodon', options);
  const { serverOf, call } = mastodonSession(http);
  /** Account ids by channel: asked once per container. */
  const accountIds = new Map<string, string>();

  async function get<T>(channel: Channel, store: CredentialStore, path: string, schema: z.ZodType<T>) {
    const response = await call(channel, store, { method: 'GET', url: `${serverOf(channel)}${path}` });
    return readAnswer('Mastodon', schema, response.body, path.split('?')[0] ?? path, 'unavailable');
  }

  /**
   * Items newer than the position, paging forward with `min_id`; on a first read, back from the
   * newest with `max_id` until `since`. `page` answers newest first, as Mastodon does.
   */
  async function newer<T extends { id: string }>(
    from: ReadFrom,
    page: (cursor: { minId?: string; maxId?: string }) => Promise<T[]>,
    createdAt: (item: T) => string,
  ): Promise<Read<T>> {
    let position = from.position;
    const items: T[] = [];
    if (from.position) {
      for (let n = 0; n < MAX_PAGES; n++) {
        const answer = await page({ ...(position ? { minId: position } : {}) });
        const fresh = answer.filter((item) => !position || newerId(item.id, position));
        items.push(...fresh);
        for (const item of fresh) if (!position || newerId(item.id, position)) position = item.id;
        if (answer.length < PAGE || fresh.length === 0) break;
      }
      return { posts: items, ...(position ? { position } : {}) };
    }
    let maxId: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const answer = await page(maxId ? { maxId } : {});
      const kept = answer.filter((item) => createdAt(item) >= from.since);
      items.push(...kept);
      for (const item of answer) if (!position || newerId(item.id, position)) position = item.id;
      const oldest = answer.at(-1);
      if (!oldest || answer.length < PAGE || kept.length < answer.length) break;
      maxId = oldest.id;
    }
    return { posts: items, ...(position ? { position } : {}) };
  }

  /** One page of a Mastodon list at `path`, after `minId` or before `maxId`. */
  const listPage =
    <T>(
      channel: Channel,
      store: CredentialStore,
      path: string,
      params: Record<string, string>,
      schema: z.ZodType<T>,
    ) =>
    ({ minId, maxId }: { minId?: string; maxId?: string }) =>
      get(
        channel,
        store,
        `${path}?${query({ ...params, limit: String(PAGE), min_id: minId, max_id: maxId })}`,
        schema,
      );

  const query = (values: Record<string, string | undefined>) =>
    new URLSearchParams(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));

  return {
    platform: 'mastodon',
    capabilities: LISTENING_CAPABILITIES.mastodon,

    async search(term, channel, store, from) {
      const tag = /^#([\p{L}\p{N}_]+)$/u.exec(term)?.[1];
      const read = await newer(
        from,
        async ({ minId, maxId }) => {
          const params = { limit: String(PAGE), min_id: minId, max_id: maxId };
          if (tag) {
            return get(
              channel,
              store,
              `/api/v1/timelines/tag/${encodeURIComponent(tag)}?${query(params)}`,
              z.array(Status),
            );
          }
          const answer = await get(
            channel,
            store,
            `/api/v2/search?${query({ ...params, q: term, type: 'statuses', resolve: 'false' })}`,
            z.looseObject({ statuses: z.array(Status) }),
          );
          return answer.statuses;
        },
        (status) => new Date(status.created_at).toISOString(),
      );
      return { ...read, posts: read.posts.map(found) };
    },

    async inbound(channel, store, from) {
      const read = await newer(
        from,
        listPage(channel, store, '/api/v1/notifications', { 'types[]': 'mention' }, z.array(Notification)),
        (n) => (n.status ? new Date(n.status.created_at).toISOString() : ''),
      );
      const me = await accountId(channel, store);
      const chains = contextReader(channel, store);
      const posts: InboundPost[] = [];
      for (const { status } of read.posts) {
        if (!status) continue;
        const post = found(status);
        if (status.in_reply_to_account_id === me) {
          posts.push({ ...post, kind: 'reply' });
          continue;
        }
        // A reply to someone else: ours when the thread's first post is ours.
        const above = status.in_reply_to_id ? await chains(status.id) : undefined;
        const root = above?.[0];
        posts.push({
          ...post,
          ...(root ? { threadRoot: root.id } : {}),
          kind: root?.account.id === me ? 'reply' : 'mention',
        });
      }
      return { posts, ...(read.position ? { position: read.position } : {}) };
    },

    async ownReplies(channel, store, from) {
      const me = await accountId(channel, store);
      const path = `/api/v1/accounts/${encodeURIComponent(me)}/statuses`;
      const read = await newer(
        from,
        listPage(channel, store, path, { exclude_replies: 'false' }, z.array(Status)),
        (status) => new Date(status.created_at).toISOString(),
      );
      const chains = contextReader(channel, store);
      const posts: FoundPost[] = [];
      for (const status of read.posts) {
        if (!status.in_reply_to_id) continue;
        const above = await chains(status.id);
        posts.push({
          ...found(status),
          ...(above?.[0] ? { threadRoot: above[0].id, ancestors: above.map((s) => s.id) } : {}),
        });
      }
      return { ...read, posts };
    },
  };

  /**
   * The posts above a status in its thread (first post first), from its context; undefined once
   * this read has made CONTEXT_READS calls (the budget is per read, so per channel and run).
   */
  function contextReader(channel: Channel, store: CredentialStore) {
    let calls = 0;
    return async (id: string): Promise<Status[] | undefined> => {
      if (calls >= CONTEXT_READS) return undefined;
      calls++;
      const context = await get(
        channel,
        store,
        `/api/v1/statuses/${encodeURIComponent(id)}/context`,
        Context,
      );
      return context.ancestors;
    };
  }

  async function accountId(channel: Channel, store: CredentialStore): Promise<string> {
    const known = accountIds.get(channel.id);
    if (known) return known;
    const me = await get(channel, store, '/api/v1/accounts/verify_credentials', Me);
    accountIds.set(channel.id, me.id);
    return me.id;
  }
}
