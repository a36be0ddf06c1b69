import { PLATFORM_NAMES, type Platform, type Post } from '../domain/index.ts';
import { PlatformError } from './port.ts';
import { type ValidateOptions, validatePostForPlatform } from './rules.ts';

/**
 * What every adapter does around the one call that publishes: refuse a post the platform would
 * refuse anyway, treat failures before that call as "not published", and find a post again when
 * the answer to that call was lost.
 */

/**
 * Runs the steps before the post itself is sent (token refresh, media upload). Whatever goes
 * wrong there, the post was not published, so an "ambiguous" failure is really "unavailable".
 */
export async function beforePublishing<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof PlatformError && error.kind === 'ambiguous') {
      throw new PlatformError(
        'unavailable',
        `${error.message.replace(/; (the request|it) may have been accepted/, '')} — before the post was sent, so it was not published`,
        error.details,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Refuses a post the platform would refuse anyway, before anything is sent: the platform's rules
 * (with the limits its server states, where it states them) applied to the post as published.
 */
export function rejectInvalid(
  platform: Platform,
  post: Pick<Post, 'text' | 'link' | 'media'>,
  limits: ValidateOptions = {},
): void {
  const errors = validatePostForPlatform(platform, asPublished(post), limits).filter(
    (f) => f.severity === 'error',
  );
  if (errors.length === 0) return;
  throw new PlatformError(
    'rejected',
    `${PLATFORM_NAMES[platform]} would refuse this post: ${errors.map((f) => f.message).join('; ')}`,
    {
      platformCode: 'invalid-post',
    },
  );
}

/**
 * The post as the platform rules should see it at publish time. The calendar check already
 * insisted on https media; here the adapter downloads the files itself, so a plain-http address
 * (a local simulator, a private CDN) is fine and only the platform's own limits matter.
 */
function asPublished(post: Pick<Post, 'text' | 'link' | 'media'>): {
  text: string;
  link?: string;
  media: string[];
} {
  return {
    text: post.text,
    ...(post.link !== undefined ? { link: post.link } : {}),
    media: post.media.map((url) => url.replace(/^http:\/\//i, 'https://')),
  };
}

/**
 * A published text as platforms echo it back, for finding a post again: entities decoded, every
 * URL replaced by a marker (X rewrites links to t.co), whitespace collapsed, NFC.
 */
export function comparableText(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/\s+/g, ' ')
    .trim()
    .normalize('NFC');
}

/** Texts compared the way platforms store them: line endings and surrounding space normalised. */
export function sameText(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim().normalize('NFC');
  return norm(a) === norm(b);
}

/**
 * How far before a post was due (or claimed) a lookup searches for it. The two ways to be wrong
 * are not alike for at-most-once publishing: a lookup that misses a post we did publish leaves it
 * UNKNOWN, and a person may then send it again — a duplicate; one that reaches too far back can
 * only mistake an older post with the same text for ours, so the post is marked published and
 * never sent twice. The window therefore errs wide: the publish step never sends before the due
 * time, and 15 minutes covers any skew between our clock and the platform's many times over.
 */
export const RECONCILE_LOOKBACK_MS = 15 * 60_000;

/** The earliest instant a post we may have published can carry on the platform. */
export function lookupWindowStart(post: Pick<Post, 'scheduledAt' | 'claimedAt'>): Date {
  const candidates = [Date.parse(post.scheduledAt)];
  if (post.claimedAt) candidates.push(Date.parse(post.claimedAt));
  return new Date(Math.min(...candidates.filter((t) => !Number.isNaN(t))) - RECONCILE_LOOKBACK_MS);
}
