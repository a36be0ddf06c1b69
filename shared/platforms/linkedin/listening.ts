import * as z from 'zod';
import { type AccountGet, withQuery } from '../account.ts';
import { type CommentsPlatform, commentsListening, type PostComment } from '../comments-listening.ts';
import { type AdapterOptions, readAnswer } from '../http.ts';
import { type ListeningAdapter, MAX_PAGES } from '../listening.ts';
import { linkedInPostUrl } from './adapter.ts';
import { type LinkedInCredentials, linkedInSessions } from './api.ts';
import { LINKEDIN_ACCOUNT } from './linkedin-account.ts';

/**
 * Comments on our organisation's LinkedIn posts, through the Community Management API
 * (permission `r_organization_social`, a page admin's token) with the versioned headers:
 * `GET /rest/socialActions/{post URN}/comments` (`start`/`count` paging, a `next` link while more
 * remain) gives the first-level comments; a comment's replies are
 * `GET /rest/socialActions/{comment URN}/comments`, read only where its `commentsSummary` says it
 * has some. A comment whose `actor` is our organisation URN is ours. LinkedIn names a commenter
 * only by URN (a member's name needs their own consent), and sends no Retry-After: a 429 waits
 * until its daily limits reset at midnight UTC.
 */

const PAGE_SIZE = 100;

const Comment = z.looseObject({
  id: z.string().optional(),
  commentUrn: z.string().optional(),
  $URN: z.string().optional(),
  actor: z.string(),
  object: z.string().optional(),
  created: z.looseObject({ time: z.number() }),
  message: z.looseObject({ text: z.string().default('') }).optional(),
  parentComment: z.string().optional(),
  commentsSummary: z
    .looseObject({
      totalFirstLevelComments: z.number().optional(),
      aggregatedTotalComments: z.number().optional(),
    })
    .optional(),
});
type Comment = z.infer<typeof Comment>;
const Comments = z.looseObject({
  elements: z.array(Comment),
  paging: z
    .looseObject({
      total: z.number().optional(),
      links: z.array(z.looseObject({ rel: z.string() })).optional(),
    })
    .optional(),
});

/** Every comment LinkedIn lists on one post or comment, page after page. */
async function commentsOn(get: AccountGet, base: string, urn: string): Promise<Comment[]> {
  const out: Comment[] = [];
  let start = 0;
  for (let n = 0; n < MAX_PAGES; n++) {
    const url = withQuery(`${base}/rest/socialActions/${encodeURIComponent(urn)}/comments`, {
      start: String(start),
      count: String(PAGE_SIZE),
    });
    const page = readAnswer('LinkedIn', Comments, await get(url), 'the comments', 'unavailable');
    out.push(...page.elements);
    start += page.elements.length;
    const total = page.paging?.total;
    const more =
      (page.paging?.links?.some((link) => link.rel === 'next') ?? false) ||
      (total !== undefined && start < total);
    if (!more || page.elements.length === 0) break;
  }
  return out;
}

/** A comment's URN: LinkedIn gives it as `commentUrn` (or `$URN`); else it is built from the id. */
const urnOf = (comment: Comment, post: string) =>
  comment.commentUrn ?? comment.$URN ?? `urn:li:comment:(${comment.object ?? post},${comment.id ?? ''})`;

export const LINKEDIN_COMMENTS: CommentsPlatform<LinkedInCredentials> = {
  spec: LINKEDIN_ACCOUNT,
  sessions: linkedInSessions,
  async comments(get, { base, credentials, post }) {
    const postUrn = post.platformPostId;
    const asComment = (comment: Comment, parent: string | undefined): PostComment => {
      const urn = urnOf(comment, postUrn);
      return {
        id: urn,
        url: `${linkedInPostUrl(postUrn)}?commentUrn=${encodeURIComponent(urn)}`,
        author: { handle: comment.actor, id: comment.actor },
        createdAt: new Date(comment.created.time).toISOString(),
        text: comment.message?.text ?? '',
        ...((comment.parentComment ?? parent) ? { parent: comment.parentComment ?? parent } : {}),
        ours: comment.actor === credentials.organizationUrn,
      };
    };
    const out = new Map<string, PostComment>();
    for (const comment of await commentsOn(get, base, postUrn)) {
      const top = asComment(comment, undefined);
      out.set(top.id, top);
      const summary = comment.commentsSummary;
      if ((summary?.aggregatedTotalComments ?? summary?.totalFirstLevelComments) === 0) continue;
      for (const reply of await commentsOn(get, base, top.id)) {
        const nested = asComment(reply, top.id);
        out.set(nested.id, nested);
      }
    }
    return [...out.values()];
  },
};

export function createLinkedInListening(options: AdapterOptions = {}): ListeningAdapter {
  return commentsListening(LINKEDIN_COMMENTS, options);
}
