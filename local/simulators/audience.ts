import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import twitterText from 'twitter-text';
import * as z from 'zod';
import { isIanaTimezone } from '../../shared/domain/common.ts';
import { ConversationConfig } from './conversation.ts';
import { HistoryInput } from './history.ts';

/**
 * The simulated audience behind every platform simulator: how many people a post reaches and
 * how they react, growing with the post's age and levelling off, so that the measuring and
 * strategy stages have real signal to find (posting windows that work, tags that work, links
 * that convert). Everything is a pure function of the seed, the post and the (virtual) time:
 * the same calendar played twice gives the same numbers.
 *
 * Shape of `PULSECAST_SIMULATOR_CONFIG` (docs/architecture.md#platform-simulators); anything left
 * out takes the defaults below.
 */

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const ClockTime = z
  .string()
  .regex(
    /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/,
    'must be a time of day like 09:00 (24:00 for the end of the day)',
  );

export const HourOfWeekWindow = z.strictObject({
  day: z.enum(WEEKDAYS),
  from: ClockTime,
  to: ClockTime,
  multiplier: z.number().positive(),
});
export type HourOfWeekWindow = z.infer<typeof HourOfWeekWindow>;

export const ChannelAudienceInput = z.strictObject({
  /** People a post reaches at an ordinary hour, before tags and luck. */
  baseReach: z.number().nonnegative().optional(),
  /** Share of the people reached who like, reply, share or save. */
  engagementRate: z.number().min(0).max(1).optional(),
  /** Share of the people reached who click the post's link (only posts with a link). */
  clickThroughRate: z.number().min(0).max(1).optional(),
  /** Share of clicks that turn into a conversion. */
  conversionRate: z.number().min(0).max(1).optional(),
  /** Value of one conversion, in the account's currency. */
  conversionValue: z.number().nonnegative().optional(),
  /** The IANA zone the hour-of-week windows are read in. */
  timezone: z.string().refine(isIanaTimezone, 'is not an IANA time zone name').optional(),
  /** Hours after which about 63 % of a post's final numbers are in (the growth time constant). */
  growthHours: z.number().positive().optional(),
  /** Posts the account published before Pulsecast (local/simulators/history.ts). */
  history: HistoryInput.optional(),
  /** Followers before any of the account's posts; they grow with engagement. */
  followers: z.number().int().nonnegative().optional(),
});
export type ChannelAudienceInput = z.infer<typeof ChannelAudienceInput>;
export type ChannelAudience = Required<Omit<ChannelAudienceInput, 'history' | 'followers'>>;

export const SimulatorConfigInput = z.strictObject({
  seed: z.number().int().optional(),
  /** Per channel: keyed by the Pulsecast channel id (`x-main`) a simulator account stands for. */
  channels: z.record(z.string(), ChannelAudienceInput).optional(),
  /** Applied to every channel not listed, and under every listed channel's own values. */
  defaults: ChannelAudienceInput.optional(),
  /** Multipliers on reach by local day and time; left out → a typical weekday curve, [] → flat. */
  hourOfWeek: z.array(HourOfWeekWindow).optional(),
  /** Multipliers on engagement by tag: hashtags in the text, plus `image` / `video` from the media. */
  tags: z.record(z.string(), z.number().positive()).optional(),
  /** The conversation around our accounts (conversation.ts): mentions, replies, our answers. */
  conversation: ConversationConfig.optional(),
});
export type SimulatorConfigInput = z.input<typeof SimulatorConfigInput>;

export interface SimulatorConfig {
  seed: number;
  channels: Record<string, ChannelAudienceInput>;
  defaults: ChannelAudience;
  hourOfWeek: HourOfWeekWindow[];
  tags: Record<string, number>;
  conversation?: ConversationConfig;
}

export const DEFAULT_CHANNEL_AUDIENCE: ChannelAudience = {
  baseReach: 1000,
  engagementRate: 0.03,
  clickThroughRate: 0.01,
  conversionRate: 0.02,
  conversionValue: 25,
  timezone: 'UTC',
  growthHours: 6,
};

/** A plausible week: busy weekday mornings and lunchtimes, quiet nights, a slower weekend. */
export const DEFAULT_HOUR_OF_WEEK: HourOfWeekWindow[] = [
  ...(['MON', 'TUE', 'WED', 'THU', 'FRI'] as const).flatMap((day) => [
    { day, from: '09:00', to: '11:00', multiplier: 1.6 },
    { day, from: '12:00', to: '13:00', multiplier: 1.3 },
    { day, from: '17:00', to: '19:00', multiplier: 1.2 },
  ]),
  ...WEEKDAYS.map((day) => ({ day, from: '00:00', to: '06:00', multiplier: 0.4 })),
  { day: 'SAT', from: '06:00', to: '24:00', multiplier: 0.8 },
  { day: 'SUN', from: '06:00', to: '24:00', multiplier: 0.8 },
];

