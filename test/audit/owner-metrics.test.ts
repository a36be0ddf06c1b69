import { afterEach, describe, expect, it } from 'vitest';
import { AudienceModel } from '../../local/simulators/audience.ts';
import { defaultAccountSecrets } from '../../local/simulators/fleet.ts';
import { seedConfiguredHistory } from '../../local/simulators/history-accounts.ts';
import type { SimulatorHandle } from '../../local/simulators/sim-types.ts';
import { DEFAULT_X_ACCOUNT, startXSimulator } from '../../local/simulators/x.ts';
import { accountReaders } from '../../shared/platforms/account-registry.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { MemoryCredentials, TestClock } from '../simulators/support.ts';
import { makeChannel } from '../support/fixtures.ts';

const clock = new TestClock();
const readerFor = accountReaders(adapterRegistry({ now: clock.clock }), { now: clock.clock });
let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
});

describe('X history import: the owner’s metrics', () => {
  it('carries link clicks for imported posts younger than 30 days, public counts for older ones', async () => {
    clock.reset();
    const model = new AudienceModel({ channels: { 'x-main': { history: { weeks: 8, postsPerWeek: 5 } } } });
    const x = await startXSimulator({ clock: clock.clock, audience: model });
    sim = x;
    seedConfiguredHistory({ x }, model.config, clock.now);
    const id = DEFAULT_X_ACCOUNT.channel;
    const channel = makeChannel({ id, platform: 'x', apiBaseUrl: x.url, secretRef: `local/${id}` });
    const store = new MemoryCredentials({ ...(defaultAccountSecrets('local/')[`local/${id}`] ?? {}) });
    const since = new Date(clock.now.getTime() - 70 * 86_400_000).toISOString();

    const { posts } = await readerFor('x').listPosts(channel, store, { since });

    const age = (p: { publishedAt: string }) =>
      (clock.now.getTime() - Date.parse(p.publishedAt)) / 86_400_000;
    const youngWithLink = posts.filter((p) => age(p) < 28 && p.link);
    const old = posts.filter((p) => age(p) > 31);
    expect(youngWithLink.length).toBeGreaterThan(2);
    expect(old.length).toBeGreaterThan(10);
    for (const post of youngWithLink) expect(post.metrics.clicks, post.publishedAt).toBeGreaterThanOrEqual(0);
    for (const post of old) expect(post.metrics.clicks, post.publishedAt).toBeUndefined();
  });
});
