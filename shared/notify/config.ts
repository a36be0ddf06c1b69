import * as z from 'zod';
import { GoalStatus, IanaTimezone, Slug } from '../domain/index.ts';
import { EVENT_TYPES, type EventType, type PulsecastEvent } from '../events.ts';

/**
 * Who hears about what, and when (docs/architecture.md#notifications-and-digests, issue 7). One JSON
 * document, validated here and used twice: by the CDK app, which turns each route into an
 * EventBridge rule and each digest into a schedule, and by the notifier, which applies the same
 * routes to every event it gets.
 *
 * ```json
 * { "goalCooldownMinutes": 360,
 *   "workspaces": [
 *     { "id": "marketing", "name": "Marketing", "timezone": "Europe/Berlin",
 *       "campaigns": ["spring-launch"],
 *       "routes": [
 *         { "events": ["Post Failed", "Post Outcome Unknown", "Channel Needs Attention"],
 *           "slack": ["alerts"], "email": ["ops@example.com"] },
 *         { "events": ["Goal Status Changed"], "statuses": ["AT_RISK", "OFF_TRACK"],
 *           "slack": ["alerts"], "email": ["cmo@example.com"] } ],
 *       "digest": { "daily": "09:00", "weekly": { "day": "MON", "at": "09:00" },
 *                   "slack": ["digest"], "email": ["team@example.com"] } } ] }
 * ```
 *
 * - `slack` names webhooks inside the one Slack webhook secret, a JSON object
 *   `{ "alerts": "https://hooks.slack.com/services/…", "digest": "…" }`.
 * - An event that no route of a workspace matches is not sent at once: it waits for the digest.
 * - `campaigns` / `channels` scope a workspace (its alerts and its digest); absent means all.
 */

/** How much a status needs a person: a page is repeated within the cool-down only to escalate. */
export const GOAL_STATUS_SEVERITY: Record<GoalStatus, number> & Record<string, number | undefined> = {
  NOT_STARTED: 0,
  NOT_ENOUGH_DATA: 0,
  ON_TRACK: 0,
  ACHIEVED: 0,
  AT_RISK: 1,
  OFF_TRACK: 2,
  MISSED: 2,
};

/** A name of a webhook inside the Slack webhook secret. */
export const WebhookName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a webhook name in the Slack secret (letters, digits, _ and -)');
const Emails = z.array(z.email()).max(50);

const HourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');
export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

export const Route = z.strictObject({
  events: z.array(z.enum(EVENT_TYPES)).min(1),
  /** `Goal Status Changed` only: the new statuses that page; others wait for the digest. */
  statuses: z.array(GoalStatus).min(1).optional(),
  slack: z.array(WebhookName).default([]),
  email: Emails.default([]),
});
export type Route = z.infer<typeof Route>;

export const DigestConfig = z.strictObject({
  /** Local time of the daily digest (covering the day before), or `false` for none. */
  daily: z.union([HourMinute, z.literal(false)]).default('09:00'),
  /** Day and local time of the weekly digest (covering the seven days before), or `false`. */
  weekly: z
    .union([z.strictObject({ day: z.enum(WEEKDAYS), at: HourMinute }), z.literal(false)])
    .default({ day: 'MON', at: '09:00' }),
  slack: z.array(WebhookName).default([]),
  email: Emails.default([]),
});
export type DigestConfig = z.infer<typeof DigestConfig>;

export const Workspace = z.strictObject({
  id: Slug,
  name: z.string().min(1).max(80).optional(),
  /** The team's time zone: digests are scheduled and dated in it. */
  timezone: IanaTimezone.optional(),
  campaigns: z.array(Slug).min(1).optional(),
  channels: z.array(Slug).min(1).optional(),
  routes: z.array(Route).default([]),
  digest: DigestConfig.default({
    daily: '09:00',
    weekly: { day: 'MON', at: '09:00' },
    slack: [],
    email: [],
  }),
});
export type Workspace = z.infer<typeof Workspace>;

export const NotifyConfig = z
  .strictObject({
    /** Time zone of workspaces that name none. */
    timezone: IanaTimezone.default('UTC'),
    /** A goal that paged does not page again within this time unless its status got worse. */
    goalCooldownMinutes: z.number().int().min(0).max(10_080).default(360),
    /** How long a sent message is remembered, so a late re-delivery is still recognised. */
    dedupHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(72),
    /**
     * Where a reader unsubscribes (`mailto:` or `https:`), written into `List-Unsubscribe`.
     * @default a mailto: to the sender with subject "unsubscribe"
     */
    unsubscribe: z
      .string()
      .regex(/^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https:// URL')
      .optional(),
    workspaces: z.array(Workspace).min(1),
  })
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    config.workspaces.forEach((workspace, i) => {
      if (ids.has(workspace.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workspaces', i, 'id'],
          message: `duplicate id ${workspace.id}`,
        });
      }
      ids.add(workspace.id);
      workspace.routes.forEach((route, j) => {
        if (route.statuses && !route.events.includes('Goal Status Changed')) {
          ctx.addIssue({
            code: 'custom',
            path: ['workspaces', i, 'routes', j, 'statuses'],
            message: 'statuses filter only applies to "Goal Status Changed"',
          });
        }
        if (route.slack.length === 0 && route.email.length === 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['workspaces', i, 'routes', j],
            message: 'a route needs at least one destination (slack or email)',
          });
        }
      });
    });
  });
export type NotifyConfig = z.infer<typeof NotifyConfig>;

