import { AudienceModel, type SimulatorConfigInput } from '../../local/simulators/audience.ts';
import type { Post } from '../../shared/domain/index.ts';
import type { AgedReading } from '../../shared/goals/accrual.ts';
import type { ChannelInfo, EvaluationInput, PostPerformance } from '../../shared/goals/model.ts';
import { makePost } from '../support/fixtures.ts';
import { makeCampaign } from './helpers.ts';
import { normalised } from './simulated-month.ts';

/**
 * Campaigns generated from the simulators' audience model (local/simulators/audience.ts), seeded,
 * for the property and coverage tests: a calendar per channel, the posts before `now` published
 * and measured (with snapshots at 1 h, 6 h and 24 h, as the Collector takes them), the rest
 * scheduled; and, for checking a forecast, every post's value once it has levelled off.
 */

/** A small seeded generator (mulberry32): the same seed, the same campaign. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const START = '2027-03-01'; // a Monday
const HOUR = 3_600_000;

export interface Slot {
  channel: string;
  at: string;
}

export interface Generated {
  input: EvaluationInput;
  /** Every post of the calendar with its final numbers (levelled off). */
  finals: { post: Post; engagements: number }[];
}

/** Plays a calendar through the audience model as far as `now`. */
export function generate(
  slots: readonly Slot[],
  now: string,
  config: SimulatorConfigInput,
  channelIds: readonly string[],
  campaign = makeCampaign({ id: 'spring' }),
): Generated {
  const channels = Object.fromEntries(channelIds.map((id) => [id, { timezone: 'UTC', growthHours: 6 }]));
  const model = new AudienceModel({ ...config, channels });
  const nowMs = Date.parse(now);
  const posts: PostPerformance[] = [];
  const snapshots = new Map<string, AgedReading[]>();
  const finals: Generated['finals'] = [];
  slots.forEach((slot, i) => {
    const id = `p${String(i).padStart(3, '0')}`;
    const base = { id, channel: slot.channel, campaign: campaign.id, timezone: 'UTC', scheduledAt: slot.at };
    const at = Date.parse(slot.at);
    const published = makePost({ ...base, status: 'PUBLISHED', publishedAt: slot.at, version: 4 });
    finals.push({
      post: published,
      engagements: normalised(model, published, new Date(at + 1000 * HOUR)).engagements ?? 0,
    });
    if (at >= nowMs) {
      posts.push({ post: makePost({ ...base, status: 'SCHEDULED' }) });
      return;
    }
    const readings = [1, 6, 24, 72]
      .map((age) => at + age * HOUR)
      .filter((ms) => ms <= nowMs)
      .map((ms) => ({ ageHours: (ms - at) / HOUR, metrics: normalised(model, published, new Date(ms)) }));
    const latest = readings.at(-1);
    if (!latest) {
      posts.push({ post: published });
      return;
    }
    snapshots.set(id, readings);
    posts.push({
      post: published,
      metrics: latest.metrics,
      metricsAt: new Date(at + latest.ageHours * HOUR).toISOString(),
    });
  });
  const info = new Map<string, ChannelInfo>(
    channelIds.map((id) => [id, { id, platform: 'x', timezone: 'UTC' }]),
  );
  return {
    input: { campaign, posts, conversions: [], channels: info, snapshots, now: new Date(now) },
    finals,
  };
}

/** `perWeek` posts a week on a channel for `weeks` weeks, at seeded days and hours (08–20 h). */
export function randomSlots(rand: () => number, channel: string, weeks: number, perWeek: number): Slot[] {
  const slots: Slot[] = [];
  for (let w = 0; w < weeks; w++) {
    for (let k = 0; k < perWeek; k++) {
      const dayOfWeek = Math.floor(rand() * 7);
      const hour = 8 + Math.floor(rand() * 12);
      const ms = Date.parse(`${START}T00:00:00.000Z`) + ((w * 7 + dayOfWeek) * 24 + hour) * HOUR;
      slots.push({ channel, at: new Date(ms).toISOString() });
    }
  }
  return slots.sort((a, b) => a.at.localeCompare(b.at));
}
