import { platformName } from '../domain/index.ts';
import type { EventDetail, EventType, PulsecastEvent } from '../events.ts';
import { holdStartedNotice, postsHeldNotice } from '../holds/notice.ts';

/**
 * What one message says, before it is shaped for Slack or email: the renderers in `slack.ts`
 * and `email.ts` take a Notice and only worry about their medium's rules and limits.
 * Every string in a Notice is plain text (user content included, unescaped): escaping is the
 * renderer's job, since Slack mrkdwn and HTML escape differently.
 */
export interface Notice {
  /** The fact this message is about (an event's `eventId`), for dedup and the footer. */
  id: string;
  severity: 'info' | 'warning' | 'critical';
  /** One line: Slack header, email subject. */
  title: string;
  /** A short paragraph: what happened and what to do. */
  summary: string;
  facts: Fact[];
  links: Link[];
  /** Footer line (workspace, event type). */
  footer: string;
}

export interface Fact {
  label: string;
  value: string;
}
export interface Link {
  label: string;
  url: string;
}

const SEVERITY_MARK: Record<Notice['severity'], string> = { info: 'ℹ️', warning: '⚠️', critical: '🚨' };
export const severityMark = (severity: Notice['severity']) => SEVERITY_MARK[severity];

import {
  formatMetric,
  formatNumber,
  formatPercent,
  localTime,
  metricAgainstTarget,
  metricName,
} from './vocabulary.ts';

export { formatNumber, formatPercent, localTime, platformName };

export const statusLabel = (status: string) => status.replaceAll('_', ' ');

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * A recommendation in words. Its shape belongs to the goals stage; this reads the common field
 * names and falls back to compact JSON, so a new field never breaks a message.
 */
export function describeRecommendation(value: unknown): {
  title: string;
  detail?: string;
  evidence: string[];
} {
  if (typeof value === 'string') return { title: value, evidence: [] };
  if (!value || typeof value !== 'object') return { title: 'Recommendation', evidence: [] };
  const record = value as Record<string, unknown>;
  const pick = (...names: string[]) => {
    for (const name of names) {
      const field = record[name];
      if (typeof field === 'string' && field.trim()) return field.trim();
    }
    return undefined;
  };
  const title = pick('title', 'summary', 'action', 'headline', 'kind', 'type') ?? 'Recommendation';
  const detail = pick('detail', 'description', 'rationale', 'reason', 'message');
  const raw = record.evidence;
  let evidence: string[] = [];
  if (typeof raw === 'string') evidence = [raw];
  else if (Array.isArray(raw))
    evidence = raw.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  else if (raw && typeof raw === 'object') {
    evidence = Object.entries(raw).map(
      ([key, item]) =>
        `${key}: ${typeof item === 'string' || typeof item === 'number' ? item : JSON.stringify(item)}`,
    );
  }
  return { title, ...(detail ? { detail } : {}), evidence };
}

export interface NoticeContext {
  timezone: string;
  workspaceName: string;
  /** The post the event is about, when the notifier could read it: its text and link. */
  post?: { text: string; platformUrl?: string | undefined };
  /** Channel handles by channel id ("@acme"), for the channels the notifier could read. */
  handles?: ReadonlyMap<string, string>;
  /** Where the API is, for links to a post (`<api>/v1/posts/<id>`). */
  apiUrl?: string;
}

type Detail<T extends EventType> = EventDetail<T>;
type PostRefDetail = Detail<'Post Failed'>;

const EXCERPT = 100;
function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= EXCERPT ? flat : `${chars.slice(0, EXCERPT - 1).join('')}…`;
}

