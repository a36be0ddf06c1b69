import type { Channel } from '../domain/index.ts';
import { type AccountGet, type AccountPost, type AccountSpec, accountRequest } from './account.ts';
import { type AdapterOptions, PlatformHttp } from './http.ts';
import type { FoundPost, ListeningAdapter, Read, ReadFrom } from './listening.ts';
import { LISTENING_CAPABILITIES, laterOf, MAX_PAGES } from './listening.ts';
import { type CredentialStore, PlatformError } from './port.ts';
import type { CredentialSessions } from './session.ts';

/**
 * Listening where what is addressed to us is the comments on our own posts (Facebook Pages,
 * Instagram, LinkedIn organisations): none of them has a notifications list or a public search
 * an app may use, so a read lists our posts of the last COMMENTS_LOOKBACK_DAYS (through the
 * platform's account listing, as the history import reads them) and every comment on each, with
 * the replies. Comments by others are `inbound`; our account's answers in those threads are
 * `ownReplies`. Only the reading of one post's comments differs per platform
 * (meta/comments-listening.ts, linkedin/listening.ts).
 *
 * These platforms keep comment threads two levels deep: a reply to a reply is filed under the
 * thread's first comment. So our reply in a thread is taken to answer the latest comment by
 * someone else before it in that thread (`replyTo`), and the thread's first comment
 * (`threadRoot`), which is how the response figures see it.
 *
 * Positions are the newest `createdAt` returned; the next read returns what is as new or newer
 * (the store's conditional put keeps a comment of the same second once).
 */

/** How far back our posts are read for comments on them. */
export const COMMENTS_LOOKBACK_DAYS = 14;
/**
 * How long one read of a channel's comments serves both `inbound` and `ownReplies` (the Listener
 * asks for them a moment apart in the same run): half the API calls.
 */
const SHARED_READ_MS = 60_000;

/** One comment on one of our posts, as the platform reader returns it. */
export interface PostComment {
  id: string;
  url: string;
  author: FoundPost['author'];
  createdAt: string;
  text: string;
  /** The comment this one replies to; absent for a comment on the post itself. */
  parent?: string;
  /** Written by our own account (the Page, the Instagram account, the organisation). */
  ours: boolean;
}

/** What one platform contributes: its account listing and credentials, and how a post's comments are read. */
export interface CommentsPlatform<C extends object> {
  spec: AccountSpec<C>;
  sessions(http: PlatformHttp): CredentialSessions<C>;
  /** Every comment on one post, replies included, through every page (at most MAX_PAGES each). */
  comments(
    get: AccountGet,
    context: { base: string; credentials: C; channel: Channel; post: AccountPost },
  ): Promise<PostComment[]>;
  /** Our posts page by page, newest first; the account reader's listing by default. */
  listPosts?: AccountSpec<C>['listPosts'];
}

interface Listed extends PostComment {
  post: string;
}

