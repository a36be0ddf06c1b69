import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AudienceModel } from '../../local/simulators/audience.ts';
import { DEFAULT_BLUESKY_ACCOUNT, startBlueskySimulator } from '../../local/simulators/bluesky.ts';
import { defaultAccountSecrets } from '../../local/simulators/fleet.ts';
import { seedConfiguredHistory } from '../../local/simulators/history-accounts.ts';
import { DEFAULT_LINKEDIN_ACCOUNT, startLinkedInSimulator } from '../../local/simulators/linkedin.ts';
import { DEFAULT_FACEBOOK_PAGE, startFacebookSimulator } from '../../local/simulators/meta/facebook.ts';
import { DEFAULT_INSTAGRAM_ACCOUNT, startInstagramSimulator } from '../../local/simulators/meta/instagram.ts';
import { DEFAULT_THREADS_ACCOUNT, startThreadsSimulator } from '../../local/simulators/meta/threads.ts';
import type { SimulatorHandle } from '../../local/simulators/sim-types.ts';
import { DEFAULT_X_ACCOUNT, startXSimulator } from '../../local/simulators/x.ts';
import type { AccountPost } from '../../shared/platforms/account.ts';
import { accountReaders } from '../../shared/platforms/account-registry.ts';
import type { CredentialStore } from '../../shared/platforms/port.ts';
import { PlatformError } from '../../shared/platforms/port.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { MemoryCredentials, TestClock } from '../simulators/support.ts';
import { makeChannel } from '../support/fixtures.ts';

const clock = new TestClock();
const history = { history: { weeks: 26, postsPerWeek: 5 } };
const model = new AudienceModel({
  channels: {
    'x-main': history,
    'bsky-main': history,
    'facebook-page': history,
    'instagram-main': history,
    'linkedin-page': history,
    'threads-main': history,
  },
});
const readerFor = accountReaders(adapterRegistry({ now: clock.clock }), { now: clock.clock });
const secrets = defaultAccountSecrets('local/');

/** Every page of the account's posts since `since`, as the Auditor reads them. */
async function readAll(
  platform: 'x' | 'bluesky' | 'facebook' | 'instagram' | 'linkedin' | 'threads',
  channel: ReturnType<typeof makeChannel>,
  store: CredentialStore,
  since: string,
): Promise<{ posts: AccountPost[]; pages: number }> {
  const reader = readerFor(platform);
  if (!reader) throw new Error(`no reader for ${platform}`);
  const posts: AccountPost[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await reader.listPosts(channel, store, { since, ...(cursor ? { cursor } : {}) });
    posts.push(...page.posts);
    cursor = page.cursor;
    pages++;
  } while (cursor && pages < 20);
  return { posts, pages };
}

