import * as z from 'zod';
import type { Channel } from '../../domain/index.ts';
import { type AccountGet, type AccountPost, type AccountSpec, withQuery } from '../account.ts';
import { type CommentsPlatform, commentsListening, type PostComment } from '../comments-listening.ts';
import { type AdapterOptions, type PlatformHttp, readAnswer } from '../http.ts';
import { type ListeningAdapter, MAX_PAGES } from '../listening.ts';
import { CredentialSessions } from '../session.ts';
import { FacebookCredentials } from './facebook.ts';
import { FACEBOOK_ACCOUNT } from './facebook-account.ts';
import { GRAPH_API_VERSION, graphEndpoint, longLivedTokenSessions } from './graph.ts';
import { graphTime } from './graph-account.ts';
import { INSTAGRAM_GRAPH_ORIGIN, InstagramCredentials } from './instagram.ts';
import { INSTAGRAM_ACCOUNT } from './instagram-account.ts';

/**
 * Comments on our Facebook Page posts and Instagram media, one reader over Graph's comments edge
 * (`GET /{object-id}/comments`, cursor paging: `after` while `paging.next` says there is more)
 * with a row per platform:
 * - Facebook: `filter=stream` (every comment, replies too, each reply with its `parent`),
 *   `order=chronological`; a comment `from` the Page is ours;
 * - Instagram: top-level comments with their `replies` expanded (`parent_id` on each); a comment
 *   whose `replies` has another page is read on through `GET /{ig-comment-id}/replies`; a comment
 *   by our account (its id or username) is ours.
 * Graph's throttling codes (4, 17, 32, 613, 8000x) come back rate-limited with the wait its
 * Business-Use-Case header gives (graph.ts).
 */

const LIMIT = 100;

const Paging = z.looseObject({
  cursors: z.looseObject({ after: z.string().optional() }).optional(),
  next: z.string().optional(),
});
const Edge = z.looseObject({ data: z.array(z.unknown()), paging: Paging.optional() });

/** Every item of a Graph edge, page after page. */
async function graphEdge<T>(
  get: AccountGet,
  platformName: string,
  url: string,
  params: Record<string, string>,
  item: z.ZodType<T>,
): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const body = await get(withQuery(url, { ...params, limit: String(LIMIT), after }));
    const page = readAnswer(platformName, Edge, body, 'the comments', 'unavailable');
    items.push(...readAnswer(platformName, z.array(item), page.data, 'the comments', 'unavailable'));
    after = page.paging?.next ? page.paging.cursors?.after : undefined;
    if (!after || page.data.length === 0) break;
  }
  return items;
}

interface GraphCommentsRow<C extends object, T> {
  spec: AccountSpec<C>;
  sessions(http: PlatformHttp): CredentialSessions<C>;
  /** The query of the comments edge, `limit` and `after` aside, and of a comment's replies edge. */
  params: Record<string, string>;
  replyParams?: Record<string, string>;
  item: z.ZodType<T>;
  /** One listed item as comments (Instagram's carry their first replies; the rest are read through `more`). */
  toComments(
    item: T,
    context: { credentials: C; channel: Channel; post: AccountPost },
    more: (commentId: string) => Promise<T[]>,
  ): Promise<PostComment[]>;
}

function graphComments<C extends object, T>(row: GraphCommentsRow<C, T>): CommentsPlatform<C> {
  return {
    spec: row.spec,
    sessions: row.sessions,
    async comments(get, { base, credentials, channel, post }) {
      const edge = (path: string, params: Record<string, string>) =>
        graphEdge(get, row.spec.platformName, `${base}${path}`, params, row.item);
      const more = (commentId: string) => edge(`/${commentId}/replies`, row.replyParams ?? row.params);
      const out: PostComment[] = [];
      for (const item of await edge(`/${post.platformPostId}/comments`, row.params)) {
        out.push(...(await row.toComments(item, { credentials, channel, post }, more)));
      }
      return out;
    },
  };
}

/** What every Graph comment has: its id and, where Graph may say, who wrote it. */
const commentBase = {
  id: z.string(),
  from: z
    .looseObject({ id: z.string(), name: z.string().optional(), username: z.string().optional() })
    .optional(),
};

