import type { Channel, Platform } from '../domain/index.ts';

/** What a post's public URL tells: the id the platform's API knows the post by. */
export type PostUrlReading = { ok: true; platformPostId: string } | { ok: false; problem: string };

/** What each platform's post URL looks like, for the message that refuses another. */
export const POST_URL_SHAPES: Record<Platform, string> = {
  x: 'https://x.com/<user>/status/<id>',
  bluesky: 'https://bsky.app/profile/<handle or did>/post/<rkey>',
  mastodon: 'https://<server>/@<user>/<id>',
  linkedin: 'https://www.linkedin.com/feed/update/urn:li:share:<id>/',
  facebook: 'https://www.facebook.com/<page id>/posts/<post id>',
  instagram: 'https://www.instagram.com/p/<code>/ (with the media id given as platformPostId)',
  threads: 'https://www.threads.net/@<user>/post/<code> (with the media id given as platformPostId)',
};

/**
 * Reads the platform post id out of a post's public URL, for a person who found a post of ours
 * on the platform (settling an UNKNOWN outcome). The id must be the one the adapters use to read
 * metrics, so the Collector measures the post like any other:
 * - X: the status id; Mastodon: the status id on the channel's server;
 * - Bluesky: the record's AT URI. A URL naming the account by handle gives `at://<handle>/…`,
 *   which the Bluesky adapter reads as the channel's own DID (a handle that is not the channel's
 *   is refused here);
 * - LinkedIn: the share or ugcPost URN; Facebook: `<page id>_<post id>`;
 * - Instagram and Threads: their URLs carry a short code, not the media id the Graph API wants,
 *   so the id must be given alongside (`explicitId`).
 */
export function platformPostIdFromUrl(
  channel: Pick<Channel, 'platform' | 'handle'>,
  url: string,
  explicitId?: string,
): PostUrlReading {
  const refuse = (why: string): PostUrlReading => ({
    ok: false,
    problem: `${why}; a ${channel.platform} post URL looks like ${POST_URL_SHAPES[channel.platform]}`,
  });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(`'${url}' is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return refuse(`'${url}' is not a web URL`);
  const host = parsed.hostname.toLowerCase().replace(/^(www|mobile|m)\./, '');
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname).replace(/\/+$/, '');
  } catch {
    return refuse(`'${url}' is not a well-formed URL`);
  }
  const found = (platformPostId: string | undefined): PostUrlReading =>
    platformPostId ? { ok: true, platformPostId } : refuse(`'${url}' is not a ${channel.platform} post URL`);
  const match = (hosts: readonly string[], pattern: RegExp) =>
    hosts.includes(host) ? pattern.exec(path) : null;

  switch (channel.platform) {
    case 'x':
      return found(match(['x.com', 'twitter.com'], /^\/(?:\w{1,15}|i\/web)\/status\/(\d{1,20})$/)?.[1]);
    case 'bluesky': {
      const m = match(['bsky.app'], /^\/profile\/([^/]+)\/post\/([a-z0-9]{2,64})$/i);
      if (!m) return found(undefined);
      const [, actor, rkey] = m as unknown as [string, string, string];
      const own = channel.handle.replace(/^@/, '').trim().toLowerCase();
      if (!actor.startsWith('did:') && actor.toLowerCase() !== own) {
        return { ok: false, problem: `'${url}' is a post of @${actor}, not of this channel (@${own})` };
      }
      return found(`at://${actor.startsWith('did:') ? actor : own}/app.bsky.feed.post/${rkey}`);
    }
    case 'mastodon': {
      // Any server: the channel's own, or the address a simulator answers on.
      const m = /^\/(?:@[^/@]+|users\/[^/]+\/statuses)\/(\d{1,20})$/.exec(path);
      return found(m?.[1]);
    }
    case 'linkedin':
      return found(match(['linkedin.com'], /^\/feed\/update\/(urn:li:(?:share|ugcPost):\d+)$/)?.[1]);
    case 'facebook': {
      const m = match(['facebook.com'], /^\/(\d+)\/posts\/(\d+)$/);
      return found(m ? `${m[1]}_${m[2]}` : undefined);
    }
    case 'instagram':
    case 'threads': {
      const shaped =
        channel.platform === 'instagram'
          ? match(['instagram.com'], /^\/(?:p|reel)\/[\w-]+$/)
          : match(['threads.net', 'threads.com'], /^\/@[\w.]+\/post\/[\w-]+$/);
      if (!shaped) return found(undefined);
      if (!explicitId) {
        return {
          ok: false,
          problem: `a ${channel.platform} post URL carries a short code, not the media id its API reads metrics by; give the media id as platformPostId as well`,
        };
      }
      return found(explicitId);
    }
  }
}
