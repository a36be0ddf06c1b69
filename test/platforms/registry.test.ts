import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../shared/domain/index.ts';
import { ADAPTER_FACTORIES, adapterRegistry, createAdapter } from '../../shared/platforms/registry.ts';

describe('adapter registry', () => {
  it('has an adapter for every platform, each saying which platform it is', () => {
    for (const platform of PLATFORMS) {
      expect(ADAPTER_FACTORIES[platform]).toBeTypeOf('function');
      expect(createAdapter(platform).platform).toBe(platform);
    }
  });

  it('builds each adapter once per registry, so its caches live as long as the container', () => {
    const resolve = adapterRegistry();

    expect(resolve('bluesky')).toBe(resolve('bluesky'));
    expect(resolve('x')).not.toBe(adapterRegistry()('x'));
  });
});