/** Validates a config (the parsed JSON of `PULSECAST_SIMULATOR_CONFIG`) and fills in defaults. */
export function parseSimulatorConfig(input: unknown = {}): SimulatorConfig {
  const parsed = SimulatorConfigInput.parse(input);
  const tags: Record<string, number> = {};
  for (const [tag, multiplier] of Object.entries(parsed.tags ?? {})) tags[normaliseTag(tag)] = multiplier;
  return {
    seed: parsed.seed ?? 42,
    channels: parsed.channels ?? {},
    defaults: { ...DEFAULT_CHANNEL_AUDIENCE, ...stripUndefined(parsed.defaults ?? {}) },
    hourOfWeek: parsed.hourOfWeek ?? DEFAULT_HOUR_OF_WEEK,
    tags,
    ...(parsed.conversation ? { conversation: parsed.conversation } : {}),
  };
}

/** Reads the file named by `PULSECAST_SIMULATOR_CONFIG`, or the defaults when it is not set. */
export function loadSimulatorConfig(env: NodeJS.ProcessEnv): SimulatorConfig {
  const path = env.PULSECAST_SIMULATOR_CONFIG;
  if (!path) return parseSimulatorConfig({});
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`PULSECAST_SIMULATOR_CONFIG: cannot read ${path} as JSON (${(error as Error).message})`);
  }
  const result = SimulatorConfigInput.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`PULSECAST_SIMULATOR_CONFIG: ${path} is not a valid simulator config: ${issues}`);
  }
  return parseSimulatorConfig(result.data);
}

/** What the audience model needs to know about a published post. */
export interface AudiencePost {
  /** The platform's id of the post (the simulator's own, deterministic). */
  id: string;
  /** The channel key the account stands for (a Pulsecast channel id such as `x-main`). */
  channel: string;
  publishedAt: Date;
  text: string;
  media?: readonly { kind: 'image' | 'video' }[];
  /** The link marketers track (the first URL in the text when not given). */
  link?: string;
}

/** Normalised numbers at one moment; integers, never decreasing as time goes on. */
export interface Engagement {
  impressions: number;
  reach: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  clicks: number;
  videoViews: number;
  conversions: number;
}

/** One conversion the audience made from a post's link (for driving the conversion webhook). */
export interface SimulatedConversion {
  /** Stable: the same conversion has the same id on every run (the webhook is idempotent by it). */
  id: string;
  postId: string;
  channel: string;
  occurredAt: Date;
  value: number;
  /** The link that was clicked, UTM parameters and all. */
  link?: string;
}

/** The numbers a post heads towards, before the growth curve is applied. */
interface Totals extends Engagement {}

export class AudienceModel {
  readonly config: SimulatorConfig;

  constructor(config: SimulatorConfig | SimulatorConfigInput = {}) {
    this.config = isResolved(config) ? config : parseSimulatorConfig(config);
  }

  /** The audience settings for a channel (its own values over the defaults). */
  channel(channel: string): ChannelAudience {
    return { ...this.config.defaults, ...stripUndefined(this.config.channels[channel] ?? {}) };
  }

  /** The tags the audience reacts to: hashtags in the text, plus `image`/`video` from the media. */
  tagsOf(post: Pick<AudiencePost, 'text' | 'media'>): string[] {
    const tags = new Set(twitterText.extractHashtags(post.text).map(normaliseTag));
    for (const item of post.media ?? []) tags.add(item.kind);
    return [...tags].sort();
  }

  /** Product of the configured multipliers for the post's tags (1 when none is configured). */
  tagMultiplier(post: Pick<AudiencePost, 'text' | 'media'>): number {
    return this.tagsOf(post).reduce((product, tag) => product * (this.config.tags[tag] ?? 1), 1);
  }

  /** Product of the hour-of-week windows the instant falls in, read in the channel's zone. */
  hourMultiplier(channel: string, at: Date): number {
    const local = DateTime.fromJSDate(at, { zone: this.channel(channel).timezone });
    const day = WEEKDAYS[local.weekday - 1];
    const minute = local.hour * 60 + local.minute;
    let multiplier = 1;
    for (const window of this.config.hourOfWeek) {
      if (window.day === day && minute >= minutesOf(window.from) && minute < minutesOf(window.to)) {
        multiplier *= window.multiplier;
      }
    }
    return multiplier;
  }

  /** Share of a post's final numbers reached at this age: 0 at publication, levelling off at 1. */
  growth(channel: string, ageMs: number): number {
    if (ageMs <= 0) return 0;
    const tau = this.channel(channel).growthHours * 3_600_000;
    return 1 - Math.exp(-ageMs / tau);
  }

