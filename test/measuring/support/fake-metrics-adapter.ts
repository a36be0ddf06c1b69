import type { NormalisedMetrics, Platform } from '../../../shared/domain/index.ts';
import { type MetricsReading, type PlatformAdapter, PlatformError } from '../../../shared/platforms/port.ts';

export type MetricsFault = 'rate-limit' | 'server-error' | 'auth' | 'bug';

/**
 * A platform whose metrics endpoint answers from a function of (post, time), records every
 * request, and fails on demand: the next requests take their fault from `faults`.
 */
export class FakeMetricsAdapter implements PlatformAdapter {
  readonly capabilities;
  readonly requests: { postIds: string[]; at: string }[] = [];
  readonly faults: MetricsFault[] = [];
  readonly deleted = new Set<string>();

  constructor(
    readonly platform: Platform,
    private readonly now: () => Date,
    private readonly metricsOf: (postId: string, now: Date) => NormalisedMetrics = (_id, now) => ({
      impressions: Math.floor(now.getTime() / 60_000) % 100_000,
      reach: Math.floor(now.getTime() / 120_000) % 100_000,
      likes: 3,
      engagements: 3,
    }),
    batchSize = 100,
  ) {
    this.capabilities = { lookup: false, metricsBatchSize: batchSize };
  }

  validate() {
    return [];
  }

  async publish(): Promise<never> {
    throw new Error('not a publishing fake');
  }

  async lookup(): Promise<undefined> {
    return undefined;
  }

  async checkCredentials() {
    return { status: 'ok' as const, message: 'a fake has no credentials' };
  }

  async fetchMetrics(posts: readonly { id: string; platformPostId: string }[]): Promise<MetricsReading[]> {
    const now = this.now();
    this.requests.push({ postIds: posts.map((p) => p.id), at: now.toISOString() });
    const fault = this.faults.shift();
    if (fault === 'rate-limit') {
      throw new PlatformError('rate-limited', 'Fake answered 429', { status: 429, retryAfterSeconds: 600 });
    }
    if (fault === 'server-error') throw new PlatformError('ambiguous', 'Fake answered 503', { status: 503 });
    if (fault === 'auth') throw new PlatformError('auth', 'Fake answered 401', { status: 401 });
    if (fault === 'bug') throw new TypeError("Cannot read properties of undefined (reading 'data')");
    return posts.map((post) =>
      this.deleted.has(post.id)
        ? { postId: post.id, platformPostId: post.platformPostId, status: 'deleted', metrics: {}, raw: null }
        : {
            postId: post.id,
            platformPostId: post.platformPostId,
            status: 'ok',
            metrics: this.metricsOf(post.id, now),
            raw: { id: post.platformPostId, at: now.toISOString() },
          },
    );
  }
}