const FacebookComment = z.looseObject({
  ...commentBase,
  message: z.string().default(''),
  created_time: z.string(),
  permalink_url: z.string().optional(),
  parent: z.looseObject({ id: z.string() }).optional(),
});

export const FACEBOOK_COMMENTS = graphComments({
  spec: FACEBOOK_ACCOUNT,
  // Page tokens do not expire: nothing to refresh.
  sessions: (http) =>
    new CredentialSessions({ platformName: 'Facebook', schema: FacebookCredentials }, http.now),
  params: {
    filter: 'stream',
    order: 'chronological',
    fields: 'id,from,message,created_time,permalink_url,parent{id}',
  },
  item: FacebookComment,
  toComments: async (comment, { credentials, post }) => [
    {
      id: comment.id,
      url: comment.permalink_url ?? post.platformUrl,
      // Graph leaves `from` out for people who have not allowed the app to see them.
      author: comment.from
        ? { handle: comment.from.name ?? comment.from.id, id: comment.from.id, ...nameOf(comment.from.name) }
        : { handle: 'unknown' },
      createdAt: graphTime(comment.created_time),
      text: comment.message,
      ...(comment.parent ? { parent: comment.parent.id } : {}),
      ours: comment.from?.id === credentials.pageId,
    },
  ],
});

const InstagramReply = z.looseObject({
  ...commentBase,
  text: z.string().default(''),
  timestamp: z.string(),
  username: z.string().optional(),
  parent_id: z.string().optional(),
});
const InstagramComment = InstagramReply.extend({
  replies: z.looseObject({ data: z.array(InstagramReply), paging: Paging.optional() }).optional(),
});
type InstagramComment = z.infer<typeof InstagramComment>;
const REPLY_FIELDS = 'id,text,timestamp,username,from,parent_id';
const instagramOrigin = (channel: Channel) =>
  graphEndpoint(channel.apiBaseUrl, INSTAGRAM_GRAPH_ORIGIN, GRAPH_API_VERSION).origin;

export const INSTAGRAM_COMMENTS = graphComments({
  spec: INSTAGRAM_ACCOUNT,
  sessions: (http) =>
    longLivedTokenSessions(http, {
      schema: InstagramCredentials,
      grantType: 'ig_refresh_token',
      origin: instagramOrigin,
      // Facebook Login tokens (graph.facebook.com) are not refreshed with ig_refresh_token.
      refreshable: (channel) => new URL(instagramOrigin(channel)).hostname !== 'graph.facebook.com',
    }),
  params: { fields: `${REPLY_FIELDS},replies{${REPLY_FIELDS}}` },
  replyParams: { fields: REPLY_FIELDS },
  item: InstagramComment,
  async toComments(comment, { credentials, channel, post }, more) {
    const username = channel.handle.replace(/^@/, '').toLowerCase();
    const asComment = (c: InstagramComment, parent?: string): PostComment => {
      const handle = c.username ?? c.from?.username ?? 'unknown';
      return {
        id: c.id,
        // Instagram gives comments no link of their own: the media's.
        url: post.platformUrl,
        author: { handle, ...(c.from ? { id: c.from.id } : {}) },
        createdAt: graphTime(c.timestamp),
        text: c.text,
        ...((c.parent_id ?? parent) ? { parent: c.parent_id ?? parent } : {}),
        ours: c.from?.id === credentials.igUserId || handle.toLowerCase() === username,
      };
    };
    const replies = comment.replies?.paging?.next ? await more(comment.id) : (comment.replies?.data ?? []);
    return [asComment(comment), ...replies.map((reply) => asComment(reply, comment.id))];
  },
});

function nameOf(name: string | undefined): { name?: string } {
  return name ? { name } : {};
}

export function createFacebookListening(options: AdapterOptions = {}): ListeningAdapter {
  return commentsListening(FACEBOOK_COMMENTS, options);
}

export function createInstagramListening(options: AdapterOptions = {}): ListeningAdapter {
  return commentsListening(INSTAGRAM_COMMENTS, options);
}
