import type { Platform } from '../domain/index.ts';
import { createBlueskyAdapter } from './bluesky.ts';
import type { AdapterOptions } from './http.ts';
import { createLinkedInAdapter } from './linkedin/adapter.ts';
import { createMastodonAdapter } from './mastodon.ts';
import { createFacebookAdapter } from './meta/facebook.ts';
import { createInstagramAdapter } from './meta/instagram.ts';
import { createThreadsAdapter } from './meta/threads.ts';
import type { PlatformAdapter } from './port.ts';
import { createXAdapter } from './x.ts';

/** Builds one platform's adapter; every adapter takes the same options. */
export type AdapterFactory = (options: AdapterOptions) => PlatformAdapter;

/** One factory per platform: adding a platform to the domain without an adapter fails type-checking. */
export const ADAPTER_FACTORIES: Readonly<Record<Platform, AdapterFactory>> = {
  x: createXAdapter,
  bluesky: createBlueskyAdapter,
  mastodon: createMastodonAdapter,
  linkedin: createLinkedInAdapter,
  facebook: createFacebookAdapter,
  instagram: createInstagramAdapter,
  threads: createThreadsAdapter,
};

/** A new adapter for a platform. */
export function createAdapter(platform: Platform, options: AdapterOptions = {}): PlatformAdapter {
  return ADAPTER_FACTORIES[platform](options);
}

/**
 * A resolver from platform to adapter that builds each adapter once and reuses it, so caches an
 * adapter keeps (Mastodon server limits, refreshes in flight, uploads still processing) live as
 * long as the container does.
 */
export function adapterRegistry(options: AdapterOptions = {}): (platform: Platform) => PlatformAdapter {
  const built = new Map<Platform, PlatformAdapter>();
  return (platform) => {
    let adapter = built.get(platform);
    if (!adapter) {
      adapter = createAdapter(platform, options);
      built.set(platform, adapter);
    }
    return adapter;
  };
}
