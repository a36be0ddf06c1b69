import { DateTime } from 'luxon';
import {
  AudienceModel,
  type AudiencePost,
  type SimulatorConfigInput,
} from '../../local/simulators/audience.ts';
import type { NormalisedMetrics, Post } from '../../shared/domain/index.ts';
import type { ConversionRecord, PostPerformance } from '../../shared/goals/model.ts';
import { makePost } from '../support/fixtures.ts';

/**
 * A month of an evenly spread calendar on one channel, "published" on time and measured with the
 * simulators' audience model (local/simulators/audience.ts) — the numbers the platform simulators
 * would report for these posts, without running the publishing and measuring pipelines.
 *
 * The calendar: every two hours, on odd hours one day and even hours the next (local time), so
 * each weekday-and-two-hours window gets one post a week; every fifth post is a video tagged
 * `video`, every fifth one after that an image, every third has a link; text lengths vary.
 */
export const MONTH_START = '2026-06-01';
export const CHANNEL = 'x-main';
export const ZONE = 'Europe/Berlin';

export interface SimulatedMonth {
  posts: PostPerformance[];
  conversions: ConversionRecord[];
  /** When the month was measured: a day after its last post. */
  measuredAt: Date;
}

export function evenCalendar(campaign: string, days = 30): Post[] {
  const posts: Post[] = [];
  const start = DateTime.fromISO(MONTH_START, { zone: ZONE });
  let i = 0;
  for (let d = 0; d < days; d++) {
    for (let slot = 0; slot < 12; slot++) {
      const at = start.plus({ days: d }).set({ hour: 2 * slot + (d % 2) });
      const video = i % 5 === 0;
      const image = i % 5 === 2;
      const words = 6 + ((i * 7) % 40);
      const iso = at.toUTC().toISO() as string;
      posts.push(
        makePost({
          id: `june-${String(i).padStart(3, '0')}`,
          channel: CHANNEL,
          campaign,
          timezone: ZONE,
          scheduledAt: iso,
          publishedAt: iso,
          status: 'PUBLISHED',
          version: 4,
          text: `Post ${i}: ${'lorem '.repeat(words).trim()}`,
          tags: video ? ['video'] : [],
          media: video
            ? [`https://cdn.example.com/clip-${i}.mp4`]
            : image
              ? [`https://cdn.example.com/photo-${i}.jpg`]
              : [],
          ...(i % 3 === 0 ? { link: `https://example.com/landing?p=${i}` } : {}),
        }),
      );
      i++;
    }
  }
  return posts;
}

function audiencePost(post: Post): AudiencePost {
  return {
    id: post.id,
    channel: post.channel,
    publishedAt: new Date(post.publishedAt as string),
    text: post.text,
    media: post.media.map((url) => ({ kind: url.endsWith('.mp4') ? 'video' : 'image' })),
    ...(post.link ? { link: post.link } : {}),
  };
}

/** The normalised metrics an adapter would report for the model's numbers. */
export function normalised(model: AudienceModel, post: Post, at: Date): NormalisedMetrics {
  const e = model.engagementAt(audiencePost(post), at);
  return {
    impressions: e.impressions,
    reach: e.reach,
    likes: e.likes,
    comments: e.comments,
    shares: e.shares,
    saves: e.saves,
    clicks: e.clicks,
    videoViews: e.videoViews,
    engagements: e.likes + e.comments + e.shares + e.saves,
  };
}

export function simulateMonth(config: SimulatorConfigInput, campaign = 'june'): SimulatedMonth {
  const model = new AudienceModel({
    seed: 42,
    ...config,
    channels: { [CHANNEL]: { timezone: ZONE } },
  });
  const calendar = evenCalendar(campaign);
  const last = calendar.at(-1)?.publishedAt as string;
  const measuredAt = new Date(Date.parse(last) + 26 * 3_600_000);
  const posts = calendar.map((post) => ({
    post,
    metrics: normalised(model, post, measuredAt),
    metricsAt: measuredAt.toISOString(),
  }));
  const conversions = calendar.flatMap((post) =>
    model.conversionsFor(audiencePost(post), measuredAt).map((c) => ({
      id: c.id,
      postId: post.id,
      occurredAt: c.occurredAt.toISOString(),
      value: c.value,
      currency: 'EUR',
    })),
  );
  return { posts, conversions, measuredAt };
}
