import type { Platform, Post } from '../../../shared/domain/index.ts';
import { DEFAULT_CADENCE } from '../../../shared/measuring/cadence.ts';
import {
  type ChannelSummary,
  type CollectDeps,
  collectChannel,
  planCollection,
} from '../../../shared/measuring/collect.ts';
import type { PlatformAdapter } from '../../../shared/platforms/port.ts';
import { noCredentials, RecordingEvents, TestClock } from '../../support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../../support/fixtures.ts';
import { MemoryStore } from '../../support/memory-store.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * The Collector's two steps run in the order the state machine runs them (CollectDue, then one
 * FetchAndStore per channel), against the in-memory store: the synthesized state machine itself
 * is exercised by collector.synthesized.test.ts; this lets domain tests run weeks in seconds.
 */
export class CollectorDriver {
  readonly store = new MemoryStore();
  readonly events = new RecordingEvents();
  readonly clock: TestClock;
  readonly adapters = new Map<Platform, PlatformAdapter>();

  constructor(start: string) {
    this.clock = new TestClock(Date.parse(start));
  }

  get deps(): CollectDeps {
    return {
      store: this.store,
      events: this.events,
      credentials: noCredentials,
      now: this.clock.now,
      cadence: DEFAULT_CADENCE,
      adapterFor: (platform) => {
        const adapter = this.adapters.get(platform);
        if (!adapter) throw new Error(`no fake adapter for ${platform}`);
        return adapter;
      },
    };
  }

  async addChannel(id: string, platform: Platform): Promise<void> {
    await this.store.putChannel(makeChannel({ id, platform, secretRef: `pulsecast/${id}` }));
  }

  /** A post as the Dispatcher leaves it once published. */
  async publish(id: string, channel: string, publishedAt: string, extra: Partial<Post> = {}): Promise<Post> {
    const post = makePost({
      id,
      channel,
      scheduledAt: publishedAt,
      status: 'PUBLISHED',
      platformPostId: `pp-${id}`,
      platformUrl: `https://platform.example/${id}`,
      publishedAt,
      version: 4,
      ...extra,
    });
    await this.store.createPosts([post]);
    return post;
  }

  /** One Collector execution at the current time. */
  async sweep(): Promise<ChannelSummary[]> {
    const plan = await planCollection(this.deps);
    const summaries: ChannelSummary[] = [];
    for (const work of plan.channels) summaries.push(await collectChannel(work, this.deps));
    return summaries;
  }

  /** Sweeps every `everyMs` until `untilMs` (the first sweep one interval from now). */
  async runUntil(untilMs: number, everyMs = 5 * MINUTE): Promise<void> {
    while (this.clock.ms + everyMs <= untilMs) {
      this.clock.ms += everyMs;
      await this.sweep();
    }
  }

  async snapshots(postId: string) {
    return this.store.listSnapshots(postId);
  }

  async post(postId: string): Promise<Post> {
    const post = await this.store.getPost(postId);
    if (!post) throw new Error(`no post ${postId}`);
    return post;
  }
}
