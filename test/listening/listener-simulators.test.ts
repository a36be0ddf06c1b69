import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorConfigInput } from '../../local/simulators/audience.ts';
import { startBlueskySimulator } from '../../local/simulators/bluesky.ts';
import { startMastodonSimulator } from '../../local/simulators/mastodon.ts';
import { startThreadsSimulator } from '../../local/simulators/meta/threads.ts';
import type { SimulatorHandle } from '../../local/simulators/sim-types.ts';
import { startXSimulator } from '../../local/simulators/x.ts';
import type { Platform } from '../../shared/domain/index.ts';
import { listenOnPlatform, planListening } from '../../shared/listening/collect.ts';
import { responsesFor, shareOfVoiceFor } from '../../shared/listening/service.ts';
import { listeningRegistry } from '../../shared/platforms/listening-registry.ts';
import type { Credentials } from '../../shared/platforms/port.ts';
import { createAdapter } from '../../shared/platforms/registry.ts';
import { MemoryCredentialStore, noSleep } from '../platforms/helpers.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { MemoryListeningStore } from '../support/memory-listening.ts';
import { MemoryStore } from '../support/memory-store.ts';

const SECRET_REF = 'pulsecast/listening';

interface Case {
  platform: Platform;
  channel: string;
  handle: string;
  start(options: {
    clock: () => Date;
    audience: SimulatorConfigInput;
  }): Promise<SimulatorHandle & { accounts: readonly object[] }>;
  secret(account: Record<string, string>): Credentials;
  /** The parameter a search's position is sent in. */
  since: string;
}

/** The same Listener checks on each platform whose listening is built, one simulator each. */
const CASES: Case[] = [
  {
    platform: 'bluesky',
    channel: 'bsky-main',
    handle: '@pulsecast.bsky.social',
    start: startBlueskySimulator,
    secret: (a) => ({ identifier: a.handle ?? '', appPassword: a.appPassword ?? '' }),
    since: 'since',
  },
  {
    platform: 'mastodon',
    channel: 'mastodon-main',
    handle: '@pulsecast@127.0.0.1',
    start: startMastodonSimulator,
    secret: (a) => ({ accessToken: a.accessToken ?? '' }),
    since: 'min_id',
  },
  {
    platform: 'x',
    channel: 'x-main',
    handle: '@pulsecast',
    start: startXSimulator,
    secret: (a) => ({
      accessToken: a.accessToken ?? '',
      refreshToken: a.refreshToken ?? '',
      clientId: a.clientId ?? '',
    }),
    since: 'since_id',
  },
  {
    platform: 'threads',
    channel: 'threads-main',
    handle: '@pulsecast',
    start: startThreadsSimulator,
    secret: (a) => ({ threadsUserId: a.threadsUserId ?? '', accessToken: a.accessToken ?? '' }),
    since: 'since',
  },
];

describe.each(CASES)('the Listener on $platform, against the simulator', (c) => {
  let now: Date;
  let sim: SimulatorHandle & { accounts: readonly object[] };
  let credentials: MemoryCredentialStore;
  const clock = () => now;
  const channel = () =>
    makeChannel({
      id: c.channel,
      platform: c.platform,
      handle: c.handle,
      secretRef: SECRET_REF,
      apiBaseUrl: sim.url,
    });

  beforeEach(async () => {
    now = new Date('2027-03-01T09:00:00.000Z');
    sim = await c.start({
      clock,
      audience: {
        seed: 11,
        conversation: {
          subjects: { brand: { term: 'acmecloud', perHour: 2 }, globex: { term: 'globexhost', perHour: 1 } },
          repliesToOurPosts: { perPost: 3 },
          teamReplies: { share: 0.6, medianMinutes: 45 },
        },
      },
    });
    credentials = new MemoryCredentialStore({
      [SECRET_REF]: c.secret((sim.accounts[0] ?? {}) as Record<string, string>),
    });
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('stores mentions, replies to our posts and our answers once, and reads only what is new next time', async () => {
    const publisher = createAdapter(c.platform, { now: clock, sleep: noSleep });
    for (let i = 0; i < 4; i++) {
      await publisher.publish(makePost({ id: `p${i}`, text: `Post number ${i}` }), channel(), credentials, {
        idempotencyKey: `p${i}`,
      });
      now = new Date(now.getTime() + 6 * 3_600_000);
    }
    const store = new MemoryStore();
    store.channels.set(c.channel, channel());
    const listening = new MemoryListeningStore();
    await listening.putListeningSettings(
      {
        brand: { name: 'Acme', terms: ['acmecloud'], handles: [] },
        competitors: [{ id: 'globex', name: 'Globex', terms: ['globexhost'], handles: [] }],
        platforms: [c.platform, 'linkedin'],
        autoHold: false,
        channels: {},
      },
      now.toISOString(),
      undefined,
    );
    const listeningFor = listeningRegistry({ now: clock, sleep: noSleep });
    const deps = { listening, channels: store, listeningFor, credentials, now: clock };

    const plan = await planListening(deps);
    expect(plan.platforms).toEqual([{ platform: c.platform, channels: [c.channel] }]);
    expect(plan.unsupported.map((u) => `${u.platform}:${u.ability}`)).toEqual(
      expect.arrayContaining(['linkedin:search', 'linkedin:inbound']),
    );

    const first = await listenOnPlatform({ platform: c.platform, channels: [c.channel] }, deps);
    expect(first.problems).toEqual([]);
    const mentions = [...listening.mentions.values()];
    const inbound = mentions.filter((m) => m.inbound);
    // A week of 2 + 1 an hour, and about 3 replies to each of our 4 posts.
    expect(mentions.length - inbound.length).toBeGreaterThan(350);
    expect(inbound.length).toBeGreaterThan(4);
    expect(inbound.every((m) => m.inbound?.channel === c.channel && m.replyTo !== undefined)).toBe(true);
    expect(first.ownReplies).toBeGreaterThan(0);

    sim.clearRequests();
    const again = await listenOnPlatform({ platform: c.platform, channels: [c.channel] }, deps);
    expect(again).toMatchObject({ stored: 0, ownReplies: 0 });
    const searches = sim.requests.filter((r) =>
      /searchPosts|\/search$|\/search\/recent$|keyword_search/.test(r.path),
    );
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((r) => r.query[c.since] !== undefined)).toBe(true);

    const from = new Date(now.getTime() - 7 * 86_400_000).toISOString();
    const voice = await shareOfVoiceFor({ from, to: now.toISOString(), interval: 'week' }, listening);
    expect(voice.shares.brand).toBeGreaterThan(0.55);
    expect(voice.shares.brand).toBeLessThan(0.78);
    const answered = await responsesFor({ from, to: now.toISOString() }, listening, now);
    expect(answered.inbound).toBe(inbound.length);
    expect(answered.answered).toBeGreaterThan(0);
  });
});
