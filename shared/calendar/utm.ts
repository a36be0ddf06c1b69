import type { Platform } from '../domain/index.ts';

/**
 * UTM tagging of a post's link (docs/architecture.md#conversions), so that a visit and a sale on the
 * user's site can be traced back to the post that earned them: `utm_source` = platform, `utm_medium`
 * = social, `utm_campaign` = the post's campaign, `utm_content` = the post's id.
 *
 * Done when the calendar is planned, not when the post is published: the platform rules then
 * measure the text with the link as it will really go out (Mastodon, Bluesky and Threads count a
 * link in the text, and a long query string can push a post over the limit — better said at
 * upload than failed at publish time), the stored post, its export and `GET /v1/posts` show the
 * exact link, and the adapters stay free of marketing parameters. The post id is known at plan
 * time (the row's `id` or the derived one), and an edit re-plans, so a changed campaign re-tags.
 */

export const UTM_MEDIUM = 'social';

export interface UtmFields {
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  term?: string;
}

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const;

/**
 * The link with Pulsecast's UTM parameters. The rest of the URL is kept byte for byte: other
 * query parameters (order, encoding and all) and the fragment. Parameters Pulsecast sets replace
 * any the link already has under the same name, so tagging an already tagged link (a re-upload
 * of an export, an edit) changes nothing. Without a campaign, a `utm_campaign` the link carries
 * is left as the marketer wrote it.
 */
export function tagLink(
  link: string,
  post: { platform: Platform; campaign?: string; postId: string },
): string {
  const hashAt = link.indexOf('#');
  const beforeHash = hashAt >= 0 ? link.slice(0, hashAt) : link;
  const fragment = hashAt >= 0 ? link.slice(hashAt) : '';
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash;
  const query = queryAt >= 0 ? beforeHash.slice(queryAt + 1) : '';

  const ours: [string, string][] = [
    ['utm_source', post.platform],
    ['utm_medium', UTM_MEDIUM],
    ...(post.campaign ? [['utm_campaign', post.campaign] as [string, string]] : []),
    ['utm_content', post.postId],
  ];
  const replaced = new Set(ours.map(([key]) => key));
  const kept = query
    .split('&')
    .filter((part) => part !== '' && !replaced.has(decodeKey(part.split('=')[0] ?? '')));
  const added = ours.map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return `${base}?${[...kept, ...added].join('&')}${fragment}`;
}

/** The UTM fields of a URL's query string (a landing page a conversion reports); {} when unreadable. */
export function readUtm(url: string): UtmFields {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return {};
  }
  const fields: UtmFields = {};
  for (const key of UTM_KEYS) {
    const value = params.get(key)?.trim();
    if (value) fields[key.slice(4) as keyof UtmFields] = value;
  }
  return fields;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return key.toLowerCase();
  }
}

/** A row's `utm` cell: empty or yes → tag the link; no → leave it alone; anything else is an error. */
export function parseUtmFlag(cell: string | undefined): { ok: true; tag: boolean } | { ok: false } {
  const value = (cell ?? '').trim().toLowerCase();
  if (['', 'true', 'yes', '1', 'on', 'y'].includes(value)) return { ok: true, tag: true };
  if (['false', 'no', '0', 'off', 'n'].includes(value)) return { ok: true, tag: false };
  return { ok: false };
}
