import type { Channel, Platform } from '../domain/index.ts';
import type { CredentialStore } from './port.ts';

/**
 * The listening port: what a platform lets us read of the conversation around us, beside the
 * publishing port (port.ts). Three abilities, each declared per platform:
 * - `search`: posts by anyone that contain a term or a handle;
 * - `inbound`: replies, mentions, quotes and comments addressed to one of our channels;
 * - `ownReplies`: the replies our channel wrote (so answered / time to first reply can be told).
 * What a platform cannot do is said in words (`reason`), and the Listener reports it instead of
 * pretending the count is zero.
 */
export type ListeningAbility = 'search' | 'inbound' | 'ownReplies';
/** `note`: a condition the ability comes with (a paid plan, a permission), said where it is listed. */
export type Support = { supported: true; note?: string } | { supported: false; reason: string };
export type ListeningCapabilities = Record<ListeningAbility, Support>;

/** A post as the platform returned it, in our words. */
export interface FoundPost {
  id: string;
  url: string;
  author: { handle: string; id?: string; name?: string };
  createdAt: string;
  text: string;
  /** The post it answers and its thread's first post, when the platform says. */
  replyTo?: string;
  threadRoot?: string;
  /**
   * Every post above it in its thread, the first post first, where the platform gives only the
   * parent and the adapter read the chain (Mastodon): a reply answers each of these.
   */
  ancestors?: string[];
}

export interface InboundPost extends FoundPost {
  kind: 'reply' | 'mention' | 'quote' | 'comment';
}

/**
 * Where to read from: after `position` (what an earlier read returned: a time, an id or the
 * platform's cursor) or, on a first read, from `since`.
 */
export interface ReadFrom {
  position?: string;
  since: string;
}

export interface Read<T> {
  posts: T[];
  /** Where the next read starts; unchanged when nothing newer came. */
  position?: string;
}

export interface ListeningAdapter {
  readonly platform: Platform;
  readonly capabilities: ListeningCapabilities;
  search(
    query: string,
    channel: Channel,
    credentials: CredentialStore,
    from: ReadFrom,
  ): Promise<Read<FoundPost>>;
  inbound(channel: Channel, credentials: CredentialStore, from: ReadFrom): Promise<Read<InboundPost>>;
  ownReplies(channel: Channel, credentials: CredentialStore, from: ReadFrom): Promise<Read<FoundPost>>;
}

/** Pages a platform is read for at most per query and run; what is left waits for the next run. */
export const MAX_PAGES = 50;

const notBuilt = (what: string): Support => ({ supported: false, reason: what });
const ALL: ListeningCapabilities = {
  search: { supported: true },
  inbound: { supported: true },
  ownReplies: { supported: true },
};

/**
 * What each platform can do for listening, with why where it cannot (what its API offers and
 * costs), so the Listener and `GET /v1/listening` can say so. A table, not the adapters
 * themselves, so that reading it bundles no platform code (listening-registry.ts builds those).
 */
export const LISTENING_CAPABILITIES: Readonly<Record<Platform, ListeningCapabilities>> = {
  bluesky: ALL,
  mastodon: ALL,
  x: {
    search: {
      supported: true,
      note: 'X recent search (GET /2/tweets/search/recent, the last 7 days) needs a paid API plan (Basic or above); on the free plan it is reported as not available',
    },
    inbound: { supported: true },
    ownReplies: { supported: true },
  },
  threads: {
    search: {
      supported: true,
      note: 'Threads keyword search (GET /keyword_search) needs the threads_keyword_search permission approved by Meta; without it Meta searches only our own posts. At most 2,200 queries a day per user',
    },
    inbound: {
      supported: true,
      note: 'Threads has no notifications list: the replies to our posts of the past week are read',
    },
    ownReplies: { supported: true },
  },
  linkedin: {
    search: notBuilt('LinkedIn offers no public post search'),
    inbound: {
      supported: true,
      note: "comments on the organisation's posts of the last 14 days, read through LinkedIn's Community Management API (permission r_organization_social, a page admin's token); commenters are named by member URN",
    },
    ownReplies: { supported: true, note: "the organisation's replies in those comment threads" },
  },
  facebook: {
    search: notBuilt('Facebook offers no public post search'),
    inbound: {
      supported: true,
      note: "comments and replies on the Page's posts of the last 14 days (permission pages_read_engagement; pages_read_user_content for commenters' names)",
    },
    ownReplies: { supported: true, note: "the Page's replies in those comment threads" },
  },
  instagram: {
    search: notBuilt('Instagram hashtag search (ig_hashtag_search) is not called by Pulsecast yet'),
    inbound: {
      supported: true,
      note: "comments and replies on the account's media of the last 14 days (permission instagram_business_manage_comments); mentions in others' posts are not read",
    },
    ownReplies: { supported: true, note: "the account's replies in those comment threads" },
  },
};

/**
 * Reads newest-first pages until one reaches what an earlier read saw (`isOld`) or the pages run
 * out (at most MAX_PAGES): the shape of every "latest first, cursor to go back" list.
 */
export async function readNewestFirst<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>,
  isOld: (item: T) => boolean,
): Promise<T[]> {
  const found: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const answer = await page(cursor);
    let reachedOld = false;
    for (const item of answer.items) {
      if (isOld(item)) reachedOld = true;
      else found.push(item);
    }
    if (reachedOld || !answer.cursor || answer.items.length === 0) break;
    cursor = answer.cursor;
  }
  return found;
}

/** The later of two ISO instants (either may be absent). */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
