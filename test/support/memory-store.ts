import type { Campaign, Channel, Post, Upload } from '../../shared/domain/index.ts';
import type { EvaluationRecord } from '../../shared/store/campaigns.ts';
import type { RateLedger } from '../../shared/store/channels.ts';
import { ComposedStore } from '../../shared/store/composed.ts';
import type { Conversion, MetricSnapshot } from '../../shared/store/measurements.ts';
import type { DigestRecord, Mark } from '../../shared/store/notifications.ts';
import { MemoryAuditStore } from './memory-audits.ts';
import { WriteHook } from './memory-base.ts';
import { MemoryCampaignStore } from './memory-campaigns.ts';
import { MemoryChannelStore } from './memory-channels.ts';
import { MemoryHoldStore } from './memory-holds.ts';
import { MemoryMeasurementStore } from './memory-measurements.ts';
import { MemoryNotificationStore } from './memory-notifications.ts';
import { MemoryPostStore } from './memory-posts.ts';

/**
 * An in-memory Store with the DynamoDB adapters' semantics (conditional writes on version,
 * due work derived from state), for property tests that run thousands of scenarios: one
 * in-memory adapter per port, composed like DynamoStore. The real adapters are tested against
 * dynalite; these only have to agree with them. Each adapter's maps are exposed here for tests
 * to arrange and inspect.
 */
export class MemoryStore extends ComposedStore {
  readonly posts: Map<string, Post>;
  readonly uploads: Map<string, Upload>;
  readonly channels: Map<string, Channel>;
  readonly ledgers: Map<string, RateLedger>;
  readonly campaigns: Map<string, Campaign>;
  /** Evaluations by campaign, then by date. */
  readonly evaluations: Map<string, Map<string, EvaluationRecord>>;
  /** Snapshots by post, keyed `<dueAt>#<checkpoint>` like the table's sort key. */
  readonly snapshots: Map<string, Map<string, MetricSnapshot>>;
  readonly conversions: Map<string, Conversion>;
  readonly marks: Map<string, Mark>;
  readonly digests: Map<string, DigestRecord>;
  /** The crisis holds adapter (its `holds` map and its read count). */
  readonly holdStore: MemoryHoldStore;
  /** History audits and audience snapshots (the DynamoStore's `audits`). */
  readonly audits = new MemoryAuditStore();
  private readonly hook: WriteHook;

  constructor() {
    const hook = new WriteHook();
    const posts = new MemoryPostStore(hook);
    const channels = new MemoryChannelStore(hook);
    const campaigns = new MemoryCampaignStore(hook);
    const measurements = new MemoryMeasurementStore(hook);
    const notifications = new MemoryNotificationStore(hook);
    const holds = new MemoryHoldStore(hook);
    super({ posts, channels, campaigns, measurements, notifications, holds });
    this.holdStore = holds;
    this.hook = hook;
    this.posts = posts.posts;
    this.uploads = posts.uploads;
    this.channels = channels.channels;
    this.ledgers = channels.ledgers;
    this.campaigns = campaigns.campaigns;
    this.evaluations = campaigns.evaluations;
    this.snapshots = measurements.snapshots;
    this.conversions = measurements.conversions;
    this.marks = notifications.marks;
    this.digests = notifications.digests;
  }

  /** Called before every write; a test makes it throw to inject throttling. */
  get beforeWrite(): (what: string) => void {
    return this.hook.beforeWrite;
  }
  set beforeWrite(hook: (what: string) => void) {
    this.hook.beforeWrite = hook;
  }
}