export function commentsListening<C extends object>(
  platform: CommentsPlatform<C>,
  options: AdapterOptions = {},
): ListeningAdapter {
  const { spec } = platform;
  const http = new PlatformHttp(spec.platformName, options);
  const sessions = platform.sessions(http);
  const listPosts = platform.listPosts ?? spec.listPosts;
  const shared = new Map<string, { at: number; read: Promise<Listed[]> }>();
  /** Per channel: no call before this instant (epoch ms), as the platform's throttle asked. */
  const throttledUntil = new Map<string, number>();

  async function readAll(channel: Channel, store: CredentialStore): Promise<Listed[]> {
    const session = await sessions.open(channel, store);
    const get: AccountGet = async (url) => {
      const outcome = await session.send(
        (credentials) =>
          accountRequest(http, spec, credentials, url).then(
            (body) => ({ body }),
            (error: unknown) => ({ error }),
          ),
        (result) =>
          'error' in result && result.error instanceof PlatformError && result.error.kind === 'auth',
      );
      if ('error' in outcome) throw outcome.error;
      return outcome.body;
    };
    const base = spec.base(channel);
    const since = new Date(http.now().getTime() - COMMENTS_LOOKBACK_DAYS * 86_400_000).toISOString();
    const posts: AccountPost[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const { credentials } = session;
      const page = await listPosts(get, {
        channel,
        credentials,
        base,
        since,
        now: http.now(),
        ...(cursor ? { cursor } : {}),
      });
      posts.push(...page.posts);
      cursor = page.cursor;
      if (!cursor) break;
    }
    const listed: Listed[] = [];
    for (const post of posts) {
      const { credentials } = session;
      for (const comment of await platform.comments(get, { base, credentials, channel, post })) {
        listed.push({ ...comment, post: post.platformPostId });
      }
    }
    return listed;
  }

  /** The channel's comments, read once for both abilities of a run; a throttle is waited out. */
  function comments(channel: Channel, store: CredentialStore): Promise<Listed[]> {
    const now = http.now().getTime();
    const until = throttledUntil.get(channel.id) ?? 0;
    if (now < until) {
      const wait = Math.ceil((until - now) / 1000);
      return Promise.reject(
        new PlatformError(
          'rate-limited',
          `${spec.platformName} asked for a pause: comments are not read before ${new Date(until).toISOString()} (rate limited; retry in ${wait}s)`,
          { retryAfterSeconds: wait, platformCode: 'throttled' },
        ),
      );
    }
    const cached = shared.get(channel.id);
    if (cached && now - cached.at >= 0 && now - cached.at < SHARED_READ_MS) return cached.read;
    const read = readAll(channel, store).catch((error: unknown) => {
      shared.delete(channel.id);
      if (error instanceof PlatformError && error.kind === 'rate-limited') {
        const wait = error.details.retryAfterSeconds;
        if (wait !== undefined) throttledUntil.set(channel.id, http.now().getTime() + wait * 1000);
      }
      throw error;
    });
    shared.set(channel.id, { at: now, read });
    return read;
  }

  return {
    platform: spec.platform,
    capabilities: LISTENING_CAPABILITIES[spec.platform],

    search() {
      return Promise.reject(
        new PlatformError('rejected', `${spec.platformName} offers no search Pulsecast may use`, {
          platformCode: 'no-search',
        }),
      );
    },

    async inbound(channel, store, from) {
      const all = await comments(channel, store);
      const inbound = all
        .filter((c) => !c.ours)
        .map((c) => ({
          ...found(c),
          kind: 'comment' as const,
          replyTo: c.parent ?? c.post,
          threadRoot: c.post,
        }));
      return newerThan(inbound, from);
    },

    async ownReplies(channel, store, from) {
      return newerThan(answersIn(await comments(channel, store)), from);
    },
  };
}

function found({ id, url, author, createdAt, text }: PostComment): FoundPost {
  return { id, url, author, createdAt, text };
}

/** Our replies, each with the comment it answers and its thread's first comment. */
export function answersIn(comments: readonly Listed[]): FoundPost[] {
  const byId = new Map(comments.map((c) => [c.id, c]));
  const rootOf = (comment: Listed): string => {
    let current = comment;
    for (let depth = 0; depth < 10 && current.parent; depth++) {
      const parent = byId.get(current.parent);
      if (!parent) return current.parent;
      current = parent;
    }
    return current.id;
  };
  const roots = new Map(comments.map((c) => [c.id, rootOf(c)]));
  const answers: FoundPost[] = [];
  for (const own of comments) {
    if (!own.ours || !own.parent) continue;
    const root = roots.get(own.id) ?? own.parent;
    const parent = byId.get(own.parent);
    // A reply filed under a nested comment of someone else answers that one; one filed under the
    // thread's first comment answers the latest comment by someone else before it in the thread.
    const answered =
      parent && !parent.ours && parent.id !== root
        ? parent
        : comments
            .filter((c) => !c.ours && c.createdAt < own.createdAt && roots.get(c.id) === root)
            .reduce<Listed | undefined>((a, b) => (!a || b.createdAt > a.createdAt ? b : a), undefined);
    answers.push({ ...found(own), replyTo: answered?.id ?? own.parent, threadRoot: root });
  }
  return answers;
}

/** What is as new as the position (or `since`) or newer, and the newest `createdAt` as the next position. */
function newerThan<T extends FoundPost>(posts: T[], from: ReadFrom): Read<T> {
  const after = from.position ?? from.since;
  const fresh = posts.filter((post) => post.createdAt >= after);
  let position = from.position;
  for (const post of fresh) position = laterOf(position, post.createdAt);
  return { posts: fresh, ...(position ? { position } : {}) };
}
