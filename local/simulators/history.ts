import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import * as z from 'zod';
import type { AudienceModel } from './audience.ts';
import type { SimContext, SimulatedPost } from './sim-types.ts';

/**
 * Simulated accounts with a past: posts "published before Pulsecast" and a follower count that
 * grows with the engagement the account's posts earn. Both come from the same audience model as
 * every published post (reach by hour of week, tags, luck), so an effect planted in the
 * simulator config shows in the imported history as it would in new posts.
 *
 * `PULSECAST_SIMULATOR_CONFIG` per channel: `"history": { "weeks": 12, "postsPerWeek": 5 }` and
 * `"followers": 1000` (the count before any of the account's posts).
 */

export const HistoryInput = z.strictObject({
  weeks: z.number().int().min(1).max(104),
  postsPerWeek: z.number().int().min(0).max(50),
});
export type HistoryInput = z.infer<typeof HistoryInput>;

export const DEFAULT_FOLLOWERS = 1000;
/** Followers gained per engagement (likes, comments, shares, saves) the account's posts earn. */
export const FOLLOWERS_PER_ENGAGEMENT = 0.05;

/** How one platform's simulator stores a post of the history. */
export interface HistoryAccount {
  /** The simulator account that published it (the `account` its listing routes filter on). */
  account: string;
  /** The channel key of the audience model (`x-main`). */
  channel: string;
  /** The platform's id of the n-th history post, published at `at`; ids must sort by time. */
  id(at: Date, n: number): string;
  url(id: string): string;
  /** Platform-specific fields the simulator's routes read (a Bluesky record, …). */
  data?(
    id: string,
    text: string,
    at: Date,
    planned: { media: number; link?: string },
  ): Record<string, unknown>;
}

const TOPICS = [
  'What we learned shipping this week',
  'Three ways to plan a content calendar',
  'A look behind the scenes of our studio',
  'Customer story: how a small team doubled its reach',
  'Quick tip for scheduling posts across time zones',
  'Our roadmap for the next quarter',
];
const FALLBACK_TAGS = ['tips', 'news', 'behindthescenes'];

/** The history posts of a channel, oldest first; the same seed and clock give the same posts. */
export function historyPosts(
  model: AudienceModel,
  channel: string,
  history: HistoryInput,
  now: Date,
): { publishedAt: Date; text: string; media: { kind: 'image' }[]; link?: string }[] {
  const zone = model.channel(channel).timezone;
  const u = (n: number, label: string) => uniform(model.config.seed, channel, n, label);
  const tags = Object.keys(model.config.tags).length > 0 ? Object.keys(model.config.tags) : FALLBACK_TAGS;
  // Ends the day before `now`, so every post of the history is at least a few hours old.
  const start = DateTime.fromJSDate(now, { zone }).startOf('day').minus({ weeks: history.weeks, days: 1 });
  const out: { publishedAt: Date; text: string; media: { kind: 'image' }[]; link?: string }[] = [];
  const total = history.weeks * history.postsPerWeek;
  for (let n = 0; n < total; n++) {
    const week = Math.floor(n / Math.max(1, history.postsPerWeek));
    const at = start
      .plus({ days: week * 7 + Math.floor(u(n, 'day') * 7) })
      .set({ hour: 6 + Math.floor(u(n, 'hour') * 16), minute: Math.floor(u(n, 'minute') * 60) });
    const tag = u(n, 'tagged') < 0.6 ? tags[Math.floor(u(n, 'tag') * tags.length)] : undefined;
    const link = u(n, 'link') < 0.4 ? `https://example.com/blog/${channel}-${n}` : undefined;
    const topic = TOPICS[Math.floor(u(n, 'topic') * TOPICS.length)] as string;
    const text = [topic, tag ? `#${tag}` : '', link ?? ''].filter(Boolean).join(' ');
    out.push({
      publishedAt: at.toJSDate(),
      text,
      media: u(n, 'image') < 0.3 ? [{ kind: 'image' }] : [],
      ...(link ? { link } : {}),
    });
  }
  return out.sort((a, b) => a.publishedAt.getTime() - b.publishedAt.getTime());
}

/**
 * Adds the channel's history to a simulator once: a simulator whose saved state already holds
 * the account's history (a restart of local mode) is left as it is. Returns the posts added.
 */
