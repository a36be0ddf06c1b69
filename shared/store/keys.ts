/**
 * The single table's key schema, shared by the DynamoDB adapter and the CDK data construct so
 * that the two cannot drift apart.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
} as const;

/** GSI listing entities of one type in order (posts by scheduled time, channels by id). */
export const LIST_INDEX = { name: 'byType', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;

/**
 * The due index: sparse, holding only items with work due (a post waiting to be published, a
 * post whose next metrics checkpoint is coming). `duePk` names the kind of work, `dueSk` starts
 * with the ISO instant the work is due, so a sweep is one Query with `dueSk <= now + window`.
 */
export const DUE_INDEX = { name: 'due', partitionKey: 'duePk', sortKey: 'dueSk' } as const;

export const DUE_KINDS = {
  /** SCHEDULED posts, at `scheduledAt`. */
  publish: 'PUBLISH',
  /** QUEUED/PUBLISHING posts, at `leaseUntil`: a claim whose Dispatcher died shows up here. */
  lease: 'LEASE',
  /** UNKNOWN posts to look up on the platform, at `reconcileAt`. */
  reconcile: 'RECONCILE',
  metrics: 'METRICS',
  /**
   * HELD posts, at `heldAt`: not work for a sweep but for a person. The entry lets the digest
   * list the held posts with one Query instead of filtering every post ever written.
   */
  held: 'HELD',
  /**
   * PENDING_APPROVAL posts, at their next review deadline: a request or reminder to send, or
   * their scheduled time (then they are missed). Never PUBLISH: no Dispatcher sees them.
   */
  approval: 'APPROVAL',
} as const;
export type DueKind = (typeof DUE_KINDS)[keyof typeof DUE_KINDS];
