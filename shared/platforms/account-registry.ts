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
 * The account readers by platform. A platform without one cannot have its history imported or
 * its followers read yet: the audit says so for its channels rather than guessing.
 */
// biome-ignore lint/suspicious/noExplicitAny: each spec has its own credentials type; the reader hides it.
const ACCOUNT_SPECS: Partial<Record<Platform, AccountSpec<any>>> = {
  x: X_ACCOUNT,
  bluesky: BLUESKY_ACCOUNT,
  mastodon: MASTODON_ACCOUNT,
  facebook: FACEBOOK_ACCOUNT,
  instagram: INSTAGRAM_ACCOUNT,
  linkedin: LINKEDIN_ACCOUNT,
  threads: THREADS_ACCOUNT,
};

/** Why a platform has no reader, for the per-channel report. */
export function noAccountReader(platform: Platform): string {
  return `reading an account's past posts and followers is not implemented for ${platform} yet`;
}

/** A resolver from platform to account reader (built once each), beside the adapter registry. */
export function accountReaders(
  adapterFor: (platform: Platform) => PlatformAdapter,
  options: AdapterOptions = {},
): (platform: Platform) => AccountReader | undefined {
  const built = new Map<Platform, AccountReader>();
  return (platform) => {
    const spec = ACCOUNT_SPECS[platform];
    if (!spec) return undefined;
    let reader = built.get(platform);
    if (!reader) {
      reader = accountReader(spec, adapterFor(platform), options);
      built.set(platform, reader);
    }
    return reader;
  };
}
