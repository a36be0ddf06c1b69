import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorConfigInput } from '../../local/simulators/audience.ts';
import { startBlueskySimulator } from '../../local/simulators/bluesky.ts';
import {
  ConversationConfig,
  type ConversationConfigInput,
  repliesToOurPosts,
} from '../../local/simulators/conversation.ts';
import { seedConfiguredHistory } from '../../local/simulators/history-accounts.ts';
import { startLinkedInSimulator } from '../../local/simulators/linkedin.ts';
import { startMastodonSimulator } from '../../local/simulators/mastodon.ts';
import { startFacebookSimulator } from '../../local/simulators/meta/facebook.ts';
import { startInstagramSimulator } from '../../local/simulators/meta/instagram.ts';
import { startThreadsSimulator } from '../../local/simulators/meta/threads.ts';
import type { SimContext, SimulatorHandle } from '../../local/simulators/sim-types.ts';
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

type Sim = SimulatorHandle & { accounts: readonly object[]; ctx: SimContext };

interface Case {
  platform: Platform;
  channel: string;
  handle: string;
  start(options: { clock: () => Date; audience: SimulatorConfigInput }): Promise<Sim>;
  secret(account: Record<string, string>): Credentials;
  /** The parameter a search's position is sent in; absent where the platform has no search. */
  since?: string;
  /** Media a post needs on this platform. */
  media?(sim: Sim): string[];
}

/** The named fields of a simulator account, as a channel secret. */
const fieldsOf = (account: Record<string, string>, ...names: string[]): Credentials =>
  Object.fromEntries(names.map((name) => [name, account[name] ?? '']));

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
    secret: (a) => fieldsOf(a, 'accessToken', 'refreshToken', 'clientId'),
    since: 'since_id',
  },
  {
    platform: 'threads',
    channel: 'threads-main',
    handle: '@pulsecast',
    start: startThreadsSimulator,
    secret: (a) => ({ threadsUserId: a.userId ?? '', accessToken: a.accessToken ?? '' }),
    since: 'since',
  },
  {
    platform: 'facebook',
    channel: 'facebook-page',
    handle: '@pulsecast',
    start: async (options) => {
      const sim = await startFacebookSimulator(options);
      return Object.assign(sim, { accounts: sim.pages });
    },
    secret: (a) => fieldsOf(a, 'pageId', 'pageAccessToken'),
  },
  {
    platform: 'instagram',
    channel: 'instagram-main',
    handle: '@pulsecast',
    start: startInstagramSimulator,
    secret: (a) => ({ igUserId: a.userId ?? '', accessToken: a.accessToken ?? '' }),
    media: (sim) => [sim.mediaUrl('photo.jpg')],
  },
  {
    platform: 'linkedin',
    channel: 'linkedin-page',
    handle: '@pulsecast',
    start: startLinkedInSimulator,
    secret: (a) => ({
      ...fieldsOf(a, 'accessToken', 'refreshToken', 'clientId', 'clientSecret'),
      organizationUrn: `urn:li:organization:${a.organizationId ?? ''}`,
    }),
  },
];

