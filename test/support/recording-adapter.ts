import type { Channel, Platform, Post } from '../../shared/domain/index.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  PlatformError,
  type PublishedRef,
} from '../../shared/platforms/port.ts';

/** What the fake platform does with one publish call. */
export type CallFault =
  | 'ok'
  | 'reject'
  | 'rate-limit'
  | 'unavailable'
  | 'auth'
  /** accepted, then the answer is lost (timeout / reset / 5xx after sending) */
  | 'accepted-then-timeout'
  /** not accepted, but the answer is lost all the same */
  | 'lost-then-timeout'
  /** accepted, then the process dies before the adapter returns */
  | 'accepted-then-crash'
  /** the process dies before the request leaves */
  | 'crash-before-send';

export class CrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrashError';
  }
}

/**
 * A platform that records every post it accepted — the ground truth for "published at most
 * once". Faults are taken from a queue (or a function) per call.
 */
export class RecordingAdapter implements PlatformAdapter {
  readonly platform: Platform;
  readonly capabilities = { lookup: true, metricsBatchSize: 100 };
  /** postId → how many times the platform accepted it. */
  readonly accepted = new Map<string, number>();
  readonly acceptedAt = new Map<string, Date>();
  calls = 0;
  /** Set when a simulated process death happened during a call (the driver drops the step's outcomes). */
  crashed = false;

  constructor(
    private readonly nextFault: (post: Post) => CallFault = () => 'ok',
    private readonly now: () => Date = () => new Date(),
    platform: Platform = 'x',
  ) {
    this.platform = platform;
  }

  validate() {
    return [];
  }

  async checkCredentials() {
    return { status: 'ok' as const, message: 'a fake has no credentials' };
  }

  async publish(post: Post, _channel: Channel, _credentials: CredentialStore): Promise<PublishedRef> {
    this.calls++;
    const fault = this.nextFault(post);
    const accept = () => {
      this.accepted.set(post.id, (this.accepted.get(post.id) ?? 0) + 1);
      this.acceptedAt.set(post.id, this.now());
    };
    switch (fault) {
      case 'ok':
        accept();
        return this.ref(post);
      case 'reject':
        throw new PlatformError('rejected', 'the platform refused the post (400)', { status: 400 });
      case 'rate-limit':
        throw new PlatformError('rate-limited', 'too many requests (429)', {
          status: 429,
          retryAfterSeconds: 90,
        });
      case 'unavailable':
        throw new PlatformError('unavailable', 'connection refused');
      case 'auth':
        throw new PlatformError('auth', 'token expired (401)', { status: 401 });
      case 'accepted-then-timeout':
        accept();
        throw new PlatformError('ambiguous', 'timed out after sending');
      case 'lost-then-timeout':
        throw new PlatformError('ambiguous', 'timed out after sending');
      case 'accepted-then-crash':
        accept();
        this.crashed = true;
        throw new CrashError('process died after the platform accepted the post');
      case 'crash-before-send':
        this.crashed = true;
        throw new CrashError('process died before sending');
    }
  }

  async lookup(post: Post): Promise<PublishedRef | undefined> {
    return this.accepted.has(post.id) ? this.ref(post) : undefined;
  }

  async fetchMetrics(_posts: Parameters<PlatformAdapter['fetchMetrics']>[0]): Promise<MetricsReading[]> {
    return [];
  }

  private ref(post: Post): PublishedRef {
    return { platformPostId: `rec-${post.id}`, platformUrl: `https://platform.example/${post.id}` };
  }
}
