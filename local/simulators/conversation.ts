import { createHash } from 'node:crypto';
import * as z from 'zod';
import { Platform } from '../../shared/domain/channel.ts';

/**
 * The conversation around our accounts, for the simulators' search and notification APIs: the
 * `conversation` section of `PULSECAST_SIMULATOR_CONFIG`. Everything is a pure function of the
 * seed, the platform and the time, like the audience model: the posts of an hour are the same
 * whenever they are asked for, so a Listener reading in 5-minute steps and a test enumerating a
 * week see the same conversation.
 *
 * - `subjects`: each subject's term appears in `perHour` posts an hour on average (Poisson), 15 %
 *   of them negative;
 * - `spikes`: from `from`, for `minutes`, `perHour` more posts about the subject, evenly spaced,
 *   `negativeShare` of them negative; on the simulators of `platforms` (all of them when absent);
 * - `repliesToOurPosts`: each post of ours draws `perPost` replies on average, within hours, and
 *   `followUps` of them a reply by another person below them in the thread;
 * - `teamReplies`: our account answers `share` of the replies, after a delay whose median is
 *   `medianMinutes` (log-normal, so some answers are much later).
 */

export const ConversationConfig = z.strictObject({
  subjects: z
    .record(
      z.string(),
      z.strictObject({ term: z.string().min(1), perHour: z.number().nonnegative().max(10_000) }),
    )
    .default({}),
  repliesToOurPosts: z
    .strictObject({
      perPost: z.number().nonnegative().max(100),
      /**
       * The share of those replies someone else answers in turn, deeper in our post's thread
       * (served by the Mastodon simulator, whose adapter reads threads).
       */
      followUps: z.number().min(0).max(1).optional(),
    })
    .optional(),
  teamReplies: z
    .strictObject({ share: z.number().min(0).max(1), medianMinutes: z.number().positive().max(10_080) })
    .optional(),
  spikes: z
    .array(
      z.strictObject({
        subject: z.string(),
        from: z.iso.datetime({ offset: true }),
        minutes: z.number().positive().max(10_080),
        perHour: z.number().positive().max(10_000),
        negativeShare: z.number().min(0).max(1),
        /** The platforms whose simulators show it (all when absent). */
        platforms: z.array(Platform).min(1).optional(),
      }),
    )
    .default([]),
});
export type ConversationConfig = z.output<typeof ConversationConfig>;
export type ConversationConfigInput = z.input<typeof ConversationConfig>;

/** Share of the ordinary conversation that is negative. */
const BACKGROUND_NEGATIVE = 0.15;
const HOUR = 3_600_000;

/** A uniform number in [0, 1) from the parts: the same parts always give the same number. */
export function uniform(...parts: (string | number)[]): number {
  const digest = createHash('sha256').update(parts.join('|')).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** A Poisson draw with mean `lambda`, by inversion of one uniform number. */
export function poisson(lambda: number, u: number): number {
  let k = 0;
  let p = Math.exp(-lambda);
  let cumulative = p;
  while (u > cumulative && k < 100_000) {
    k++;
    p *= lambda / k;
    cumulative += p;
  }
  return k;
}

/** A standard normal draw from two uniform numbers (Box–Muller). */
function normal(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2);
}

const NEGATIVE = [
  '{term} is broken again, terrible experience',
  'Avoid {term}, awful support and a total waste of money',
  'So angry with {term} right now, this is a scam',
  '{term} lost my data. Horrible.',
];
const OTHER = [
  'Has anyone tried {term}?',
  'Loving {term} today, great work',
  'Reading about {term} this morning',
  '{term} just shipped something nice',
  'Thinking of switching to {term}',
];

function textFor(term: string, negative: boolean, u: number): string {
  const list = negative ? NEGATIVE : OTHER;
  return (list[Math.floor(u * list.length)] ?? list[0] ?? '{term}').replace('{term}', term);
}

export interface ConversationPost {
  /** Stable: the same post has the same id on every read. */
  id: string;
  author: string;
  text: string;
  createdAt: Date;
  subject?: string;
  negative: boolean;
  /** For replies: the post it answers, and that post's thread. */
  replyTo?: string;
  threadRoot?: string;
}

const postId = (...parts: (string | number)[]) =>
  createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16);

