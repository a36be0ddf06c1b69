import { describe, expect, it } from 'vitest';
import { startXSimulator } from '../../local/simulators/x.ts';
import { listenOnPlatform } from '../../shared/listening/collect.ts';
import { listeningRegistry } from '../../shared/platforms/listening-registry.ts';
import { createXAdapter } from '../../shared/platforms/x.ts';
import { xSearchQuery } from '../../shared/platforms/x-listening.ts';
import { MemoryCredentialStore, noSleep } from '../platforms/helpers.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { releasedAfterEach } from '../support/per-test.ts';
import { brandListening } from './support.ts';

const SECRET_REF = 'pulsecast/x';

describe('X listening', () => {
  const startSimulator = releasedAfterEach(startXSimulator, (sim) => sim.stop());

  it('searches a term as a phrase and a handle as a mention, without retweets', () => {
    expect(xSearchQuery('acme cloud')).toBe('"acme cloud" -is:retweet');
    expect(xSearchQuery('@acme')).toBe('@acme -is:retweet');
    expect(xSearchQuery('say "hi"')).toBe('"say hi" -is:retweet');
  });

  it('reports recent search as not available on the free plan, and still reads mentions and our replies', async () => {
    let now = new Date('2027-03-01T09:00:00.000Z');
    const clock = () => now;
    const started = await startSimulator({
      clock,
      recentSearch: false,
      audience: {
        seed: 3,
        conversation: {
          subjects: { brand: { term: 'acmecloud', perHour: 2 } },
          repliesToOurPosts: { perPost: 4 },
          teamReplies: { share: 1, medianMinutes: 30 },
        },
      },
    });
    const account = started.accounts[0];
    if (!account) throw new Error('no account');
    const credentials = new MemoryCredentialStore({
      [SECRET_REF]: {
        accessToken: account.accessToken,
        refreshToken: account.refreshToken,
        clientId: account.clientId,
      },
    });
    const channel = makeChannel({
      id: 'x-main',
      platform: 'x',
      handle: '@pulsecast',
      secretRef: SECRET_REF,
      apiBaseUrl: started.url,
    });
    const publisher = createXAdapter({ now: clock, sleep: noSleep });
    for (let i = 0; i < 3; i++) {
      await publisher.publish(makePost({ id: `p${i}`, text: `Post ${i}` }), channel, credentials, {
        idempotencyKey: `p${i}`,
      });
      now = new Date(now.getTime() + 12 * 3_600_000);
    }
    const { store, listening } = await brandListening(channel, ['x'], now.toISOString());
    const deps = {
      listening,
      channels: store,
      listeningFor: listeningRegistry({ now: clock, sleep: noSleep }),
      credentials,
      now: clock,
    };

    const run = await listenOnPlatform({ platform: 'x', channels: [channel.id] }, deps);

    expect(run.problems).toEqual([
      expect.stringMatching(/^search:acmecloud: X recent search is not available on this plan/),
    ]);
    const mentions = [...listening.mentions.values()];
    expect(mentions.length).toBeGreaterThan(3);
    expect(mentions.every((m) => m.inbound?.kind === 'reply' && m.replyTo !== undefined)).toBe(true);
    expect(mentions.every((m) => m.url.startsWith('https://x.com/user'))).toBe(true);
    expect(run.ownReplies).toBeGreaterThan(0);
    expect(run.ownReplies).toBeLessThanOrEqual(mentions.length);
    // The search position stays unset: the next run asks again (the plan may have changed).
    expect((await listening.getListenerCursors('x'))?.positions['search:acmecloud']).toBeUndefined();

    const again = await listenOnPlatform({ platform: 'x', channels: [channel.id] }, deps);
    expect(again).toMatchObject({ stored: 0, alreadyStored: 0, ownReplies: 0 });
    const mentionReads = started.requests.filter((r) => r.path.endsWith('/mentions'));
    expect(mentionReads.at(-1)?.query.since_id).toBeDefined();
  });
});
