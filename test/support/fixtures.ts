import type { Channel, Platform, Post } from '../../shared/domain/index.ts';

export const T0 = '2026-12-01T09:00:00.000Z';

export function makeChannel(overrides: Partial<Channel> = {}): Channel {
  return {
    id: 'x-main',
    platform: 'x',
    handle: '@pulsecast',
    timezone: 'Europe/Berlin',
    secretRef: 'pulsecast/x-main',
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

/** The channel each platform's adapter and simulator tests publish to (secretRef and handle as its tests expect). */
const PLATFORM_CHANNELS: Record<Platform, Pick<Channel, 'id' | 'handle' | 'secretRef'>> = {
  x: { id: 'x-main', handle: '@pulsecast', secretRef: 'pulsecast/x-main' },
  bluesky: { id: 'bsky-main', handle: '@pulsecast.bsky.social', secretRef: 'pulsecast/bsky-main' },
  mastodon: { id: 'mastodon-main', handle: '@pulsecast', secretRef: 'pulsecast/mastodon-main' },
  linkedin: { id: 'linkedin-page', handle: 'pulsecast', secretRef: 'pulsecast/linkedin-page' },
  facebook: { id: 'facebook-page', handle: 'Pulsecast', secretRef: 'fb' },
  instagram: { id: 'instagram-main', handle: '@pulsecast', secretRef: 'ig' },
  threads: { id: 'threads-main', handle: '@pulsecast', secretRef: 'th' },
};

/** The test channel of `platform` (see PLATFORM_CHANNELS), with overrides such as a simulator's `apiBaseUrl`. */
export function platformChannel(platform: Platform, overrides: Partial<Channel> = {}): Channel {
  return makeChannel({ platform, ...PLATFORM_CHANNELS[platform], ...overrides });
}

export function makePost(overrides: Partial<Post> = {}): Post {
  return {
    id: 'post-1',
    channel: 'x-main',
    scheduledAt: '2026-12-10T09:00:00.000Z',
    timezone: 'Europe/Berlin',
    text: 'Hello from Pulsecast',
    media: [],
    tags: [],
    status: 'SCHEDULED',
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** n posts one minute apart, ids post-0001…, starting at `start`. */
export function makePosts(n: number, start = '2026-12-10T09:00:00.000Z'): Post[] {
  const base = Date.parse(start);
  return Array.from({ length: n }, (_, i) =>
    makePost({
      id: `post-${String(i + 1).padStart(4, '0')}`,
      scheduledAt: new Date(base + i * 60_000).toISOString(),
      text: `Post number ${i + 1}`,
    }),
  );
}
