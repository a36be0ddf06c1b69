import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AudienceModel } from '../../local/simulators/audience.ts';
import { seedConfiguredHistory } from '../../local/simulators/history-accounts.ts';
import {
  DEFAULT_MASTODON_ACCOUNT,
  type MastodonSimulatorHandle,
  startMastodonSimulator,
} from '../../local/simulators/mastodon.ts';
import { IMPORTED_CHECKPOINT, importedPostId } from '../../shared/audit/import.ts';
import {
  canTransition,
  EDITABLE_STATUSES,
  POST_STATUSES,
  TERMINAL_STATUSES,
} from '../../shared/domain/index.ts';
import { accountReaders } from '../../shared/platforms/account-registry.ts';
import { adapterRegistry } from '../../shared/platforms/registry.ts';
import { dueWorkOf } from '../../shared/store/posts.ts';
import { MemoryCredentials, TestClock } from '../simulators/support.ts';
import { makeChannel } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { runAudit } from './support.ts';

const clock = new TestClock();
const CHANNEL = DEFAULT_MASTODON_ACCOUNT.channel;
const model = new AudienceModel({ channels: { [CHANNEL]: { history: { weeks: 12, postsPerWeek: 5 } } } });

describe('History import (Mastodon simulator)', () => {
  let sim: MastodonSimulatorHandle;
  let store: MemoryStore;
  let deps: Parameters<typeof runAudit>[0];
  const since = () => new Date(clock.now.getTime() - 90 * 86_400_000).toISOString();

  beforeEach(async () => {
    clock.reset();
    sim = await startMastodonSimulator({ clock: clock.clock, audience: model });
    const added = seedConfiguredHistory({ mastodon: sim }, model.config, clock.now);
    expect(added[CHANNEL]).toBe(60);
    store = new MemoryStore();
    store.channels.set(
      CHANNEL,
      makeChannel({
        id: CHANNEL,
        platform: 'mastodon',
        handle: '@pulsecast@sim.example',
        apiBaseUrl: sim.url,
        secretRef: `local/${CHANNEL}`,
      }),
    );
    const adapters = adapterRegistry({ now: clock.clock });
    deps = {
      store,
      audits: store.audits,
      readerFor: accountReaders(adapters, { now: clock.clock }),
      credentials: new MemoryCredentials({ accessToken: DEFAULT_MASTODON_ACCOUNT.accessToken }),
      now: clock.clock,
    };
  });
  afterEach(async () => {
    await sim.stop();
  });

  const imported = () => [...store.posts.values()].filter((post) => post.origin === 'imported');

  it('pages through more posts than one page holds and stores each once, with one snapshot', async () => {
    const { audit } = await runAudit(deps, { channel: CHANNEL, since: since() }, (s) =>
      clock.advance(s * 1000),
    );

    expect(audit).toMatchObject({ status: 'SUCCEEDED', imported: 60, alreadyKnown: 0, pages: 2 });
    const listing = sim.requests.filter((r) => r.path.endsWith('/statuses'));
    expect(listing).toHaveLength(2);
    expect(listing[1]?.query.max_id).toBeDefined();
    expect(imported()).toHaveLength(60);
    for (const post of imported()) {
      expect(post.status).toBe('IMPORTED');
      expect(store.snapshots.get(post.id)?.size).toBe(1);
      expect([...(store.snapshots.get(post.id)?.values() ?? [])][0]?.checkpoint).toBe(IMPORTED_CHECKPOINT);
    }
    expect(audit.limitations.join(' ')).toMatch(/no impressions, reach or clicks/);
  });

  it('is idempotent: a second run adds nothing and keeps one copy of each post', async () => {
    await runAudit(deps, { channel: CHANNEL, since: since() }, (s) => clock.advance(s * 1000));
    clock.advance(3_600_000);
    const { audit } = await runAudit(deps, { channel: CHANNEL, since: since() }, (s) =>
      clock.advance(s * 1000),
    );

    expect(audit).toMatchObject({ imported: 0, alreadyKnown: 60 });
    expect(imported()).toHaveLength(60);
    const platformIds = new Set(imported().map((p) => p.platformPostId));
    expect(platformIds.size).toBe(60);
    expect([...store.snapshots.values()].every((byKey) => byKey.size === 1)).toBe(true);
  });

  it('adds only the new posts on a later run', async () => {
    await runAudit(deps, { channel: CHANNEL, since: since() }, (s) => clock.advance(s * 1000));
    const newest = sim.posts.at(-1);
    sim.ctx.addPost({
      ...(newest as NonNullable<typeof newest>),
      id: '999999999999999999999',
      publishedAt: clock.now,
      text: 'a new post',
      data: {},
    });
    const { audit } = await runAudit(deps, { channel: CHANNEL, since: since() }, (s) =>
      clock.advance(s * 1000),
    );
    expect(audit).toMatchObject({ imported: 1, alreadyKnown: 60 });
    expect(store.posts.has(importedPostId(CHANNEL, '999999999999999999999'))).toBe(true);
  });

  it('honours a 429 by asking for the same page again after the wait, losing no page', async () => {
    // The second listing request (the second page) is refused once.
    let listings = 0;
    const original = sim.setFaults.bind(sim);
    const steps: number[] = [];
    const { audit, steps: states } = await runAudit(
      {
        ...deps,
        readerFor: (platform) => {
          const reader = deps.readerFor(platform);
          return {
            ...reader,
            listPosts: async (channel, credentials, request) => {
              listings += 1;
              if (listings === 2)
                original({
                  rateLimit: {
                    count: 1,
                    resetSeconds: 120,
                    path: `/api/v1/accounts/${DEFAULT_MASTODON_ACCOUNT.id}/statuses`,
                  },
                });
              return reader.listPosts(channel, credentials, request);
            },
          };
        },
      },
      { channel: CHANNEL, since: since() },
      (s) => {
        steps.push(s);
        clock.advance(s * 1000);
      },
    );

    expect(steps).toHaveLength(1);
    expect(steps[0]).toBeGreaterThanOrEqual(1);
    const waited = states.find((s) => s.waitSeconds);
    const after = states[states.indexOf(waited as (typeof states)[number]) + 1];
    expect(after?.pages).toBe(2);
    expect(audit).toMatchObject({ imported: 60, rateLimitWaits: 1, pages: 2 });
    expect(imported()).toHaveLength(60);
  });
});

describe('Imported posts', () => {
  it('have a status nothing leads into or out of: never edited, due, claimed or published', () => {
    expect(TERMINAL_STATUSES).toContain('IMPORTED');
    expect(EDITABLE_STATUSES).not.toContain('IMPORTED');
    for (const status of POST_STATUSES) {
      expect(canTransition('IMPORTED', status)).toBe(false);
      expect(canTransition(status, 'IMPORTED')).toBe(false);
    }
  });

  it('are never in the due index', () => {
    const post = {
      ...makeImported(),
      nextMetricsAt: '2026-01-01T00:00:00.000Z',
      metricsStatus: 'collecting' as const,
    };
    expect(dueWorkOf(post)).toBeUndefined();
  });
});

function makeImported() {
  return {
    id: 'imp-1',
    status: 'IMPORTED' as const,
    origin: 'imported' as const,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    channel: 'mastodon-main',
    scheduledAt: '2025-12-01T09:00:00.000Z',
    timezone: 'UTC',
    text: 'old post',
    media: [],
    tags: [],
    platformPostId: '1',
    publishedAt: '2025-12-01T09:00:00.000Z',
  };
}
