import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationConfigInput } from '../../local/simulators/conversation.ts';
import { startMastodonSimulator } from '../../local/simulators/mastodon.ts';
import type { SimulatorHandle } from '../../local/simulators/sim-types.ts';
import { listenOnPlatform } from '../../shared/listening/collect.ts';
import { responsesFor } from '../../shared/listening/service.ts';
import { listeningRegistry } from '../../shared/platforms/listening-registry.ts';
import { createMastodonAdapter } from '../../shared/platforms/mastodon.ts';
import { CONTEXT_READS } from '../../shared/platforms/mastodon-listening.ts';
import { MemoryCredentialStore, noSleep } from '../platforms/helpers.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { brandListening } from './support.ts';

const SECRET_REF = 'pulsecast/mastodon';
const isContext = (path: string) => /^\/api\/v1\/statuses\/\d+\/context$/.test(path);

describe('Mastodon threads, against the simulator', () => {
  let sim: SimulatorHandle | undefined;
  afterEach(async () => {
    await sim?.stop();
  });

  /** Four posts of ours, six hours apart, under the conversation given; then one Listener run. */
  async function listen(conversation: ConversationConfigInput) {
    let now = new Date('2027-03-01T09:00:00.000Z');
    const clock = () => now;
    const started = await startMastodonSimulator({ clock, audience: { seed: 5, conversation } });
    sim = started;
    const account = started.accounts[0] as { accessToken: string };
    const credentials = new MemoryCredentialStore({ [SECRET_REF]: { accessToken: account.accessToken } });
    const channel = makeChannel({
      id: 'mastodon-main',
      platform: 'mastodon',
      handle: '@pulsecast@127.0.0.1',
      secretRef: SECRET_REF,
      apiBaseUrl: started.url,
    });
    const publisher = createMastodonAdapter({ now: clock, sleep: noSleep });
    const ours: string[] = [];
    for (let i = 0; i < 4; i++) {
      const published = await publisher.publish(
        makePost({ id: `p${i}`, text: `Post ${i}` }),
        channel,
        credentials,
        {
          idempotencyKey: `p${i}`,
        },
      );
      ours.push(published.platformPostId);
      now = new Date(now.getTime() + 6 * 3_600_000);
    }
    const { store, listening } = await brandListening(channel, ['mastodon'], now.toISOString());
    started.clearRequests();
    const summary = await listenOnPlatform(
      { platform: 'mastodon', channels: [channel.id] },
      {
        listening,
        channels: store,
        listeningFor: listeningRegistry({ now: clock, sleep: noSleep }),
        credentials,
        now: clock,
      },
    );
    return { summary, listening, ours, now, requests: started.requests, url: started.url };
  }

  it('counts a reply deeper in our thread as a reply to us, and our reply below a post as its answer', async () => {
    const { summary, listening, ours, now, requests, url } = await listen({
      repliesToOurPosts: { perPost: 3, followUps: 1 },
      teamReplies: { share: 0.6, medianMinutes: 45 },
    });
    expect(summary.problems).toEqual([]);
    const inbound = [...listening.mentions.values()].filter((m) => m.inbound);
    const direct = inbound.filter((m) => m.replyTo && ours.includes(m.replyTo));
    const deeper = inbound.filter((m) => m.replyTo && !ours.includes(m.replyTo));
    expect(direct.length).toBeGreaterThan(4);
    expect(deeper.length).toBeGreaterThan(4);
    // A follow-up answers someone else's reply, but its thread is one our post started.
    for (const mention of deeper) {
      expect(mention.inbound?.kind).toBe('reply');
      expect(ours).toContain(mention.threadRoot);
    }

    // Our answers know the whole chain above them: [our post, the reply, the follow-up].
    const replies = [...listening.ownReplies.values()];
    const toDeeper = replies.filter((r) => deeper.some((m) => m.id === r.replyTo));
    expect(toDeeper.length).toBeGreaterThan(0);
    for (const reply of toDeeper) {
      const followUp = deeper.find((m) => m.id === reply.replyTo);
      expect(reply.ancestors).toEqual([followUp?.threadRoot, followUp?.replyTo, followUp?.id]);
    }
    // A reply our team answered only below it (it answered the follow-up) counts as answered.
    const answeredOnlyBelow = direct.filter(
      (m) => !replies.some((r) => r.replyTo === m.id) && replies.some((r) => r.ancestors?.includes(m.id)),
    );
    expect(answeredOnlyBelow.length).toBeGreaterThan(0);
    const figures = await responsesFor(
      { from: '2027-02-28T00:00:00.000Z', to: now.toISOString(), channel: 'mastodon-main' },
      listening,
      now,
    );
    const answeredDirectly = inbound.filter((m) => replies.some((r) => r.replyTo === m.id)).length;
    expect(figures.inbound).toBe(inbound.length);
    expect(figures.answered).toBeGreaterThanOrEqual(answeredDirectly + answeredOnlyBelow.length);

    // One context read per follow-up and per answer of ours; none for a direct reply to us.
    expect(requests.filter((r) => isContext(r.path))).toHaveLength(deeper.length + replies.length);

    // The simulator's context of our first post holds its whole thread below it.
    const context = (await (await fetch(`${url}/api/v1/statuses/${ours[0]}/context`)).json()) as {
      ancestors: unknown[];
      descendants: { id: string }[];
    };
    const thread = [
      ...inbound.filter((m) => m.replyTo === ours[0] || m.threadRoot === ours[0]).map((m) => m.id),
      ...replies.filter((r) => r.threadRoot === ours[0]).map((r) => r.id),
    ];
    expect(context.ancestors).toEqual([]);
    expect(thread.length).toBeGreaterThan(1);
    expect(context.descendants.map((s) => s.id).sort()).toEqual(thread.sort());
  });

  it(`reads at most ${CONTEXT_READS} contexts per read, and stores what is past that with its parent only`, async () => {
    const { summary, listening, requests } = await listen({
      repliesToOurPosts: { perPost: 30, followUps: 1 },
    });
    expect(summary.problems).toEqual([]);
    const inbound = [...listening.mentions.values()].filter((m) => m.inbound);
    const unread = inbound.filter((m) => m.inbound?.kind === 'mention');
    expect(inbound.filter((m) => m.threadRoot)).toHaveLength(CONTEXT_READS);
    expect(unread.length).toBeGreaterThan(0);
    expect(unread.every((m) => m.replyTo !== undefined && m.threadRoot === undefined)).toBe(true);
    expect(requests.filter((r) => isContext(r.path))).toHaveLength(CONTEXT_READS);
  });
});