/**
 * Pieces of one config's conversation already generated (an hour of a platform's subject posts,
 * a spike, one post's replies, a reply's follow-up, an answer), by key. The simulators ask for
 * the same conversation on every Listener run, and drawing it again (a SHA-256 per draw) was most
 * of local mode's time once the demo listened on four platforms; it is pure, so it is made once.
 * Bounded: cleared when full, since every piece can be made again.
 */
const pieces = new WeakMap<ConversationConfig, Map<string, unknown>>();
const PIECES_LIMIT = 1_000_000;

function remembered<T>(config: ConversationConfig, key: string, make: () => T): T {
  let known = pieces.get(config);
  if (!known) {
    known = new Map();
    pieces.set(config, known);
  }
  if (known.has(key)) return known.get(key) as T;
  const value = make();
  if (known.size >= PIECES_LIMIT) known.clear();
  known.set(key, value);
  return value;
}

/** The subjects' ordinary posts of one hour on one platform. */
function hourPosts(
  config: ConversationConfig,
  seed: number,
  platform: string,
  hour: number,
): ConversationPost[] {
  const posts: ConversationPost[] = [];
  for (const [subject, { term, perHour }] of Object.entries(config.subjects)) {
    const n = poisson(perHour, uniform(seed, platform, subject, hour, 'count'));
    for (let i = 0; i < n; i++) {
      const at = hour + Math.floor(uniform(seed, platform, subject, hour, i, 'at') * HOUR);
      const negative = uniform(seed, platform, subject, hour, i, 'tone') < BACKGROUND_NEGATIVE;
      posts.push({
        id: postId(seed, platform, subject, hour, i),
        author: `user${Math.floor(uniform(seed, platform, subject, hour, i, 'author') * 5000)}`,
        text: textFor(term, negative, uniform(seed, platform, subject, hour, i, 'text')),
        createdAt: new Date(at),
        subject,
        negative,
      });
    }
  }
  return posts;
}

/** Every spike's posts on one platform. */
function spikePosts(config: ConversationConfig, seed: number, platform: string): ConversationPost[] {
  const posts: ConversationPost[] = [];
  for (const [s, spike] of config.spikes.entries()) {
    if (spike.platforms && !spike.platforms.includes(platform as Platform)) continue;
    const term = config.subjects[spike.subject]?.term ?? spike.subject;
    const begin = Date.parse(spike.from);
    const gap = HOUR / spike.perHour;
    const count = Math.floor((spike.minutes * 60_000) / gap);
    for (let i = 0; i < count; i++) {
      const at = begin + i * gap + uniform(seed, platform, 'spike', s, i, 'at') * gap * 0.5;
      const negative = uniform(seed, platform, 'spike', s, i, 'tone') < spike.negativeShare;
      posts.push({
        id: postId(seed, platform, 'spike', s, i),
        author: `user${Math.floor(uniform(seed, platform, 'spike', s, i, 'author') * 5000)}`,
        text: textFor(term, negative, uniform(seed, platform, 'spike', s, i, 'text')),
        createdAt: new Date(at),
        subject: spike.subject,
        negative,
      });
    }
  }
  return posts;
}