describe.each([
  { platform: 'x' as const, channel: DEFAULT_X_ACCOUNT.channel, start: startXSimulator },
  { platform: 'bluesky' as const, channel: DEFAULT_BLUESKY_ACCOUNT.channel, start: startBlueskySimulator },
  { platform: 'facebook' as const, channel: DEFAULT_FACEBOOK_PAGE.channel, start: startFacebookSimulator },
  {
    platform: 'instagram' as const,
    channel: DEFAULT_INSTAGRAM_ACCOUNT.channel,
    start: startInstagramSimulator,
  },
  { platform: 'linkedin' as const, channel: DEFAULT_LINKEDIN_ACCOUNT.channel, start: startLinkedInSimulator },
  { platform: 'threads' as const, channel: DEFAULT_THREADS_ACCOUNT.channel, start: startThreadsSimulator },
])('$platform account reader (against its simulator)', ({ platform, channel: id, start }) => {
  let sim: SimulatorHandle;
  let store: MemoryCredentials;
  let channel: ReturnType<typeof makeChannel>;

  beforeEach(async () => {
    clock.reset();
    const started = await start({ clock: clock.clock, audience: model });
    sim = started;
    seedConfiguredHistory({ [platform]: started }, model.config, clock.now);
    store = new MemoryCredentials({ ...(secrets[`local/${id}`] ?? {}) });
    channel = makeChannel({ id, platform, apiBaseUrl: started.url, secretRef: `local/${id}` });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('lists every post since the date across more than one page, newest first, with public counts', async () => {
    const since = new Date(clock.now.getTime() - 200 * 86_400_000).toISOString();
    const { posts, pages } = await readAll(platform, channel, store, since);

    expect(posts).toHaveLength(130);
    expect(pages).toBe(2);
    expect(new Set(posts.map((p) => p.platformPostId)).size).toBe(130);
    const times = posts.map((p) => p.publishedAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(posts.every((p) => (p.metrics.likes ?? -1) >= 0)).toBe(true);
    expect(posts.some((p) => p.hashtags.length > 0)).toBe(true);
    expect(posts.some((p) => p.link?.startsWith('https://example.com/'))).toBe(true);
    // Where the simulated history says what media a post carried, the reader reads it.
    if (['instagram', 'linkedin', 'threads'].includes(platform)) {
      expect(posts.some((p) => p.media.length > 0)).toBe(true);
    }
  });

  it('stops at the date', async () => {
    const since = new Date(clock.now.getTime() - 28 * 86_400_000).toISOString();
    const { posts } = await readAll(platform, channel, store, since);
    expect(posts.length).toBeGreaterThan(10);
    expect(posts.length).toBeLessThan(30);
    expect(posts.every((p) => p.publishedAt >= since)).toBe(true);
  });

  it('reads a follower count that grows with the engagement the posts earn', async () => {
    const reader = readerFor(platform);
    const before = await reader?.readAudience(channel, store);
    clock.advance(3 * 86_400_000);
    const after = await reader?.readAudience(channel, store);
    expect(before?.followers).toBeGreaterThan(1000);
    expect(after?.followers).toBeGreaterThanOrEqual(before?.followers ?? Infinity);
  });

  it('reports a 429 as rate-limited with the wait the platform named', async () => {
    sim.setFaults({ rateLimit: { count: 5, resetSeconds: 90 } });
    const error = await readerFor(platform)
      ?.listPosts(channel, store, { since: new Date(clock.now.getTime() - 86_400_000 * 7).toISOString() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).kind).toBe('rate-limited');
    expect((error as PlatformError).details.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('LinkedIn and Threads specifics (against their simulators)', () => {
  it('LinkedIn: counts come from share statistics, which stop at 12 months, as the reader declares', async () => {
    clock.reset();
    const longModel = new AudienceModel({
      channels: { 'linkedin-page': { history: { weeks: 70, postsPerWeek: 2 } } },
    });
    const sim = await startLinkedInSimulator({ clock: clock.clock, audience: longModel });
    try {
      seedConfiguredHistory({ linkedin: sim }, longModel.config, clock.now);
      const id = DEFAULT_LINKEDIN_ACCOUNT.channel;
      const store = new MemoryCredentials({ ...(secrets[`local/${id}`] ?? {}) });
      const channel = makeChannel({
        id,
        platform: 'linkedin',
        apiBaseUrl: sim.url,
        secretRef: `local/${id}`,
      });
      const since = new Date(clock.now.getTime() - 500 * 86_400_000).toISOString();
      const { posts } = await readAll('linkedin', channel, store, since);
      expect(posts).toHaveLength(140);
      const yearAgo = new Date(clock.now.getTime() - 365 * 86_400_000).toISOString();
      const recent = posts.filter((p) => p.publishedAt > yearAgo);
      const old = posts.filter((p) => p.publishedAt <= yearAgo);
      expect(old.length).toBeGreaterThan(0);
      expect(recent.every((p) => p.metrics.impressions !== undefined && p.metrics.clicks !== undefined)).toBe(
        true,
      );
      expect(old.every((p) => Object.keys(p.metrics).length === 0)).toBe(true);
      expect(readerFor('linkedin')?.limitations.join(' ')).toMatch(/12 months/);
      // Every request named the API version.
      const requests = sim.requests.filter((r) => r.path.startsWith('/rest/'));
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((r) => r.headers['linkedin-version'] === '202607')).toBe(true);
    } finally {
      await sim.stop();
    }
  });

  it('Threads: each listed post carries the insights read for it', async () => {
    clock.reset();
    const sim = await startThreadsSimulator({ clock: clock.clock, audience: model });
    try {
      seedConfiguredHistory({ threads: sim }, model.config, clock.now);
      clock.advance(86_400_000);
      const id = DEFAULT_THREADS_ACCOUNT.channel;
      const store = new MemoryCredentials({ ...(secrets[`local/${id}`] ?? {}) });
      const channel = makeChannel({ id, platform: 'threads', apiBaseUrl: sim.url, secretRef: `local/${id}` });
      const since = new Date(clock.now.getTime() - 14 * 86_400_000).toISOString();
      const { posts } = await readAll('threads', channel, store, since);
      expect(posts.length).toBeGreaterThan(0);
      for (const post of posts) {
        expect(post.metrics.impressions, post.platformPostId).toBeGreaterThan(0);
        expect(post.metrics.engagements).toBe(
          (post.metrics.likes ?? 0) + (post.metrics.comments ?? 0) + (post.metrics.shares ?? 0),
        );
      }
      const insightRequests = sim.requests.filter((r) => r.path.endsWith('/insights'));
      expect(insightRequests).toHaveLength(posts.length);
    } finally {
      await sim.stop();
    }
  });
});
