import type { EventDetail, PulsecastEvent } from '../events.ts';
import { type EmailContent, renderEmailAlert } from '../notify/email.ts';
import { type Notice, noticeFor } from '../notify/notice.ts';
import { renderSlackAlert, type SlackPayload } from '../notify/slack.ts';
import { type ApprovalLinks, linkExpiry } from './links.ts';

type RequestDetail = EventDetail<'Approval Requested'>;

/** What approval emails need to carry links: the signer and the API's public base URL. */
export interface ApprovalLinkSettings {
  links: ApprovalLinks;
  /** The API's base URL as approvers reach it (ends in `/`). */
  baseUrl: string;
}

/** The page a link opens: GET shows the post and a form, POST decides. */
export const approvalPagePath = (postId: string) => `v1/approvals/${encodeURIComponent(postId)}/link`;

/**
 * One email per approver still to decide, each with their own signed links (approve, request
 * changes) and the post's time in their zone. The links open a page; nothing is decided by
 * following one (mail scanners follow links), only by the form it shows.
 */
export async function approvalEmails(
  event: PulsecastEvent,
  settings: ApprovalLinkSettings,
  context: { workspaceName: string; now: Date },
): Promise<{ to: string; render: (unsubscribe: string | undefined) => EmailContent }[]> {
  const detail = event.detail as RequestDetail;
  const expiresAt = linkExpiry(context.now, detail.scheduledAt);
  const emails: { to: string; render: (unsubscribe: string | undefined) => EmailContent }[] = [];
  for (const approver of detail.approvers) {
    const token = await settings.links.sign({
      p: detail.postId,
      r: detail.round,
      s: detail.step,
      a: approver.email,
      expiresAt,
    });
    const page = new URL(approvalPagePath(detail.postId), settings.baseUrl);
    page.searchParams.set('token', token);
    const url = (decision: string) => {
      const link = new URL(page);
      link.searchParams.set('decision', decision);
      return link.toString();
    };
    const notice: Notice = {
      ...noticeFor(event, {
        timezone: approver.timezone ?? detail.timezone,
        workspaceName: context.workspaceName,
      }),
      links: [
        { label: 'Approve…', url: url('approve') },
        { label: 'Request changes…', url: url('request-changes') },
      ],
    };
    notice.summary += `\nThese links are yours alone, work once and expire ${expiresAt.toISOString()}.`;
    emails.push({
      to: approver.email,
      // Each recipient's own unsubscribe link is known only when the email is sent.
      render: (unsubscribe) => renderEmailAlert(notice, unsubscribe ? { unsubscribe } : {}),
    });
  }
  return emails;
}

/** What an interactive button carries back: post, round and step (who clicked, Slack says). */
export interface ButtonValue {
  p: string;
  r: number;
  s: number;
}

export const SLACK_ACTIONS = {
  approve: 'pulsecast-approve',
  requestChanges: 'pulsecast-request-changes',
} as const;

/**
 * The request as a Slack message with Approve / Request changes buttons. The buttons post to the
 * Slack app's interactivity endpoint (POST /v1/slack/interactions), which checks Slack's signature
 * and that the clicking Slack user is an approver of the step.
 */
export function approvalSlackMessage(event: PulsecastEvent, notice: Notice): SlackPayload {
  const detail = event.detail as RequestDetail;
  const payload = renderSlackAlert({ ...notice, links: [] });
  const value: ButtonValue = { p: detail.postId, r: detail.round, s: detail.step };
  const footer = payload.blocks.pop();
  payload.blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        value: JSON.stringify(value),
        action_id: SLACK_ACTIONS.approve,
        style: 'primary',
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Request changes' },
        value: JSON.stringify(value),
        action_id: SLACK_ACTIONS.requestChanges,
        style: 'danger',
      },
    ],
  });
  if (footer) payload.blocks.push(footer);
  return payload;
}