  /** The post's numbers at `at` (virtual time). */
  engagementAt(post: AudiencePost, at: Date): Engagement {
    const totals = this.totals(post);
    const f = this.growth(post.channel, at.getTime() - post.publishedAt.getTime());
    const grown = (total: number) => Math.round(total * f);
    return {
      impressions: grown(totals.impressions),
      reach: grown(totals.reach),
      likes: grown(totals.likes),
      comments: grown(totals.comments),
      shares: grown(totals.shares),
      saves: grown(totals.saves),
      clicks: grown(totals.clicks),
      videoViews: grown(totals.videoViews),
      conversions: grown(totals.conversions),
    };
  }

  /** The numbers the post levels off at. */
  finalEngagement(post: AudiencePost): Engagement {
    const totals = this.totals(post);
    return Object.fromEntries(
      Object.entries(totals).map(([k, v]) => [k, Math.round(v)]),
    ) as unknown as Engagement;
  }

  /**
   * Every conversion the post's link has produced by `at`, oldest first. The k-th conversion
   * happens when the grown count first reaches k, so these agree with `engagementAt(...).conversions`.
   */
  conversionsFor(post: AudiencePost, at: Date = new Date(8.64e15)): SimulatedConversion[] {
    const total = this.totals(post).conversions;
    const count = this.engagementAt(post, at).conversions;
    const audience = this.channel(post.channel);
    const tau = audience.growthHours * 3_600_000;
    const link = post.link ?? firstUrl(post.text);
    const out: SimulatedConversion[] = [];
    for (let k = 1; k <= count; k++) {
      // round(total · f(t)) ≥ k  ⇔  f(t) ≥ (k − ½) / total  ⇔  t ≥ −τ · ln(1 − (k − ½) / total)
      const share = Math.min((k - 0.5) / total, 1 - 1e-12);
      const ageMs = Math.ceil(-tau * Math.log(1 - share));
      const value =
        Math.round(audience.conversionValue * (0.5 + this.uniform(post, `value:${k}`)) * 100) / 100;
      out.push({
        id: `${post.channel}-${post.id}-conversion-${k}`,
        postId: post.id,
        channel: post.channel,
        occurredAt: new Date(post.publishedAt.getTime() + ageMs),
        value,
        ...(link ? { link } : {}),
      });
    }
    return out;
  }

  private totals(post: AudiencePost): Totals {
    const audience = this.channel(post.channel);
    const hasLink = (post.link ?? firstUrl(post.text)) !== undefined;
    const hasVideo = (post.media ?? []).some((m) => m.kind === 'video');
    const reach =
      audience.baseReach *
      this.hourMultiplier(post.channel, post.publishedAt) *
      this.luck(post, 'reach', 0.25);
    const quality = this.tagMultiplier(post) * this.luck(post, 'engagement', 0.3);
    const engagements = reach * audience.engagementRate * quality;
    const clicks = hasLink ? reach * audience.clickThroughRate * quality : 0;
    return {
      impressions: reach * (1.2 + 0.4 * this.uniform(post, 'impressions')),
      reach,
      likes: engagements * 0.6,
      comments: engagements * 0.1,
      shares: engagements * 0.2,
      saves: engagements * 0.1,
      clicks,
      videoViews: hasVideo ? reach * (0.4 + 0.3 * this.uniform(post, 'views')) : 0,
      conversions: clicks * audience.conversionRate,
    };
  }

  /** Draws already made (every metrics read of a post asks for the same ones again); cleared when full. */
  private readonly drawn = new Map<string, number>();

  /** A uniform number in [0, 1) fixed by the seed, the post and a label. */
  private uniform(post: Pick<AudiencePost, 'id' | 'channel'>, label: string): number {
    const key = `${this.config.seed}\u0000${post.channel}\u0000${post.id}\u0000${label}`;
    const known = this.drawn.get(key);
    if (known !== undefined) return known;
    const value = createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
    if (this.drawn.size >= 1_000_000) this.drawn.clear();
    this.drawn.set(key, value);
    return value;
  }

  /** A log-normal factor around 1 (the luck of the draw), fixed by the seed and the post. */
  private luck(post: Pick<AudiencePost, 'id' | 'channel'>, label: string, sigma: number): number {
    const u1 = Math.max(this.uniform(post, `${label}:1`), 1e-12);
    const u2 = this.uniform(post, `${label}:2`);
    const gaussian = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(sigma * gaussian - (sigma * sigma) / 2);
  }
}

function isResolved(config: SimulatorConfig | SimulatorConfigInput): config is SimulatorConfig {
  const c = config as Partial<SimulatorConfig>;
  return (
    typeof c.seed === 'number' &&
    Array.isArray(c.hourOfWeek) &&
    typeof c.defaults === 'object' &&
    c.defaults !== null &&
    typeof (c.defaults as ChannelAudience).baseReach === 'number' &&
    typeof c.channels === 'object' &&
    typeof c.tags === 'object'
  );
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function normaliseTag(tag: string): string {
  return tag.replace(/^#/, '').toLowerCase();
}

function firstUrl(text: string): string | undefined {
  return twitterText.extractUrls(text)[0];
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
