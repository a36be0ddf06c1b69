import type { Platform } from '../domain/index.ts';
import { createBlueskyListening } from './bluesky-listening.ts';
import type { AdapterOptions } from './http.ts';
import { createLinkedInListening } from './linkedin/listening.ts';
import type { ListeningAdapter } from './listening.ts';
import { createMastodonListening } from './mastodon-listening.ts';
import { createFacebookListening, createInstagramListening } from './meta/comments-listening.ts';
import { createThreadsListening } from './meta/threads-listening.ts';
import { createXListening } from './x-listening.ts';

/** The listening adapters that are built; the other platforms say why not (LISTENING_CAPABILITIES). */
const LISTENING_FACTORIES: Readonly<
  Partial<Record<Platform, (options: AdapterOptions) => ListeningAdapter>>
> = {
  bluesky: createBlueskyListening,
  mastodon: createMastodonListening,
  x: createXListening,
  threads: createThreadsListening,
  linkedin: createLinkedInListening,
  facebook: createFacebookListening,
  instagram: createInstagramListening,
};

/** A resolver that builds each platform's listening adapter once (its sessions live as long). */
export function listeningRegistry(
  options: AdapterOptions = {},
): (platform: Platform) => ListeningAdapter | undefined {
  const built = new Map<Platform, ListeningAdapter | undefined>();
  return (platform) => {
    if (!built.has(platform)) built.set(platform, LISTENING_FACTORIES[platform]?.(options));
    return built.get(platform);
  };
}
