import type { Campaign, Channel, Goal, NormalisedMetrics, Post } from '../../shared/domain/index.ts';
import type {
  ChannelInfo,
  ConversionRecord,
  EvaluationInput,
  PostPerformance,
} from '../../shared/goals/model.ts';
import { makePost } from '../support/fixtures.ts';

export const CREATED = '2025-12-01T00:00:00.000Z';

export function makeCampaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    id: 'spring',
    name: 'Spring',
    timezone: 'UTC',
    goals: [],
    createdAt: CREATED,
    updatedAt: CREATED,
    version: 1,
    ...overrides,
  };
}

export function goal(overrides: Partial<Goal> & Pick<Goal, 'metric' | 'target' | 'window'>): Goal {
  return { id: 'g1', direction: 'atLeast', scope: {}, ...overrides };
}

/** A published post with its metrics taken `ageHours` after publication (default: 48 h). */
export function published(
  id: string,
  publishedAt: string,
  metrics: NormalisedMetrics | undefined,
  overrides: Partial<Post> = {},
  ageHours = 48,
): PostPerformance {
  const post = makePost({
    id,
    channel: 'x-main',
    campaign: 'spring',
    scheduledAt: publishedAt,
    publishedAt,
    status: 'PUBLISHED',
    version: 4,
    ...overrides,
  });
  return {
    post,
    ...(metrics
      ? { metrics, metricsAt: new Date(Date.parse(publishedAt) + ageHours * 3_600_000).toISOString() }
      : {}),
  };
}

export function scheduled(id: string, scheduledAt: string, overrides: Partial<Post> = {}): PostPerformance {
  return {
    post: makePost({
      id,
      channel: 'x-main',
      campaign: 'spring',
      scheduledAt,
      status: 'SCHEDULED',
      ...overrides,
    }),
  };
}

export function conversion(postId: string | undefined, occurredAt: string, value = 10, currency = 'EUR') {
  return { ...(postId ? { postId } : {}), occurredAt, value, currency } satisfies ConversionRecord;
}

export const X_MAIN: ChannelInfo = { id: 'x-main', platform: 'x', timezone: 'UTC' };
export const BSKY: ChannelInfo = { id: 'bsky-main', platform: 'bluesky', timezone: 'UTC' };
export const LINKEDIN: ChannelInfo = { id: 'linkedin-page', platform: 'linkedin', timezone: 'UTC' };

export function channels(...list: ChannelInfo[]): Map<string, ChannelInfo> {
  return new Map(list.map((channel) => [channel.id, channel]));
}

export function storedChannel(info: ChannelInfo): Channel {
  return {
    ...info,
    handle: `@${info.id}`,
    secretRef: `pulsecast/${info.id}`,
    createdAt: CREATED,
    updatedAt: CREATED,
    version: 1,
  };
}

export function input(
  campaign: Campaign,
  now: string,
  posts: PostPerformance[],
  conversions: ConversionRecord[] = [],
  channelInfo: Map<string, ChannelInfo> = channels(X_MAIN),
): EvaluationInput {
  return { campaign, posts, conversions, channels: channelInfo, now: new Date(now) };
}

/** ISO date + n days (UTC). */
export function day(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
