import { createHash } from 'node:crypto';
import { type ApprovalLinkSettings, approvalEmails, approvalSlackMessage } from '../approvals/requests.ts';
import type { PulsecastEvent } from '../events.ts';
import type { NotificationStore } from '../store/notifications.ts';
import { renderDigestCharts } from './chart.ts';
import { immediateTargets, type NotifyConfig, type Workspace, workspaceTimezone } from './config.ts';
import { Digest } from './digest.ts';
import { type EmailContent, renderEmailAlert, renderEmailDigest } from './email.ts';
import { type NoticeContext, noticeFor } from './notice.ts';
import { goalMayPage, sendOnce } from './once.ts';
import {
  type ChartHost,
  type EmailSender,
  type NoticeLookup,
  NotificationDeliveryError,
  NotifyConfigError,
  type SlackSendContext,
  type SlackSender,
} from './port.ts';
import { renderSlackAlert, renderSlackDigest, type SlackPayload } from './slack.ts';
import { mayEmail, type UnsubscribeKey, unsubscribeLink } from './unsubscribe.ts';

export interface NotifierDeps {
  config: NotifyConfig;
  store: NotificationStore;
  /** Absent when no Slack webhook secret is configured. */
  slack?: SlackSender;
  /** Absent when no sender identity is configured. */
  email?: EmailSender;
  /** The From header of every email, e.g. `Pulsecast <notify@example.com>`. */
  sender?: string;
  now: () => Date;
  /** Where Slack fetches chart images; without it the Slack digest has no images. */
  charts?: ChartHost;
  /** Reads the post and channel handles an alert talks about; without it alerts name ids. */
  lookup?: NoticeLookup;
  /** The API's base URL, for links to a post and the unsubscribe links. */
  apiUrl?: string;
  /** Signs each recipient's unsubscribe link (with `apiUrl`). */
  unsubscribeKey?: UnsubscribeKey;
  /** How long a send in flight is protected from a concurrent duplicate. @default 5 minutes */
  leaseMs?: number;
  /** Signed links for approval requests (shared/approvals); absent: none can be sent by email. */
  approvalLinks?: ApprovalLinkSettings | undefined;
}

/** What one event led to, for logs and tests. */
export interface NotifyReport {
  eventId: string;
  sent: string[];
  duplicates: string[];
  /** Why nothing was sent at once: digest-only, cooled down… */
  held?: 'digest' | 'cooldown';
}

