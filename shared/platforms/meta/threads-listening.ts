import * as z from 'zod';
import type { Channel } from '../../domain/index.ts';
import { type AdapterOptions, PlatformHttp, readAnswer } from '../http.ts';
import {
  type FoundPost,
  type InboundPost,
  LISTENING_CAPABILITIES,
  type ListeningAdapter,
  laterOf,
  MAX_PAGES,
  type Read,
  type ReadFrom,
} from '../listening.ts';
import type { CredentialStore } from '../port.ts';
import {
  GraphClient,
  graphEndpoint,
  longLivedTokenSessions,
  parseMetaTime,
  THREADS_API_VERSION,
} from './graph.ts';
import { THREADS_GRAPH_ORIGIN, ThreadsCredentials } from './threads.ts';

/**
 * Threads listening (`graph.threads.net`), with the channel's long-lived token:
 * - search: `GET /keyword_search?q=…&search_type=RECENT` (permission `threads_keyword_search`;
 *   without it Meta searches only our own posts). It has no paging: up to 100 results a call, so
 *   older ones are read by narrowing `until` to the oldest result seen, back to `since`;
 * - inbound: the replies to our posts of the past days, `GET /{media-id}/replies`, for each of our
 *   posts from `GET /{user-id}/threads?since=…` (Threads has no notifications list);
 * - our replies: `GET /{user-id}/replies` (`replied_to` and `root_post` say what they answer).
 * Positions are the newest `timestamp` seen (Unix seconds for `since`); a post in the same second
 * is read again and kept once by the store's conditional put.
 */

const FIELDS = 'id,text,timestamp,username,permalink,replied_to,root_post';
const LIMIT = 100;

const Ref = z.looseObject({ id: z.string() });
const Media = z.looseObject({
  id: z.string(),
  text: z.string().default(''),
  timestamp: z.string(),
  username: z.string().default(''),
  permalink: z.string().optional(),
  replied_to: Ref.optional(),
  root_post: Ref.optional(),
});
type Media = z.infer<typeof Media>;
const Page = z.looseObject({
  data: z.array(Media),
  paging: z
    .looseObject({
      cursors: z.looseObject({ after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

const iso = (timestamp: string) => new Date(parseMetaTime(timestamp)).toISOString();
const unix = (instant: string) => String(Math.floor(Date.parse(instant) / 1000));

function found(media: Media): FoundPost {
  return {
    id: media.id,
    url: media.permalink ?? `https://www.threads.net/post/${media.id}`,
    author: { handle: media.username },
    createdAt: iso(media.timestamp),
    text: media.text,
    ...(media.replied_to ? { replyTo: media.replied_to.id } : {}),
    ...(media.replied_to && media.root_post ? { threadRoot: media.root_post.id } : {}),
  };
}

/** The newest `createdAt` as the next position (the old one when nothing came). */
function positioned<T extends FoundPost>(posts: T[], from: ReadFrom): Read<T> {
  let position = from.position;
  for (const post of posts) position = laterOf(position, post.createdAt);
  return { posts, ...(position ? { position } : {}) };
}

export function createThreadsListening(options: AdapterOptions = {}): ListeningAdapter {
  const http = new PlatformHttp('Threads', options);
  const endpointOf = (channel: Channel) =>
    graphEndpoint(channel.apiBaseUrl, THREADS_GRAPH_ORIGIN, THREADS_API_VERSION);
  const sessions = longLivedTokenSessions(http, {
    schema: ThreadsCredentials,
    grantType: 'th_refresh_token',
    origin: (channel) => endpointOf(channel).origin,
  });

  async function open(channel: Channel, store: CredentialStore) {
    const session = await sessions.open(channel, store);
    const { accessToken, threadsUserId } = session.credentials;
    return {
      graph: new GraphClient(http, endpointOf(channel), accessToken, session.secrets),
      me: threadsUserId,
    };
  }

  /** Every item of a Graph edge from `since`, following `paging.next` (at most MAX_PAGES pages). */
  async function edge(graph: GraphClient, path: string, fields: string, since: string): Promise<Media[]> {
    const items: Media[] = [];
    let after: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const body = await graph.get(path, { fields, since: unix(since), limit: LIMIT, after });
      const page = readAnswer('Threads', Page, body, path, 'unavailable');
      items.push(...page.data);
      after = page.paging?.next ? page.paging.cursors?.after : undefined;
      if (!after || page.data.length === 0) break;
    }
    return items;
  }

  return {
    platform: 'threads',
    capabilities: LISTENING_CAPABILITIES.threads,

    async search(term, channel, store, from) {
      const { graph } = await open(channel, store);
      const since = from.position ?? from.since;
      const seen = new Map<string, Media>();
      let until: string | undefined;
      for (let n = 0; n < MAX_PAGES; n++) {
        const body = await graph.get('/keyword_search', {
          q: term,
          search_type: 'RECENT',
          fields: FIELDS,
          since: unix(since),
          until: until ? unix(until) : undefined,
          limit: LIMIT,
        });
        const page = readAnswer('Threads', Page, body, 'keyword_search', 'unavailable');
        const fresh = page.data.filter((m) => !seen.has(m.id));
        for (const media of fresh) seen.set(media.id, media);
        const oldest = page.data.map((m) => iso(m.timestamp)).sort()[0];
        if (page.data.length < LIMIT || fresh.length === 0 || !oldest) break;
        until = oldest;
      }
      return positioned([...seen.values()].map(found), from);
    },

    async inbound(channel, store, from) {
      const { graph, me } = await open(channel, store);
      const ours = await edge(graph, `/${me}/threads`, 'id,timestamp', from.since);
      const replies: InboundPost[] = [];
      const after = from.position ?? from.since;
      for (const post of ours) {
        for (const media of await edge(graph, `/${post.id}/replies`, FIELDS, after)) {
          replies.push({ ...found(media), kind: 'reply' });
        }
      }
      return positioned(replies, from);
    },

    async ownReplies(channel, store, from) {
      const { graph, me } = await open(channel, store);
      const mine = await edge(graph, `/${me}/replies`, FIELDS, from.position ?? from.since);
      return positioned(
        mine.map(found).filter((post) => post.replyTo !== undefined),
        from,
      );
    },
  };
}
