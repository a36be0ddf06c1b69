import type { Platform } from '../domain/index.ts';
import { type AccountReader, type AccountSpec, accountReader } from './account.ts';
import { BLUESKY_ACCOUNT } from './bluesky-account.ts';
import type { AdapterOptions } from './http.ts';
import { LINKEDIN_ACCOUNT } from './linkedin/linkedin-account.ts';
import { MASTODON_ACCOUNT } from './mastodon-account.ts';
import { FACEBOOK_ACCOUNT } from './meta/facebook-account.ts';
import { INSTAGRAM_ACCOUNT } from './meta/instagram-account.ts';
import { THREADS_ACCOUNT } from './meta/threads-account.ts';
import type { PlatformAdapter } from './port.ts';
import { X_ACCOUNT } from './x-account.ts';

/**
 * The account reader of every platform. What a platform cannot return is each reader's own
 * `limitations`, which the audit reports per channel rather than guessing.
 */
// biome-ignore lint/suspicious/noExplicitAny: each spec has its own credentials type; the reader hides it.
const ACCOUNT_SPECS: Record<Platform, AccountSpec<any>> = {
  x: X_ACCOUNT,
  bluesky: BLUESKY_ACCOUNT,
  mastodon: MASTODON_ACCOUNT,
  facebook: FACEBOOK_ACCOUNT,
  instagram: INSTAGRAM_ACCOUNT,
  linkedin: LINKEDIN_ACCOUNT,
  threads: THREADS_ACCOUNT,
};

/** A resolver from platform to account reader (built once each), beside the adapter registry. */
export function accountReaders(
  adapterFor: (platform: Platform) => PlatformAdapter,
  options: AdapterOptions = {},
): (platform: Platform) => AccountReader {
  const built = new Map<Platform, AccountReader>();
  return (platform) => {
    let reader = built.get(platform);
    if (!reader) {
      reader = accountReader(ACCOUNT_SPECS[platform], adapterFor(platform), options);
      built.set(platform, reader);
    }
    return reader;
  };
}