/** Posts about the subjects (search results) created in [from, to), oldest first. */
export function subjectPosts(
  config: ConversationConfig,
  seed: number,
  platform: string,
  from: Date,
  to: Date,
): ConversationPost[] {
  const posts: ConversationPost[] = [];
  const start = Math.floor(from.getTime() / HOUR) * HOUR;
  for (let hour = start; hour < to.getTime(); hour += HOUR) {
    posts.push(
      ...remembered(config, `${seed}|${platform}|${hour}`, () => hourPosts(config, seed, platform, hour)),
    );
  }
  posts.push(...remembered(config, `${seed}|${platform}|spikes`, () => spikePosts(config, seed, platform)));
  return posts
    .filter((p) => p.createdAt >= from && p.createdAt < to)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Replies by others to our posts (`{id, publishedAt}`), created before `until`, oldest first. */
export function repliesToOurPosts(
  config: ConversationConfig,
  seed: number,
  ours: readonly { id: string; publishedAt: Date }[],
  until: Date,
): ConversationPost[] {
  const perPost = config.repliesToOurPosts?.perPost ?? 0;
  const replies: ConversationPost[] = [];
  for (const post of ours) {
    replies.push(
      ...remembered(config, `${seed}|replies|${post.id}|${post.publishedAt.getTime()}`, () =>
        repliesTo(post, seed, perPost),
      ),
    );
  }
  return replies
    .filter((r) => r.createdAt < until)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Every reply one post of ours draws, whenever it comes. */
function repliesTo(
  post: { id: string; publishedAt: Date },
  seed: number,
  perPost: number,
): ConversationPost[] {
  const replies: ConversationPost[] = [];
  const n = poisson(perPost, uniform(seed, post.id, 'replies'));
  for (let i = 0; i < n; i++) {
    // Most replies come in the first hours: exponential delays with a mean of an hour.
    const delay = -Math.log(1 - uniform(seed, post.id, i, 'delay')) * HOUR;
    const negative = uniform(seed, post.id, i, 'tone') < BACKGROUND_NEGATIVE;
    replies.push({
      id: postId(seed, post.id, 'reply', i),
      author: `user${Math.floor(uniform(seed, post.id, i, 'author') * 5000)}`,
      text: negative ? 'This does not work for me, terrible.' : 'Nice! How do I get started?',
      createdAt: new Date(post.publishedAt.getTime() + 60_000 + delay),
      negative,
      replyTo: post.id,
      threadRoot: post.id,
    });
  }
  return replies;
}

/**
 * Replies by others to `replies` (the share `followUps` sets), about half an hour after each: a
 * conversation deeper in our post's thread. Created before `until`, oldest first.
 */
export function followUps(
  config: ConversationConfig,
  seed: number,
  replies: readonly ConversationPost[],
  until: Date,
): ConversationPost[] {
  const share = config.repliesToOurPosts?.followUps ?? 0;
  return replies
    .flatMap((reply) => {
      const followUp = remembered(config, `${seed}|follow-up|${reply.id}|${reply.createdAt.getTime()}`, () =>
        followUpTo(reply, seed, share),
      );
      return followUp ? [followUp] : [];
    })
    .filter((post) => post.createdAt < until)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Our answers to `inbound` (the share `teamReplies` sets, after its delays), created before `until`. */
export function teamReplies(
  config: ConversationConfig,
  seed: number,
  inbound: readonly ConversationPost[],
  until: Date,
): ConversationPost[] {
  const team = config.teamReplies;
  if (!team) return [];
  const answers: ConversationPost[] = [];
  for (const post of inbound) {
    const answer = remembered(config, `${seed}|answer|${post.id}|${post.createdAt.getTime()}`, () =>
      answerTo(post, seed, team),
    );
    if (answer) answers.push(answer);
  }
  return answers
    .filter((a) => a.createdAt < until)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Our answer to one inbound post, if the team answers it (the share and delay of `team`). */
function answerTo(
  post: ConversationPost,
  seed: number,
  team: { share: number; medianMinutes: number },
): ConversationPost | undefined {
  if (uniform(seed, post.id, 'answered') >= team.share) return undefined;
  const minutes =
    team.medianMinutes * Math.exp(0.5 * normal(uniform(seed, post.id, 'd1'), uniform(seed, post.id, 'd2')));
  return {
    id: postId(seed, post.id, 'answer'),
    author: 'us',
    text: 'Thanks for reaching out! We are on it.',
    createdAt: new Date(post.createdAt.getTime() + minutes * 60_000),
    negative: false,
    replyTo: post.id,
    ...(post.threadRoot ? { threadRoot: post.threadRoot } : {}),
  };
}

/** Someone else's reply to `reply`, if it draws one (the share `followUps` sets). */
function followUpTo(reply: ConversationPost, seed: number, share: number): ConversationPost | undefined {
  if (uniform(seed, reply.id, 'follow-up') >= share) return undefined;
  return {
    id: postId(seed, reply.id, 'follow-up'),
    author: `user${Math.floor(uniform(seed, reply.id, 'follow-up author') * 5000)}`,
    text: 'Same question here, any news?',
    createdAt: new Date(
      reply.createdAt.getTime() +
        60_000 -
        Math.log(1 - uniform(seed, reply.id, 'follow-up delay')) * HOUR * 0.5,
    ),
    negative: false,
    replyTo: reply.id,
    ...(reply.threadRoot ? { threadRoot: reply.threadRoot } : {}),
  };
}
