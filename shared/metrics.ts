/**
 * The custom metrics Pulsecast emits, defined once: the handlers (functions/commons/
 * observability.ts) emit them and the alarms and the dashboard (infra/constructs/observability.ts)
 * read them. Each carries the dimension `service` (the stack's name); `NotificationsSent` also
 * `channel` ({@link NOTIFICATION_CHANNELS}).
 */
export const METRIC = {
  /** Record step: posts it made (or found) PUBLISHED. */
  postsPublished: 'PostsPublished',
  /** Record step: posts that ended FAILED. */
  postsFailed: 'PostsFailed',
  /** Record and Recover steps: posts whose outcome is UNKNOWN (a person may have to decide). */
  postsUnknown: 'PostsUnknown',
  /** Record step: posts moved to a later time (rate limits, a platform that was down). */
  postsRescheduled: 'PostsRescheduled',
  /** Record step, per published post: seconds between `scheduledAt` and `publishedAt`. */
  publishLatenessSeconds: 'PublishLatenessSeconds',
  /** Claim step: posts claimed for publishing. */
  postsClaimed: 'PostsClaimed',
  /** Recover step: claims of a Dispatcher that died, released to be claimed again. */
  postsRecovered: 'PostsRecovered',
  /** Recover step: UNKNOWN posts found on their platform and made PUBLISHED. */
  postsReconciled: 'PostsReconciled',
  /** Collector, FetchAndStore step: posts whose metrics reading it recorded. */
  metricsCollected: 'MetricsCollected',
  /** Listener, Listen step: mentions it stored (new ones only). */
  mentionsCollected: 'MentionsCollected',
  /** Notifier: messages sent (a split Slack message counts each part), per `channel`. */
  notificationsSent: 'NotificationsSent',
} as const;

/** The second dimension of `NotificationsSent`: where the notifier sent. */
export const NOTIFICATION_CHANNEL_DIMENSION = 'channel';
export const NOTIFICATION_CHANNELS = ['slack', 'email'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