interface Delivery {
  key: string;
  send: () => Promise<void>;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

/** The address inside a From header: `Pulsecast <a@b.c>` → `a@b.c`. */
export function addressOf(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();
}

/**
 * Handles one event from the bus: works out who hears about it now (the routes), renders it for
 * Slack and email, and sends each message once. Everything not routed waits for the digest.
 * Every message is attempted even when an earlier one fails; if any failed, the whole event
 * fails (NotificationDeliveryError) so it is retried and, in the end, dead-lettered.
 */
export async function notify(event: PulsecastEvent, deps: NotifierDeps): Promise<NotifyReport> {
  const report: NotifyReport = { eventId: event.detail.eventId, sent: [], duplicates: [] };
  const deliveries =
    event.type === 'Digest Ready'
      ? await digestDeliveries(event, deps)
      : event.type === 'Approval Requested'
        ? await approvalDeliveries(event, deps)
        : await alertDeliveries(event, deps, report);

  const failures: { key: string; error: Error }[] = [];
  const options = {
    now: deps.now,
    leaseMs: deps.leaseMs ?? 5 * 60_000,
    keepMs: deps.config.dedupHours * 3_600_000,
  };
  for (const delivery of deliveries) {
    try {
      const outcome = await sendOnce(deps.store, delivery.key, options, delivery.send);
      (outcome === 'sent' ? report.sent : report.duplicates).push(delivery.key);
    } catch (error) {
      failures.push({ key: delivery.key, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  if (failures.length > 0) throw new NotificationDeliveryError(report.eventId, failures);
  return report;
}

async function alertDeliveries(
  event: PulsecastEvent,
  deps: NotifierDeps,
  report: NotifyReport,
): Promise<Delivery[]> {
  const targets = immediateTargets(deps.config, event);
  if (targets.length === 0) {
    report.held = 'digest';
    return [];
  }
  if (event.type === 'Goal Status Changed') {
    const detail = event.detail as { campaignId: string; goalId: string; status: string; eventId: string };
    const cooldownMs = deps.config.goalCooldownMinutes * 60_000;
    if (!(await goalMayPage(deps.store, detail, cooldownMs, deps.now()))) {
      report.held = 'cooldown';
      return [];
    }
  }
  const deliveries: Delivery[] = [];
  const words = await noticeWords(event, deps);
  for (const target of targets) {
    const notice = noticeFor(event, {
      ...words,
      timezone: workspaceTimezone(deps.config, target.workspace),
      workspaceName: target.workspace.name ?? target.workspace.id,
    });
    const payload = renderSlackAlert(notice);
    for (const webhook of target.slack)
      deliveries.push(...slackDelivery(deps, event.detail.eventId, webhook, [payload]));
    for (const to of target.email)
      deliveries.push(
        emailDelivery(deps, event.detail.eventId, target.workspace, to, (unsubscribe) =>
          renderEmailAlert(notice, unsubscribe ? { unsubscribe } : {}),
        ),
      );
  }
  return dedupeKeys(deliveries);
}

/**
 * An approval request goes by email to the step's approvers themselves (each with their own signed
 * links), whatever the routing says about email, and to the Slack webhooks the routing gives the
 * event, with buttons.
 */
async function approvalDeliveries(event: PulsecastEvent, deps: NotifierDeps): Promise<Delivery[]> {
  const targets = immediateTargets(deps.config, event);
  const workspace = targets[0]?.workspace ?? deps.config.workspaces[0];
  const deliveries: Delivery[] = [];
  for (const target of targets) {
    const notice = noticeFor(event, {
      timezone: workspaceTimezone(deps.config, target.workspace),
      workspaceName: target.workspace.name ?? target.workspace.id,
    });
    for (const webhook of target.slack)
      deliveries.push(
        ...slackDelivery(deps, event.detail.eventId, webhook, [approvalSlackMessage(event, notice)]),
      );
  }
  // Without a sender there is no email at all: approvers then decide in Slack, the API or the CLI.
  if (!workspace || !deps.email || !deps.sender) return dedupeKeys(deliveries);
  if (!deps.approvalLinks) {
    throw new NotifyConfigError(
      'approval requests need signed links: no approval link key or API URL is configured',
    );
  }
  const emails = await approvalEmails(event, deps.approvalLinks, {
    workspaceName: workspace.name ?? workspace.id,
    now: deps.now(),
  });
  for (const { to, render } of emails)
    deliveries.push(emailDelivery(deps, event.detail.eventId, workspace, to, render));
  return dedupeKeys(deliveries);
}

async function digestDeliveries(event: PulsecastEvent, deps: NotifierDeps): Promise<Delivery[]> {
  const { digestId } = event.detail as { digestId: string };
  const record = await deps.store.getDigest(digestId);
  // A Digest Ready for a digest that is not there is a bug upstream: fail loudly (→ DLQ).
  if (!record) throw new NotifyConfigError(`digest ${digestId} announced but not stored`);
  const digest = Digest.parse(record.content);
  const workspace = deps.config.workspaces.find((w) => w.id === digest.workspaceId);
  if (!workspace) return []; // the workspace was removed from the configuration since
  const charts = await renderDigestCharts(digest);
  const chartUrls = new Map<string, string>();
  if (workspace.digest.slack.length > 0 && deps.charts) {
    for (const [name, png] of charts)
      chartUrls.set(name, await deps.charts.publish(`${digest.id}/${name}.png`, png));
  }
  const payloads = renderSlackDigest(digest, { chartUrls });
  const deliveries = workspace.digest.slack.flatMap((webhook) =>
    slackDelivery(deps, digest.id, webhook, payloads),
  );
  for (const to of workspace.digest.email)
    deliveries.push(
      emailDelivery(deps, digest.id, workspace, to, (unsubscribe) =>
        renderEmailDigest(digest, { ...(unsubscribe ? { unsubscribe } : {}), charts }),
      ),
    );
  return deliveries;
}

/** The post's words and the channels' handles for an alert, when the notifier can read them. */
async function noticeWords(
  event: PulsecastEvent,
  deps: NotifierDeps,
): Promise<Pick<NoticeContext, 'post' | 'handles' | 'apiUrl'>> {
  const detail = event.detail as { postId?: string; channel?: string };
  const words: Pick<NoticeContext, 'post' | 'handles' | 'apiUrl'> = deps.apiUrl
    ? { apiUrl: deps.apiUrl }
    : {};
  if (!deps.lookup) return words;
  const post = detail.postId ? await deps.lookup.post(detail.postId) : undefined;
  const handles = detail.channel ? await deps.lookup.handles([detail.channel]) : undefined;
  return { ...words, ...(post ? { post } : {}), ...(handles ? { handles } : {}) };
}

/** Each part of a split Slack message is its own delivery, so a retry resends only what failed. */
function slackDelivery(
  deps: NotifierDeps,
  eventId: string,
  webhook: string,
  payloads: SlackPayload[],
  images: SlackSendContext['images'] = [],
): Delivery[] {
  return payloads.map((payload, part) => {
    const key = `notify#${eventId}#slack#${webhook}#${part}`;
    return {
      key,
      send: async () => {
        if (!deps.slack) {
          throw new NotifyConfigError(
            `routes name Slack webhook "${webhook}" but no Slack webhook secret is configured`,
          );
        }
        await deps.slack.send(webhook, payload, { key, ...(part === 0 && images.length ? { images } : {}) });
      },
    };
  });
}

/**
 * One email per recipient: addresses are not shown to each other, one bounce does not hold up
 * the rest, and dedup is per person.
 */
function emailDelivery(
  deps: NotifierDeps,
  eventId: string,
  workspace: Workspace,
  to: string,
  render: (unsubscribe: string | undefined) => EmailContent,
): Delivery {
  const key = `notify#${eventId}#email#${to.toLowerCase()}`;
  return {
    key,
    send: async () => {
      if (!deps.email || !deps.sender) {
        throw new NotifyConfigError(`routes name email ${to} but no sender identity is configured`);
      }
      // The recipient said stop (the unsubscribe link): nothing goes to them, and that is not a failure.
      if (!(await mayEmail(deps.store, to))) return;
      const domain = addressOf(deps.sender).split('@')[1] ?? 'pulsecast.invalid';
      const unsubscribe = await unsubscribeUrl(deps, to);
      const content = render(unsubscribe);
      await deps.email.send({
        from: deps.sender,
        to,
        content,
        headers: emailHeaders(workspace, content, domain, eventId, unsubscribe),
        messageId: `<${hash(`${eventId}|${to.toLowerCase()}`)}@${domain}>`,
        date: deps.now(),
        key,
      });
    },
  };
}

/**
 * The recipient's own signed link (one click, no login) when the API's URL and the key are
 * known; else the configured address, else a mailto: to the sender.
 */
async function unsubscribeUrl(deps: NotifierDeps, to: string): Promise<string | undefined> {
  if (deps.apiUrl && deps.unsubscribeKey) return unsubscribeLink(deps.apiUrl, deps.unsubscribeKey, to);
  if (deps.config.unsubscribe) return deps.config.unsubscribe;
  return deps.sender ? `mailto:${addressOf(deps.sender)}?subject=unsubscribe` : undefined;
}

/**
 * Headers that make automated mail easy to recognise and to leave: List-Unsubscribe (RFC 2369)
 * and, for an https address, one-click List-Unsubscribe-Post (RFC 8058); List-Id (RFC 2919) so
 * clients can filter per workspace; Auto-Submitted (RFC 3834) and Exchange's
 * X-Auto-Response-Suppress so out-of-office replies are not sent back.
 */
function emailHeaders(
  workspace: Workspace,
  content: EmailContent,
  domain: string,
  eventId: string,
  unsubscribe: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    'List-Id': `Pulsecast ${workspace.id} <${workspace.id.toLowerCase().replace(/[^a-z0-9-]/g, '-')}.pulsecast.${domain}>`,
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
    'X-Pulsecast-Event': eventId,
  };
  if (unsubscribe) {
    headers['List-Unsubscribe'] = `<${unsubscribe}>`;
    if (unsubscribe.startsWith('https://')) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  if (content.bulk) headers.Precedence = 'bulk';
  return headers;
}

/** Two workspaces routing one event to the same webhook or address send it once. */
function dedupeKeys(deliveries: Delivery[]): Delivery[] {
  const seen = new Set<string>();
  return deliveries.filter((d) => !seen.has(d.key) && seen.add(d.key));
}
