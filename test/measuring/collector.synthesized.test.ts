import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Post } from '../../shared/domain/index.ts';
import {
  checkpointDueAt,
  DEFAULT_CADENCE,
  earlyToleranceMs,
  nextCheckpointIndex,
} from '../../shared/measuring/cadence.ts';
import { metricsLedgerKey } from '../../shared/measuring/collect.ts';
import { unchanged } from '../../shared/measuring/snapshot.ts';
import type { MetricSnapshot } from '../../shared/store/measurements.ts';
import { makePost } from '../support/fixtures.ts';
import { DAY, HOUR, MINUTE } from './support/collector-driver.ts';
import { type LocalCollector, startLocalCollector } from './support/local-collector.ts';

const T0 = Date.parse('2026-12-07T08:00:00.000Z'); // a Monday morning
const SWEEP = 5 * MINUTE;
const PLATFORMS = ['x', 'bluesky', 'mastodon', 'linkedin'] as const;
let local: LocalCollector;

beforeAll(async () => {
  local = await startLocalCollector({ start: T0 });
  local.runner.scheduleEvery(SWEEP, {}, { startMs: T0 + SWEEP });
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

/** A post due now on a platform's channel, as the Dispatcher would hand it to the adapter. */
function draft(id: string, platform: (typeof PLATFORMS)[number], i: number): Post {
  const at = local.clock.now().toISOString();
  return makePost({
    id,
    channel: local.channels[platform].channel.id,
    scheduledAt: at,
    text: `Winter sale, day ${i}: ${id} #sale${i % 3 === 0 ? ' #video' : ''}`,
    link: `https://shop.example/winter?utm_source=${platform}&utm_medium=social&utm_content=${id}`,
    status: 'PUBLISHING',
    createdAt: at,
    updatedAt: at,
  });
}

/**
 * Checks a post's history against the cadence, replayed over its own snapshots: every checkpoint
 * the cadence asked for is there, once, in order, on time; none is left behind at `end`.
 */
function checkHistory(
  post: Post,
  snapshots: MetricSnapshot[],
  end: number,
  maxLateMs = SWEEP,
): { skippedAsStable: number } {
  const publishedAt = post.publishedAt as string;
  let expected: number | undefined = 0;
  let stable = 0;
  let skippedAsStable = 0;
  let previous: MetricSnapshot | undefined;
  for (const snapshot of snapshots) {
    expect(expected, `${post.id}: a snapshot after the last checkpoint`).toBeDefined();
    const checkpoint = DEFAULT_CADENCE.checkpoints[expected as number];
    expect(snapshot.checkpoint, `${post.id}`).toBe(checkpoint?.name);
    expect(snapshot.covers, `${post.id} ${snapshot.checkpoint}`).toBeUndefined();
    const dueAt = Date.parse(checkpointDueAt(DEFAULT_CADENCE, publishedAt, expected as number));
    const at = Date.parse(snapshot.collectedAt);
    expect(at - dueAt, `${post.id} ${snapshot.checkpoint} early`).toBeGreaterThanOrEqual(
      -earlyToleranceMs(DEFAULT_CADENCE, expected as number),
    );
    expect(at - dueAt, `${post.id} ${snapshot.checkpoint} late`).toBeLessThan(maxLateMs);
    stable = unchanged(snapshot.metrics, previous?.metrics) ? stable + 1 : 0;
    const next = nextCheckpointIndex(DEFAULT_CADENCE, expected as number, stable);
    if (next !== undefined) skippedAsStable += next - (expected as number) - 1;
    expected = next;
    previous = snapshot;
  }
  if (expected !== undefined) {
    const nextDue = Date.parse(checkpointDueAt(DEFAULT_CADENCE, publishedAt, expected));
    expect(
      nextDue,
      `${post.id}: checkpoint ${DEFAULT_CADENCE.checkpoints[expected]?.name} was due and not taken`,
    ).toBeGreaterThan(end - SWEEP);
  }
  return { skippedAsStable };
}

describe('the synthesized Collector, run locally against dynalite and the platform simulators', () => {
  it('snapshots 200 posts on 4 platforms at every due checkpoint over 8 days: batched, none skipped, none twice', async () => {
    // Five waves of 40 posts (10 per platform), each wave's posts a few seconds apart.
    const waves = [0, 5 * HOUR, 11 * HOUR, 26 * HOUR, 50 * HOUR];
    const posts: Post[] = [];
    for (const [w, offset] of waves.entries()) {
      for (let i = 0; i < 40; i++) {
        await local.clock.advanceTo(T0 + offset + i * 4_500);
        const platform = PLATFORMS[i % 4] as (typeof PLATFORMS)[number];
        posts.push(await local.publish(draft(`w${w}-${platform}-${i}`, platform, i)));
      }
    }
    const end = T0 + 8 * DAY;
    await local.clock.advanceTo(end);

    expect(local.runner.executions.filter((e) => e.status !== 'SUCCEEDED')).toEqual([]);
    let snapshotCount = 0;
    let skippedAsStable = 0;
    for (const post of posts) {
      const snapshots = await local.store.listSnapshots(post.id);
      expect(new Set(snapshots.map((s) => s.checkpoint)).size, `${post.id} duplicates`).toBe(
        snapshots.length,
      );
      skippedAsStable += checkHistory(post, snapshots, end).skippedAsStable;
      snapshotCount += snapshots.length;
    }
    // Every snapshot announced once (by event id), with deltas.
    const announced = new Set(
      local.events.events.filter((e) => e.type === 'Post Metrics Collected').map((e) => e.detail.eventId),
    );
    expect(announced.size).toBe(snapshotCount);

    // The history is the platform's: X's likes at each reading are the simulator's at that moment.
    const xPost = posts.find((p) => p.channel === 'x-main') as Post;
    for (const snapshot of await local.store.listSnapshots(xPost.id)) {
      const truth = local.channels.x.sim.engagementOf(
        xPost.platformPostId as string,
        new Date(snapshot.collectedAt),
      );
      expect(snapshot.metrics.likes).toBe(truth?.likes);
      expect(snapshot.engagementRateBasis).toBe('impressions');
    }

    const requests = Object.fromEntries(PLATFORMS.map((p) => [p, local.metricsRequests(p)]));
    const total = Object.values(requests).reduce((a, b) => a + b, 0);
    console.info(
      JSON.stringify({
        posts: posts.length,
        snapshots: snapshotCount,
        skippedAsStable,
        metricsRequests: requests,
        totalRequests: total,
        snapshotsPerRequest: Math.round((snapshotCount / total) * 10) / 10,
        executions: local.runner.executions.length,
      }),
    );
    expect(snapshotCount).toBeGreaterThan(1_500);
    // Far fewer than one request per post per checkpoint.
    expect(total * 5).toBeLessThan(snapshotCount);
  }, 600_000);

  it('delays a channel whose platform answers 429 or 5xx, loses nothing, and stops reading posts deleted on the platform', async () => {
    const start = local.clock.nowMs();
    const posts: Post[] = [];
    for (let i = 0; i < 24; i++) {
      await local.clock.advanceTo(start + i * 2_000);
      const platform = (['x', 'bluesky', 'mastodon'] as const)[i % 3] as 'x' | 'bluesky' | 'mastodon';
      posts.push(await local.publish(draft(`f-${platform}-${i}`, platform, i)));
    }
    const published = posts[0]?.publishedAt as string;
    // Just before the 1 h checkpoint: X will answer 429 (reset in 15 minutes), Mastodon 503 twice.
    await local.clock.advanceTo(start + HOUR - 2 * MINUTE);
    local.channels.x.sim.setFaults({ rateLimit: { count: 1, resetSeconds: 900, path: '/2/tweets' } });
    local.channels.mastodon.sim.setFaults({
      serverError: { count: 2, status: 503, path: '/api/v1/statuses' },
    });
    await local.clock.advanceTo(start + HOUR + 10 * MINUTE);

    const x = posts.filter((p) => p.channel === 'x-main');
    const blocked = await local.store.getRateLedger(metricsLedgerKey('x-main'));
    expect(blocked?.blockedUntil).toBeDefined();
    for (const post of x) {
      const stored = await local.store.getPost(post.id);
      expect(stored).toMatchObject({ metricsCheckpoint: '1h', nextMetricsAt: blocked?.blockedUntil });
      expect(await local.store.listSnapshots(post.id)).toEqual([]);
    }
    // Publishing's own ledger is untouched: the Collector's 429 does not hold back posts.
    expect((await local.store.getRateLedger('x-main'))?.blockedUntil).toBeUndefined();

    // Bluesky: two posts are deleted by their author after their first reading.
    const bluesky = posts.filter((p) => p.channel === 'bsky-main');
    const deleted = bluesky.slice(0, 2);
    for (const post of deleted) {
      expect((await local.store.listSnapshots(post.id)).map((s) => s.checkpoint)).toEqual(['1h']);
      local.channels.bluesky.sim.deletePost(post.platformPostId as string);
    }
    const deletedAt = local.clock.now().toISOString();

    const end = start + 30 * HOUR;
    await local.clock.advanceTo(end);

    expect(local.runner.executions.filter((e) => e.status !== 'SUCCEEDED')).toEqual([]);
    for (const post of posts) {
      const snapshots = await local.store.listSnapshots(post.id);
      if (deleted.includes(post)) continue;
      // Late by the platform's reset or the backoff (at most 20 minutes here), never missing.
      checkHistory(post, snapshots, end, 20 * MINUTE);
      expect(snapshots.map((s) => s.checkpoint)).toContain('24h');
    }
    for (const post of x) {
      const [first] = await local.store.listSnapshots(post.id);
      expect(first).toMatchObject({ checkpoint: '1h' });
      expect(Date.parse(first?.collectedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(blocked?.blockedUntil ?? ''),
      );
    }
    for (const post of posts.filter((p) => p.channel === 'mastodon-main')) {
      const [first] = await local.store.listSnapshots(post.id);
      // Two failures back off 5 and 10 minutes: the 1 h reading comes about 15 minutes late.
      expect(first).toMatchObject({ checkpoint: '1h' });
      expect(Date.parse(first?.collectedAt ?? '') - Date.parse(published)).toBeGreaterThan(
        HOUR + 10 * MINUTE,
      );
    }
    for (const post of deleted) {
      expect(await local.store.getPost(post.id)).toMatchObject({ metricsStatus: 'deleted' });
      expect((await local.store.getPost(post.id))?.nextMetricsAt).toBeUndefined();
      const asked = local.channels.bluesky.sim.requests.filter(
        (r) =>
          r.path === '/xrpc/app.bsky.feed.getPosts' &&
          r.at > deletedAt &&
          [r.query.uris].flat().includes(post.platformPostId as string),
      );
      expect(asked, `${post.id} asked for after it was found deleted`).toHaveLength(1);
    }
  }, 600_000);
});