/** The Notice for one event. Every detail type has one; unknown extra fields are ignored. */
export function noticeFor(event: PulsecastEvent, context: NoticeContext): Notice {
  const { timezone } = context;
  const footer = `${context.workspaceName} · ${event.type} · ${event.detail.eventId}`;
  const base = { id: event.detail.eventId, footer, links: [] as Link[] };
  const channelText = (channel: string, platform: string) =>
    `${context.handles?.get(channel) ?? channel} on ${platformName(platform)}`;
  /** The post in the team's words: its first words, quoted, when known; else its id. */
  const postName = (postId: string) =>
    context.post ? `“${excerptOf(context.post.text)}”` : `post ${postId}`;
  const postLinks = (postId: string, platformUrl?: string): Link[] => [
    ...(isHttpUrl(platformUrl ?? context.post?.platformUrl)
      ? [{ label: 'Open the post', url: (platformUrl ?? context.post?.platformUrl) as string }]
      : []),
    ...(context.apiUrl && isHttpUrl(context.apiUrl)
      ? [
          {
            label: 'Post in Pulsecast',
            url: `${context.apiUrl.replace(/\/$/, '')}/v1/posts/${encodeURIComponent(postId)}`,
          },
        ]
      : []),
  ];
  const postFacts = (
    d: Pick<PostRefDetail, 'postId' | 'channel' | 'platform' | 'scheduledAt' | 'campaign'>,
  ): Fact[] => [
    ...(context.post ? [{ label: 'Post', value: excerptOf(context.post.text) }] : []),
    { label: 'Channel', value: channelText(d.channel, d.platform) },
    { label: 'Scheduled', value: localTime(d.scheduledAt, timezone) },
    ...(d.campaign ? [{ label: 'Campaign', value: d.campaign }] : []),
    { label: 'Post id', value: d.postId },
  ];

  switch (event.type) {
    case 'Post Failed': {
      const d = event.detail as Detail<'Post Failed'>;
      return {
        ...base,
        severity: 'critical',
        title: `Not published: ${postName(d.postId)} on ${channelText(d.channel, d.platform)}`,
        summary: [
          `What happened: ${d.reason}`,
          'It will not be retried on its own. Do this: fix the cause, then give it a new time (never a double post):',
          `  pulsecast posts reschedule ${d.postId} --at <time>`,
        ].join('\n'),
        facts: [...postFacts(d), { label: 'Error', value: d.errorKind }],
        links: postLinks(d.postId),
      };
    }
    case 'Post Outcome Unknown': {
      const d = event.detail as Detail<'Post Outcome Unknown'>;
      return {
        ...base,
        severity: 'warning',
        title: `Unknown whether ${postName(d.postId)} went out on ${channelText(d.channel, d.platform)}`,
        summary: [
          `What happened: ${d.reason}`,
          d.reconcilable
            ? 'Pulsecast is looking for it on the platform and will settle it; nothing is posted twice. Do this only if it is still unknown in an hour: look at the account and settle it:'
            : 'The platform cannot be searched. Do this: look at the account and settle it:',
          `  pulsecast posts settle ${d.postId} --published <its URL>   (or --failed "<why>")`,
        ].join('\n'),
        facts: postFacts(d),
        links: postLinks(d.postId),
      };
    }
    case 'Post Published': {
      const d = event.detail as Detail<'Post Published'>;
      return {
        ...base,
        severity: 'info',
        title: `Published: ${postName(d.postId)} on ${channelText(d.channel, d.platform)}`,
        summary: `Published ${localTime(d.publishedAt, timezone)}, ${Math.round(d.latenessSeconds)} s after its slot. Nothing to do.`,
        facts: postFacts(d),
        links: postLinks(d.postId, d.platformUrl),
      };
    }
    case 'Post Rescheduled': {
      const d = event.detail as Detail<'Post Rescheduled'>;
      return {
        ...base,
        severity: 'info',
        title: `Moved to ${localTime(d.scheduledAt, timezone)}: ${postName(d.postId)}`,
        summary: `What happened: ${d.reason}\nNothing to do: it goes out at the new time.`,
        facts: [...postFacts(d), { label: 'Was', value: localTime(d.previousScheduledAt, timezone) }],
      };
    }
    case 'Post Metrics Collected': {
      const d = event.detail as Detail<'Post Metrics Collected'>;
      return {
        ...base,
        severity: 'info',
        title: `Numbers at ${d.checkpoint} for ${postName(d.postId)}`,
        summary: [
          ...Object.entries(d.metrics).map(([name, value]) => `${metricName(name)} ${formatNumber(value)}`),
          ...(d.engagementRate !== undefined ? [`engagement rate ${formatPercent(d.engagementRate)}`] : []),
        ].join(', '),
        facts: postFacts(d),
      };
    }
    case 'Goal Status Changed': {
      const d = event.detail as Detail<'Goal Status Changed'>;
      const value = (n: number) => (d.metric ? formatMetric(d.metric, n) : formatNumber(n));
      const severity =
        d.status === 'OFF_TRACK' || d.status === 'MISSED'
          ? 'critical'
          : d.status === 'AT_RISK'
            ? 'warning'
            : 'info';
      return {
        ...base,
        severity,
        title: `Goal ${d.goalId} of ${d.campaignId} is ${statusLabel(d.status).toLowerCase()}${
          d.metric && d.current !== undefined && d.target !== undefined
            ? `: ${metricAgainstTarget(d.metric, d.current, d.target)}`
            : ''
        }`,
        // The reason is the evaluation's own sentence: the report, the digest and the event say it too.
        summary: [
          `Campaign ${d.campaignId}: ${d.reason ?? `the goal is ${statusLabel(d.status).toLowerCase()}`}.`,
          ...(d.missing?.length ? [`Missing: ${d.missing.join('; ')}.`] : []),
          ...(severity === 'info'
            ? []
            : [
                'The campaign report lists what to change where the data supports it; each new recommendation also comes as its own message.',
              ]),
        ].join('\n'),
        facts: [
          { label: 'Campaign', value: d.campaignId },
          { label: 'Goal', value: d.goalId },
          { label: 'Status', value: statusLabel(d.status) },
          ...(d.previousStatus ? [{ label: 'Was', value: statusLabel(d.previousStatus) }] : []),
          ...(d.current !== undefined ? [{ label: 'So far', value: value(d.current) }] : []),
          ...(d.target !== undefined ? [{ label: 'Target', value: value(d.target) }] : []),
          ...(d.forecast
            ? [
                {
                  label: 'Forecast',
                  value: `${value(d.forecast.value)} (80 % band ${value(d.forecast.low)}–${value(d.forecast.high)})`,
                },
              ]
            : []),
        ],
      };
    }
    case 'Strategy Adjustment Recommended': {
      const d = event.detail as Detail<'Strategy Adjustment Recommended'>;
      const recommendation = describeRecommendation(d.recommendation);
      return {
        ...base,
        severity: 'info',
        title: `Recommendation for ${d.campaignId}: ${recommendation.title}`,
        summary: [recommendation.detail, ...recommendation.evidence.map((line) => `• ${line}`)]
          .filter(Boolean)
          .join('\n'),
        facts: [{ label: 'Campaign', value: d.campaignId }],
      };
    }
    case 'Approval Requested': {
      const d = event.detail as Detail<'Approval Requested'>;
      const step = `step ${d.step + 1} of ${d.stepCount} ('${d.stepName}')`;
      return {
        ...base,
        severity: d.reminder ? 'warning' : 'info',
        title: `${d.reminder ? `Reminder (${d.reminder} left): approve` : 'Approval needed:'} post ${d.postId} on ${platformName(d.platform)}, ${step}`,
        summary: [
          'The post as it will appear:',
          d.text || '(no text)',
          ...(d.link ? [`Link: ${d.link}`] : []),
          ...d.media.map((url) => `Media: ${url}`),
          '',
          `It is not published unless ${d.required} of this step's approvers approve it before ${localTime(d.scheduledAt, timezone)}.`,
          `API: POST /v1/posts/${d.postId}/approval {"decision": "approve" | "request-changes", "step": "${d.stepName}", "comment": …}  CLI: pulsecast approvals approve ${d.postId}`,
        ].join('\n'),
        facts: [
          ...postFacts(d),
          { label: 'Step', value: step },
          { label: 'Waiting for', value: d.approvers.map((a) => a.email).join(', ') || '—' },
        ],
      };
    }
    case 'Post Approval Missed': {
      const d = event.detail as Detail<'Post Approval Missed'>;
      return {
        ...base,
        severity: 'critical',
        title: `Post ${d.postId} was not approved in time and was not published`,
        summary: [
          d.reason,
          `Reschedule it (its review starts again): pulsecast posts reschedule ${d.postId} --at <ISO time>`,
          `  (API: PATCH /v1/posts/${d.postId} {"scheduledAt": "<ISO time>"})`,
          `or cancel it: pulsecast posts cancel ${d.postId}`,
        ].join('\n'),
        facts: [...postFacts(d), { label: 'Waiting on', value: d.stepName }],
      };
    }
    case 'Channel Needs Attention': {
      const d = event.detail as Detail<'Channel Needs Attention'>;
      return {
        ...base,
        severity: 'critical',
        title: `Channel ${channelText(d.channel, d.platform)} needs attention`,
        summary: `What happened: ${d.reason}\nPosts to this channel will keep failing until it is fixed. Do this: reconnect it (new credentials in its secret), then check it:\n  pulsecast channels show ${d.channel}`,
        facts: [
          { label: 'Channel', value: channelText(d.channel, d.platform) },
          { label: 'Platform', value: platformName(d.platform) },
          ...(d.postId ? [{ label: 'Post', value: d.postId }] : []),
        ],
      };
    }
    case 'Hold Started':
      return holdStartedNotice(event.detail as Detail<'Hold Started'>, base, timezone);
    case 'Posts Held':
      return postsHeldNotice(event.detail as Detail<'Posts Held'>, base, timezone);
    case 'Mention Spike Detected': {
      const d = event.detail as Detail<'Mention Spike Detected'>;
      const who = d.subjectName ?? d.subject;
      return {
        ...base,
        severity: d.negativeShare >= 0.5 ? 'critical' : 'warning',
        title: `Mention spike: ${who} on ${platformName(d.platform)}`,
        summary: [
          `${d.count} mentions in the last ${d.windowMinutes} minutes, where about ${formatNumber(d.baseline)} are usual (median of the past week's hours); ${formatPercent(d.negativeShare)} read as negative by a word lexicon (English).`,
          ...(d.autoHold && d.subject === 'brand'
            ? ['Automatic hold is on: a negative spike on the brand holds scheduled posts.']
            : []),
          ...d.samples.map((s) => `• @${s.author}: ${s.text.slice(0, 200)}`),
        ].join('\n'),
        facts: [
          { label: 'Subject', value: who },
          { label: 'Platform', value: platformName(d.platform) },
          { label: 'Since', value: localTime(d.startedAt, timezone) },
        ],
        links: d.samples.filter((s) => isHttpUrl(s.url)).map((s) => ({ label: `@${s.author}`, url: s.url })),
      };
    }
    case 'Mention Spike Ended': {
      const d = event.detail as Detail<'Mention Spike Ended'>;
      return {
        ...base,
        severity: 'info',
        title: `Mention spike over: ${d.subjectName ?? d.subject} on ${platformName(d.platform)}`,
        summary: `From ${localTime(d.startedAt, timezone)} to ${localTime(d.endedAt, timezone)}, at most ${d.peak} mentions in ${d.windowMinutes} minutes (about ${formatNumber(d.baseline)} usual).`,
        facts: [],
      };
    }
    case 'Digest Ready': {
      const d = event.detail as Detail<'Digest Ready'>;
      return {
        ...base,
        severity: 'info',
        title: `The ${d.period} digest is ready`,
        summary: `Digest ${d.digestId}.`,
        facts: [],
      };
    }
  }
}