/** The events that, by default, need a decision now rather than in the digest. */
export const DEFAULT_IMMEDIATE_EVENTS: readonly EventType[] = [
  'Post Failed',
  'Post Outcome Unknown',
  'Channel Needs Attention',
  'Strategy Adjustment Recommended',
  'Hold Started',
  'Posts Held',
  'Mention Spike Detected',
  // Approvals: a post that missed its review is a decision for a person now; a request goes to
  // the routed Slack webhooks with buttons (and, always, to the approvers by email).
  'Post Approval Missed',
  'Approval Requested',
];
export const DEFAULT_PAGING_STATUSES: readonly GoalStatus[] = ['AT_RISK', 'OFF_TRACK'];

/** The simple configuration (CDK context keys) that builds a one-workspace routing. */
export interface SimpleNotifyOptions {
  alertEmails?: readonly string[];
  /** Webhook name in the secret for alerts and digests; `undefined` when Slack is not configured. */
  slackWebhook?: string;
  timezone?: string;
}

/**
 * The default routing: one workspace covering everything; failures, unknown outcomes, channels
 * needing attention, recommendations and goals turning AT_RISK/OFF_TRACK go at once to every
 * configured destination, everything else waits for the daily and weekly digests.
 */
export function defaultNotifyConfig(options: SimpleNotifyOptions): NotifyConfig {
  return NotifyConfig.parse(defaultNotifyConfigInput(options));
}

/** The default routing before validation, so a bad address is reported by the schema. */
export function defaultNotifyConfigInput(options: SimpleNotifyOptions): z.input<typeof NotifyConfig> {
  const slack = options.slackWebhook ? [options.slackWebhook] : [];
  const email = [...(options.alertEmails ?? [])];
  const hasDestination = slack.length > 0 || email.length > 0;
  return {
    timezone: options.timezone ?? 'UTC',
    workspaces: [
      {
        id: 'default',
        name: 'Pulsecast',
        routes: hasDestination
          ? [
              { events: [...DEFAULT_IMMEDIATE_EVENTS], slack, email },
              { events: ['Goal Status Changed'], statuses: [...DEFAULT_PAGING_STATUSES], slack, email },
            ]
          : [],
        digest: { slack, email },
      },
    ],
  };
}

export function workspaceTimezone(config: NotifyConfig, workspace: Workspace): string {
  return workspace.timezone ?? config.timezone;
}

/**
 * The campaign and channel an event is about, for workspace scopes. `campaign: null` means the
 * event is about a post or goal outside any campaign; absent means campaigns do not apply (a
 * channel needing attention matters to every workspace that covers the channel).
 */
export function eventScope(event: PulsecastEvent): EventScope {
  const detail = event.detail as Record<string, unknown>;
  const channel = typeof detail.channel === 'string' ? detail.channel : undefined;
  const campaignApplies = 'campaign' in detail || 'campaignId' in detail || event.type.startsWith('Post ');
  const campaign = detail.campaign ?? detail.campaignId;
  return {
    ...(campaignApplies ? { campaign: typeof campaign === 'string' ? campaign : null } : {}),
    ...(channel ? { channel } : {}),
  };
}

export interface EventScope {
  campaign?: string | null;
  channel?: string;
}

/** Whether a workspace's scope covers something about `campaign` on `channel`. */
export function inScope(workspace: Workspace, scope: EventScope): boolean {
  if (workspace.campaigns && scope.campaign !== undefined) {
    if (scope.campaign === null || !workspace.campaigns.includes(scope.campaign)) return false;
  }
  if (workspace.channels && scope.channel && !workspace.channels.includes(scope.channel)) return false;
  return true;
}

export function routeMatches(route: Route, event: PulsecastEvent): boolean {
  if (!route.events.includes(event.type)) return false;
  if (event.type === 'Goal Status Changed' && route.statuses) {
    const status = (event.detail as { status: string }).status;
    return (route.statuses as readonly string[]).includes(status);
  }
  return true;
}

/** Where one event goes at once, per workspace: the union of every matching route's destinations. */
export interface ImmediateTarget {
  workspace: Workspace;
  slack: string[];
  email: string[];
}

export function immediateTargets(config: NotifyConfig, event: PulsecastEvent): ImmediateTarget[] {
  const targets: ImmediateTarget[] = [];
  const scope = eventScope(event);
  for (const workspace of config.workspaces) {
    if (!inScope(workspace, scope)) continue;
    const matching = workspace.routes.filter((route) => routeMatches(route, event));
    if (matching.length === 0) continue;
    targets.push({
      workspace,
      slack: [...new Set(matching.flatMap((route) => route.slack))],
      email: [...new Set(matching.flatMap((route) => route.email))],
    });
  }
  return targets;
}

/** Every Slack webhook name the configuration uses (they must all be keys of the secret). */
export function webhookNames(config: NotifyConfig): string[] {
  return [
    ...new Set(config.workspaces.flatMap((w) => [...w.routes.flatMap((r) => r.slack), ...w.digest.slack])),
  ].sort();
}

export function usesEmail(config: NotifyConfig): boolean {
  return config.workspaces.some((w) => w.digest.email.length > 0 || w.routes.some((r) => r.email.length > 0));
}

/** Environment variables of the notifying functions (set by the CDK construct, read at cold start). */
export const NOTIFY_ENV = {
  /** The routing configuration, as JSON. */
  config: 'PULSECAST_NOTIFY_CONFIG',
  /** Name of the secret with the Slack webhook URLs. */
  slackSecret: 'SLACK_WEBHOOK_SECRET',
  /** The From header of every email. */
  sender: 'SES_FROM_ADDRESS',
  /** The bucket Slack's chart images are put in (presigned URLs). */
  chartBucket: 'CHART_BUCKET',
  /** The API's base URL, for links in alerts and the unsubscribe link. */
  apiUrl: 'PULSECAST_API_URL',
  /** The secret holding the unsubscribe links' HMAC key. */
  unsubscribeSecret: 'UNSUBSCRIBE_SECRET_ID',
} as const;
