import type { Platform } from '../domain/index.ts';

/**
 * A post someone else wrote that is about one of our subjects, or addressed to one of our
 * channels (a reply, a mention, a quote, a comment). Stored once per platform and id.
 */
export interface Mention {
  platform: Platform;
  /** The platform's id of the post (an at-uri on Bluesky, a status id on Mastodon). */
  id: string;
  url: string;
  author: { handle: string; id?: string; name?: string };
  createdAt: string;
  text: string;
  /** Subject ids the text is about (`brand`, competitors' ids); may be empty for inbound posts. */
  subjects: string[];
  /** Set when the post is addressed to one of our channels. */
  inbound?: { channel: string; kind: 'reply' | 'mention' | 'quote' | 'comment' };
  /** The post it answers, and the first post of its thread, when the platform says. */
  replyTo?: string;
  threadRoot?: string;
  /** The lexicon's score: the sum of word valences (negative below 0), and per word. */
  sentiment: { score: number; comparative: number };
  collectedAt: string;
}

/** A reply one of our channels wrote (anywhere): it answers the post it replies to and its thread. */
export interface OwnReply {
  platform: Platform;
  id: string;
  channel: string;
  createdAt: string;
  replyTo: string;
  threadRoot?: string;
  /** Every post above it in its thread, first post first, where the platform told (Mastodon). */
  ancestors?: string[];
}

/**
 * Where the Listener stopped on one platform, per query: the newest position it has seen
 * (a time, or the platform's own id or cursor), so the next run fetches only what is newer.
 */
export interface ListenerCursors {
  platform: Platform;
  positions: Record<string, string>;
  updatedAt: string;
}

/** A spike episode of one subject on one platform, open until its rate settles. */
export interface SpikeEpisode {
  episodeId: string;
  startedAt: string;
  /** Whether `Mention Spike Detected` went out (set after it did: a retry sends it again, same id). */
  announced: boolean;
  peak: number;
  baseline: number;
}

export interface SpikeState {
  key: string;
  subject: string;
  platform: Platform;
  open?: SpikeEpisode;
  /** The usual mentions per hour (median hour of the past week), worked out every 6 hours. */
  usual?: { perHour: number; computedAt: string };
  /** The last episode that ended, and whether `Mention Spike Ended` went out for it. */
  ended?: SpikeEpisode & { endedAt: string; endAnnounced: boolean };
  version: number;
}