export function seedHistory(
  ctx: SimContext,
  account: HistoryAccount,
  history: HistoryInput,
  now: Date,
): number {
  if (ctx.posts.some((post) => post.account === account.account && post.data.history === true)) return 0;
  let added = 0;
  historyPosts(ctx.audience, account.channel, history, now).forEach((planned, n) => {
    const id = account.id(planned.publishedAt, n);
    ctx.addPost({
      id,
      channel: account.channel,
      account: account.account,
      text: planned.text,
      media: planned.media.map((m, i) => ({
        id: `${id}-m${i}`,
        kind: m.kind,
        mimeType: 'image/png',
        bytes: 1024,
      })),
      publishedAt: planned.publishedAt,
      url: account.url(id),
      ...(planned.link ? { link: planned.link } : {}),
      data: {
        history: true,
        ...(account.data?.(id, planned.text, planned.publishedAt, {
          media: planned.media.length,
          ...(planned.link ? { link: planned.link } : {}),
        }) ?? {}),
      },
    });
    added++;
  });
  return added;
}

/**
 * The account's followers at `at`: its starting count plus a share of every engagement its posts
 * had earned by then. Never decreasing, so growth per day is never negative in the simulation.
 */
export function followersAt(
  model: AudienceModel,
  posts: readonly SimulatedPost[],
  account: string,
  at: Date,
  base = DEFAULT_FOLLOWERS,
): number {
  let engagements = 0;
  for (const post of posts) {
    if (post.account !== account || post.publishedAt.getTime() > at.getTime()) continue;
    const e = model.engagementAt(post, at);
    engagements += e.likes + e.comments + e.shares + e.saves;
  }
  return base + Math.floor(engagements * FOLLOWERS_PER_ENGAGEMENT);
}

/** A snowflake-style numeric id from a time (X, Mastodon): later posts have larger ids. */
export function snowflakeAt(at: Date, n: number): string {
  return ((BigInt(Math.max(0, at.getTime() - 1_288_834_974_657)) << 22n) + BigInt(n % 4096)).toString();
}

/** An atproto record key (TID) from a time, sorting with the ones the simulator hands out. */
export function tidAt(at: Date, n: number): string {
  const value = ((BigInt(at.getTime()) * 1000n + BigInt(n % 1000)) << 10n) | 0x1fn;
  const alphabet = '234567abcdefghijklmnopqrstuvwxyz';
  let out = '';
  for (let i = 0; i < 13; i++) out = alphabet[Number((value >> BigInt(5 * i)) & 31n)] + out;
  return out;
}

function uniform(seed: number, channel: string, n: number, label: string): number {
  return (
    createHash('sha256')
      .update(`${seed}\u0000history\u0000${channel}\u0000${n}\u0000${label}`)
      .digest()
      .readUInt32BE(0) /
    2 ** 32
  );
}

/** The account's followers now, by the simulator's clock and its configured starting count. */
export function accountFollowers(ctx: SimContext, account: string, channel: string): number {
  const base = ctx.audience.config.channels[channel]?.followers ?? DEFAULT_FOLLOWERS;
  return followersAt(ctx.audience, ctx.posts, account, ctx.now(), base);
}

/**
 * One page of an account's posts newest first, paged by a key that sorts by time (an atproto
 * record key): `limit` (1–100, 50 by default) and `cursor` (the last key of the previous page).
 */
export function authorFeedPage(
  posts: readonly SimulatedPost[],
  account: string,
  query: URLSearchParams,
  keyOf: (post: SimulatedPost) => string,
): { cursor?: string; feed: SimulatedPost[] } {
  const limit = Math.min(Math.max(Number(query.get('limit') ?? 50) || 50, 1), 100);
  const cursor = query.get('cursor');
  const mine = posts
    .filter((post) => post.account === account && !post.deleted)
    .sort((a, b) => keyOf(b).localeCompare(keyOf(a)))
    .filter((post) => !cursor || keyOf(post) < cursor);
  const feed = mine.slice(0, limit);
  const last = feed.at(-1);
  return { ...(last && mine.length > limit ? { cursor: keyOf(last) } : {}), feed };
}
