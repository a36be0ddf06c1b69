import type { Platform } from '../../shared/domain/index.ts';
import type { PlatformAdapter } from '../../shared/platforms/port.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { dep } from './runtime.ts';

// Part of the composition root (runtime.ts) that only the functions calling platforms bundle.

/** The platform adapter for a channel's platform. */
export function adapterFor(platform: Platform): PlatformAdapter {
  return dep('adapterFor', () => adapterRegistry())(platform);
}