/** One simulator per test, a channel on it, the stores and a Listener over them. */
function harness(
  c: Case,
  conversation: ConversationConfigInput,
  history?: { weeks: number; postsPerWeek: number },
) {
  const state = {
    now: new Date('2027-03-01T09:00:00.000Z'),
    sim: undefined as unknown as Sim,
    credentials: undefined as unknown as MemoryCredentialStore,
    listening: new MemoryListeningStore(),
    fetch: undefined as typeof fetch | undefined,
  };
  const clock = () => state.now;
  const channel = () =>
    makeChannel({
      id: c.channel,
      platform: c.platform,
      handle: c.handle,
      secretRef: SECRET_REF,
      apiBaseUrl: state.sim.url,
    });

  beforeEach(async () => {
    state.now = new Date('2027-03-01T09:00:00.000Z');
    state.fetch = undefined;
    const audience = {
      seed: 11,
      conversation,
      ...(history ? { channels: { [c.channel]: { history } } } : {}),
    };
    state.sim = await c.start({ clock, audience });
    if (history) seedConfiguredHistory({ [c.platform]: state.sim }, state.sim.audience.config, state.now);
    state.credentials = new MemoryCredentialStore({
      [SECRET_REF]: c.secret((state.sim.accounts[0] ?? {}) as Record<string, string>),
    });
    state.listening = new MemoryListeningStore();
  });

  afterEach(async () => {
    await state.sim.stop();
  });

  /** Listening settings naming the brand and one competitor on this platform (and LinkedIn). */
  async function listen(platforms: Platform[] = [c.platform]) {
    const store = new MemoryStore();
    store.channels.set(c.channel, channel());
    await state.listening.putListeningSettings(
      {
        brand: { name: 'Acme', terms: ['acmecloud'], handles: [] },
        competitors: [{ id: 'globex', name: 'Globex', terms: ['globexhost'], handles: [] }],
        platforms,
        autoHold: false,
        channels: {},
      },
      state.now.toISOString(),
      undefined,
    );
    const fetchVia: typeof fetch = (input, init) => (state.fetch ?? fetch)(input, init);
    const listeningFor = listeningRegistry({ now: clock, sleep: noSleep, fetch: fetchVia });
    return {
      listening: state.listening,
      channels: store,
      listeningFor,
      credentials: state.credentials,
      now: clock,
    };
  }

  /** Publishes `n` posts through the platform's adapter, `hours` apart. */
  async function publish(n: number, hours: number) {
    const publisher = createAdapter(c.platform, { now: clock, sleep: noSleep });
    for (let i = 0; i < n; i++) {
      const post = makePost({ id: `p${i}`, text: `Post number ${i}`, media: c.media?.(state.sim) ?? [] });
      await publisher.publish(post, channel(), state.credentials, { idempotencyKey: `p${i}` });
      state.now = new Date(state.now.getTime() + hours * 3_600_000);
    }
  }

  return { state, listen, publish };
}

describe.each(CASES)('the Listener on $platform, against the simulator', (c) => {
  const { state, listen, publish } = harness(c, {
    subjects: { brand: { term: 'acmecloud', perHour: 2 }, globex: { term: 'globexhost', perHour: 1 } },
    repliesToOurPosts: { perPost: 3 },
    teamReplies: { share: 0.6, medianMinutes: 45 },
  });

  it('stores mentions, replies to our posts and our answers once, and reads only what is new next time', async () => {
    await publish(4, 6);
    const deps = await listen([...new Set<Platform>([c.platform, 'linkedin'])]);

    const plan = await planListening(deps);
    expect(plan.platforms).toEqual([{ platform: c.platform, channels: [c.channel] }]);
    expect(plan.unsupported.map((u) => `${u.platform}:${u.ability}`)).toEqual(
      expect.arrayContaining(['linkedin:search']),
    );

    const first = await listenOnPlatform({ platform: c.platform, channels: [c.channel] }, deps);
    expect(first.problems).toEqual([]);
    const mentions = [...state.listening.mentions.values()];
    const inbound = mentions.filter((m) => m.inbound);
    // A week of 2 + 1 an hour where the platform has search, and about 3 replies to each of our 4 posts.
    if (c.since) expect(mentions.length - inbound.length).toBeGreaterThan(350);
    else expect(mentions.length).toBe(inbound.length);
    expect(inbound.length).toBeGreaterThan(4);
    expect(inbound.every((m) => m.inbound?.channel === c.channel && m.replyTo !== undefined)).toBe(true);
    expect(first.ownReplies).toBeGreaterThan(0);

    state.sim.clearRequests();
    const again = await listenOnPlatform({ platform: c.platform, channels: [c.channel] }, deps);
    expect(again).toMatchObject({ stored: 0, ownReplies: 0 });
    if (c.since) {
      const since = c.since;
      const searches = state.sim.requests.filter((r) =>
        /searchPosts|\/search$|\/search\/recent$|keyword_search/.test(r.path),
      );
      expect(searches.length).toBeGreaterThan(0);
      expect(searches.every((r) => r.query[since] !== undefined)).toBe(true);
    }

    const from = new Date(state.now.getTime() - 7 * 86_400_000).toISOString();
    if (c.since) {
      const voice = await shareOfVoiceFor(
        { from, to: state.now.toISOString(), interval: 'week' },
        state.listening,
      );
      expect(voice.shares.brand).toBeGreaterThan(0.55);
      expect(voice.shares.brand).toBeLessThan(0.78);
    }
    const answered = await responsesFor({ from, to: state.now.toISOString() }, state.listening, state.now);
    expect(answered.inbound).toBe(inbound.length);
    expect(answered.answered).toBeGreaterThan(0);
  });
});

