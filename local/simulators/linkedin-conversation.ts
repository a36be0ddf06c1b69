import { createHash } from 'node:crypto';
import { json, type SimContext, SimError, type SimRequest, type SimResponse } from './base.ts';
import { commentsOnAccount, numericId, type SimComment } from './comments-conversation.ts';

/**
 * Comments on an organisation's posts over the simulated conversation (comments-conversation.ts),
 * as the Community Management API serves them: `GET /rest/socialActions/{post URN}/comments` lists
 * the first-level comments, `GET /rest/socialActions/{comment URN}/comments` a comment's replies;
 * `start`/`count` paging (count default 10, at most 100) with a `next` link while more remain and
 * the `total`. A comment carries its `commentUrn`, `actor` (a member URN, or the organisation's
 * for ours), `created.time`, `message.text`, `parentComment` on replies and a `commentsSummary`.
 * A post or comment of another organisation is a 403, as LinkedIn refuses it.
 */

const personUrn = (author: string) =>
  `urn:li:person:${createHash('sha256').update(author).digest('base64url').slice(0, 10)}`;

export function socialActionsComments(
  req: SimRequest,
  ctx: SimContext,
  account: { organizationId: string },
): SimResponse {
  const target = req.params.urn ?? '';
  const org = `urn:li:organization:${account.organizationId}`;
  const all = commentsOnAccount(ctx, account.organizationId);
  const urns = new Map(all.map((c) => [c.key, `urn:li:comment:(${c.post},${numericId(c.key)})`]));
  const urnOf = (c: SimComment) => urns.get(c.key) ?? '';
  const replies = new Map<string, SimComment[]>();
  for (const c of all) if (c.parent) replies.set(c.parent, [...(replies.get(c.parent) ?? []), c]);
  const post = ctx.findPost(target);
  const parent = all.find((c) => urnOf(c) === target);
  if (!(post && !post.deleted && post.account === account.organizationId) && !parent) {
    throw new SimError(
      json(403, {
        status: 403,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: socialActions.comments.GET',
      }),
    );
  }
  const listed = parent ? (replies.get(parent.key) ?? []) : all.filter((c) => c.post === target && !c.parent);
  const count = Math.min(Number(req.query.get('count') ?? 10) || 10, 100);
  const start = Number(req.query.get('start') ?? 0) || 0;
  const page = listed.slice(start, start + count);
  const element = (c: SimComment) => {
    const actor = c.ours ? org : personUrn(c.author);
    const answers = replies.get(c.key)?.length ?? 0;
    const time = c.createdAt.getTime();
    return {
      actor,
      commentUrn: urnOf(c),
      $URN: urnOf(c),
      id: numericId(c.key),
      object: c.post,
      created: { actor, time },
      lastModified: { actor, time },
      message: { attributes: [], text: c.text },
      ...(c.parent ? { parentComment: urns.get(c.parent) } : {}),
      commentsSummary: {
        selectedComments: [],
        aggregatedTotalComments: answers,
        totalFirstLevelComments: answers,
      },
      likesSummary: { selectedLikes: [], aggregatedTotalLikes: 0, likedByCurrentUser: false, totalLikes: 0 },
    };
  };
  const base = `/rest/socialActions/${encodeURIComponent(target)}/comments`;
  return json(200, {
    paging: {
      start,
      count,
      total: listed.length,
      links:
        start + count < listed.length
          ? [{ type: 'application/json', rel: 'next', href: `${base}?count=${count}&start=${start + count}` }]
          : [],
    },
    elements: page.map(element),
  });
}
