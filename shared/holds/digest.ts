import { isActive } from '../domain/hold.ts';
import type { Post } from '../domain/index.ts';
import { inScope } from '../notify/config.ts';
import type { DigestSection, DigestSectionProvider } from '../notify/digest.ts';
import { localTime } from '../notify/notice.ts';
import type { HoldStore } from '../store/holds.ts';
import { DUE_KINDS } from '../store/keys.ts';
import type { PostStore } from '../store/posts.ts';

/** Held posts a digest names one by one; the rest are counted. */
const LISTED = 25;
const EXCERPT = 60;

/**
 * The digest's "held posts" section: every post that is HELD as the digest is built (not only
 * those held during its period: a held post waits for a person however old it is), in the
 * workspace's scope, with the holds still active. Held posts carry a `HELD` entry in the due
 * index, so this is one Query of the held posts, however many posts the table has.
 */
export function heldPostsSection(store: PostStore & HoldStore): DigestSectionProvider {
  return async ({ to, timezone, workspace }) => {
    const held: Post[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.dueWork(DUE_KINDS.held, to, { limit: 500, ...(cursor ? { cursor } : {}) });
      held.push(...page.items.filter((post) => post.status === 'HELD'));
      cursor = page.nextCursor;
    } while (cursor);
    const mine = held.filter((post) =>
      inScope(workspace, { campaign: post.campaign ?? null, channel: post.channel }),
    );
    const active = (await store.listHolds()).filter(isActive);
    if (mine.length === 0 && active.length === 0) return [];

    mine.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt) || a.id.localeCompare(b.id));
    const items: DigestSection['items'] = mine.slice(0, LISTED).map((post) => ({
      text: `${post.id} on ${post.channel}, due ${localTime(post.scheduledAt, timezone)}${post.campaign ? ` (${post.campaign})` : ''}: "${excerpt(post.text)}"`,
    }));
    if (mine.length > LISTED)
      items.push({ text: `and ${mine.length - LISTED} more: pulsecast posts list --status HELD` });
    const holds =
      active.length === 0
        ? 'No hold is active now.'
        : `Active: ${active.map((hold) => `${hold.id} since ${localTime(hold.createdAt, timezone)} (${hold.reason})`).join('; ')}.`;
    return [
      {
        id: 'held',
        title: 'Posts held by a crisis hold',
        summary:
          mine.length === 0
            ? `No post is held. ${holds}`
            : `${mine.length} post${mine.length === 1 ? ' was' : 's were'} due during a crisis hold and did not go out; each waits for a person: pulsecast posts reschedule ID --at TIME, or pulsecast posts cancel ID. ${holds}`,
        items,
      },
    ];
  };
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= EXCERPT ? flat : `${flat.slice(0, EXCERPT - 1)}…`;
}