/** The platforms where what is addressed to us is the comments on our posts. */
const COMMENT_CASES = CASES.filter((c) => ['facebook', 'instagram', 'linkedin'].includes(c.platform));

describe.each(COMMENT_CASES)('comments on our $platform posts, against the simulator', (c) => {
  describe('over a planted week', () => {
    const teamReplies = { share: 0.6, medianMinutes: 45 };
    const { state, listen } = harness(
      c,
      { repliesToOurPosts: { perPost: 12 }, teamReplies },
      { weeks: 1, postsPerWeek: 50 },
    );

    it('gives the planted response rate within 0.05 and median time within 15 %', async () => {
      // A day on, every reply and answer to the week's posts has been written.
      state.now = new Date(state.now.getTime() + 86_400_000);
      const deps = await listen();

      const run = await listenOnPlatform({ platform: c.platform, channels: [c.channel] }, deps);

      expect(run.problems).toEqual([]);
      const from = new Date(state.now.getTime() - 7 * 86_400_000).toISOString();
      const result = await responsesFor({ from, to: state.now.toISOString() }, state.listening, state.now);
      expect(result.inbound).toBeGreaterThan(300);
      expect(Math.abs((result.rate ?? 0) - teamReplies.share)).toBeLessThanOrEqual(0.05);
      const median = result.medianMinutes ?? 0;
      expect(Math.abs(median - teamReplies.medianMinutes) / teamReplies.medianMinutes).toBeLessThanOrEqual(
        0.15,
      );
    });
  });

  describe('with more comments than a page', () => {
    const conversation = {
      repliesToOurPosts: { perPost: 100 },
      teamReplies: { share: 0.6, medianMinutes: 45 },
    };
    const { state, listen, publish } = harness(c, conversation);

    it('reads every page, waits out a throttle without losing a page, and stores each comment once', async () => {
      await publish(10, 1);
      const deps = await listen();
      // The platform throttles the first request for a second page of comments.
      let throttled = false;
      state.fetch = (input, init) => {
        const url = new URL(String(input));
        const secondPage =
          url.pathname.endsWith('/comments') &&
          (url.searchParams.has('after') || Number(url.searchParams.get('start') ?? 0) > 0);
        if (secondPage && !throttled) {
          throttled = true;
          state.sim.setFaults({ rateLimit: { count: 1, resetSeconds: 600, path: url.pathname } });
        }
        return fetch(input, init);
      };
      const work = { platform: c.platform, channels: [c.channel] };

      const first = await listenOnPlatform(work, deps);
      expect(throttled).toBe(true);
      expect(first.stored).toBe(0);
      expect(first.problems).toEqual([
        expect.stringMatching(/^inbound:.*rate limited.*retry in \d+s/),
        expect.stringMatching(/^own:.*rate limited.*retry in \d+s/),
      ]);
      expect((await state.listening.getListenerCursors(c.platform))?.positions).toEqual({});

      // Five minutes on the wait is not over: nothing is asked of the platform.
      state.now = new Date(state.now.getTime() + 5 * 60_000);
      state.sim.clearRequests();
      const waiting = await listenOnPlatform(work, deps);
      expect(waiting.problems).toHaveLength(2);
      expect(state.sim.requests).toEqual([]);

      // A day on, every comment is read, across pages.
      state.now = new Date(state.now.getTime() + 86_400_000);
      const ours = state.sim.posts.map((p) => ({ id: p.id, publishedAt: p.publishedAt }));
      const planted = repliesToOurPosts(ConversationConfig.parse(conversation), 11, ours, state.now);
      expect(planted.length).toBeGreaterThan(900);
      const read = await listenOnPlatform(work, deps);
      expect(read.problems).toEqual([]);
      expect(read.stored).toBe(planted.length);
      expect(state.listening.mentions.size).toBe(planted.length);
      expect(read.ownReplies).toBeGreaterThan(planted.length / 2);
      const pages = state.sim.requests.filter(
        (r) =>
          r.path.endsWith('/comments') && (r.query.after !== undefined || Number(r.query.start ?? 0) > 0),
      );
      expect(pages.length).toBeGreaterThan(0);

      state.now = new Date(state.now.getTime() + 5 * 60_000);
      const again = await listenOnPlatform(work, deps);
      expect(again).toMatchObject({ stored: 0, ownReplies: 0, problems: [] });
      expect(state.listening.mentions.size).toBe(planted.length);
    });
  });
});
