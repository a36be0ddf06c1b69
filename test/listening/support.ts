import type { ConversationPost } from '../../local/simulators/conversation.ts';
import type { Channel, Platform } from '../../shared/domain/index.ts';
import type { Mention } from '../../shared/listening/model.ts';
import { sentimentOf } from '../../shared/listening/sentiment.ts';
import { type ListeningSettings, subjectsIn, subjectsOf } from '../../shared/listening/settings.ts';
import { MemoryListeningStore } from '../support/memory-listening.ts';
import { MemoryStore } from '../support/memory-store.ts';

/** A simulated post as the Listener stores it on Bluesky: subjects from its text, scored. */
export function mentionOf(
  post: Pick<ConversationPost, 'id' | 'author' | 'text' | 'createdAt'>,
  settings: ListeningSettings,
  extra: Partial<Mention> = {},
): Mention {
  return {
    platform: 'bluesky',
    id: post.id,
    url: `https://bsky.app/profile/${post.author}/post/${post.id}`,
    author: { handle: post.author },
    createdAt: post.createdAt.toISOString(),
    text: post.text,
    subjects: subjectsIn(post.text, subjectsOf(settings)),
    sentiment: sentimentOf(post.text),
    collectedAt: post.createdAt.toISOString(),
    ...extra,
  };
}

/** A store with one channel, and listening for the brand `acmecloud` on `platforms` (no competitors). */
export async function brandListening(channel: Channel, platforms: Platform[], now: string) {
  const store = new MemoryStore();
  store.channels.set(channel.id, channel);
  const listening = new MemoryListeningStore();
  await listening.putListeningSettings(
    {
      brand: { name: 'Acme', terms: ['acmecloud'], handles: [] },
      competitors: [],
      platforms,
      autoHold: false,
      channels: {},
    },
    now,
    undefined,
  );
  return { store, listening };
}
