import { describe, expect, it } from 'vitest';
import { listenOnPlatform } from '../../shared/listening/collect.ts';
import { responsesFor } from '../../shared/listening/service.ts';
import {
  type FoundPost,
  type InboundPost,
  LISTENING_CAPABILITIES,
  type ListeningAdapter,
} from '../../shared/platforms/listening.ts';
import { PlatformError } from '../../shared/platforms/port.ts';
import { MemoryCredentialStore } from '../platforms/helpers.ts';
import { makeChannel } from '../support/fixtures.ts';
import { brandListening } from './support.ts';

const NOW = new Date('2027-03-08T09:00:00.000Z');
const REPLY: FoundPost = {
  id: '200',
  url: 'https://example.social/@b/200',
  author: { handle: 'b@example.social' },
  createdAt: '2027-03-08T08:00:00.000Z',
  text: 'is acmecloud down for anyone else?',
  replyTo: '100',
  threadRoot: '100',
};

/** One platform whose inbound read fails until `inboundUp`, and whose search finds REPLY. */
function platform(state: { inboundUp: boolean }): ListeningAdapter {
  return {
    platform: 'mastodon',
    capabilities: LISTENING_CAPABILITIES.mastodon,
    search: async () => ({ posts: [REPLY], position: REPLY.id }),
    inbound: async () => {
      if (!state.inboundUp) throw new PlatformError('unavailable', 'notifications answered 503');
      return { posts: [{ ...REPLY, kind: 'reply' } satisfies InboundPost], position: 'n1' };
    },
    ownReplies: async () => ({
      posts: [
        {
          id: '300',
          url: '',
          author: { handle: 'acme' },
          createdAt: '2027-03-08T08:30:00.000Z',
          text: 'Looking into it',
          replyTo: REPLY.id,
        },
      ],
    }),
  };
}

describe('a mention stored by a search before the inbound read saw it', () => {
  it('gains the inbound flag when the inbound read returns it, once, and counts in the response figures', async () => {
    const state = { inboundUp: false };
    const channel = makeChannel({
      id: 'mastodon-main',
      platform: 'mastodon',
      handle: '@acme@example.social',
    });
    const { store, listening } = await brandListening(channel, ['mastodon'], NOW.toISOString());
    const adapter = platform(state);
    const deps = {
      listening,
      channels: store,
      listeningFor: () => adapter,
      credentials: new MemoryCredentialStore({}),
      now: () => NOW,
    };
    const work = { platform: 'mastodon' as const, channels: [channel.id] };
    const figures = () =>
      responsesFor({ from: '2027-03-08T00:00:00.000Z', to: NOW.toISOString() }, listening, NOW);

    const first = await listenOnPlatform(work, deps);
    expect(first).toMatchObject({ stored: 1, markedInbound: 0 });
    expect(first.problems).toHaveLength(1);
    expect(listening.mentions.get('mastodon#200')?.inbound).toBeUndefined();
    expect(await figures()).toMatchObject({ inbound: 0, answered: 0 });

    state.inboundUp = true;
    const second = await listenOnPlatform(work, deps);
    const third = await listenOnPlatform(work, deps);

    expect(second).toMatchObject({ stored: 0, markedInbound: 1, problems: [] });
    expect(third).toMatchObject({ stored: 0, markedInbound: 0 });
    expect(listening.mentions.get('mastodon#200')).toMatchObject({
      subjects: ['brand'],
      inbound: { channel: 'mastodon-main', kind: 'reply' },
      threadRoot: '100',
    });
    expect(listening.mentions.size).toBe(1);
    expect(await figures()).toMatchObject({ inbound: 1, answered: 1, medianMinutes: 30 });
  });
});
