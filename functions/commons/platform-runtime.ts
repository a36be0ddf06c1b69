import type { Platform } from '../../shared/domain/index.ts';
import type { AccountReader } from '../../shared/platforms/account.ts';
import { accountReaders } from '../../shared/platforms/account-registry.ts';
import type { ListeningAdapter } from '../../shared/platforms/listening.ts';
import { listeningRegistry } from '../../shared/platforms/listening-registry.ts';
import type { PlatformAdapter } from '../../shared/platforms/port.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { dep, now } from './runtime.ts';

// Part of the composition root (runtime.ts) that only the functions calling platforms bundle.

/** The platform adapter for a channel's platform. */
export function adapterFor(platform: Platform): PlatformAdapter {
  return dep('adapterFor', () => adapterRegistry())(platform);
}

/**
 * The listening adapter of a platform (undefined where listening is not built), on the runtime's
 * clock: its read windows and throttle waits are in the time the Listener runs in.
 */
export function listeningFor(platform: Platform): ListeningAdapter | undefined {
  return dep('listeningFor', () => listeningRegistry({ now }))(platform);
}

/** The account reader for a channel's platform. */
export function accountReaderFor(platform: Platform): AccountReader {
  return dep('accountReaderFor', () => accountReaders(adapterFor, { now }))(platform);
}
