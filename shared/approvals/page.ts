import type { Post } from '../domain/index.ts';
import { escapeHtml } from '../notify/email.ts';
import { localTime } from '../notify/notice.ts';
import { currentStep } from './review.ts';

/**
 * The small page an approval link opens. No script, no external resource, nothing but the post
 * and a form (see PAGE_HEADERS for what the browser is told): GET shows, POST decides.
 */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: it must not leak to the post's own links through Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
};

function layout(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:-apple-system,\'Segoe UI\',Helvetica,Arial,sans-serif;max-width:640px;margin:24px auto;padding:0 16px;color:#1f2937;line-height:1.5;">',
    `<h1 style="font-size:20px;">${escapeHtml(title)}</h1>`,
    body,
    '</body></html>',
  ].join('\n');
}

/** The post as it will appear, and the form to decide on it. */
export function decisionPage(input: {
  post: Post;
  approver: string;
  token: string;
  decision: 'approve' | 'request-changes' | undefined;
  timezone?: string | undefined;
}): string {
  const { post } = input;
  const step = currentStep(post);
  const approval = post.approval;
  const checked = (value: string) => (input.decision === value ? ' checked' : '');
  const media = post.media
    .map((url) => `<li><a href="${escapeHtml(url)}" rel="noreferrer">${escapeHtml(url)}</a></li>`)
    .join('');
  const body = [
    `<p>Step ${(approval?.step ?? 0) + 1} of ${approval?.steps.length ?? 1}: <strong>${escapeHtml(step?.name ?? '')}</strong> · you are <strong>${escapeHtml(input.approver)}</strong></p>`,
    `<p>Channel <strong>${escapeHtml(post.channel)}</strong>, ${escapeHtml(localTime(post.scheduledAt, input.timezone ?? post.timezone))}${post.campaign ? `, campaign ${escapeHtml(post.campaign)}` : ''}</p>`,
    `<blockquote style="white-space:pre-wrap;border-left:4px solid #2563eb;margin:0;padding:8px 12px;background:#f4f4f5;">${escapeHtml(post.text) || '<em>(no text)</em>'}</blockquote>`,
    post.link
      ? `<p>Link: <a href="${escapeHtml(post.link)}" rel="noreferrer">${escapeHtml(post.link)}</a></p>`
      : '',
    media ? `<p>Media:</p><ul>${media}</ul>` : '',
    '<form method="post" action="">',
    `<input type="hidden" name="token" value="${escapeHtml(input.token)}">`,
    `<p><label><input type="radio" name="decision" value="approve"${checked('approve')} required> Approve</label><br>`,
    `<label><input type="radio" name="decision" value="request-changes"${checked('request-changes')}> Request changes</label></p>`,
    '<p><label>Comment (required to request changes)<br><textarea name="comment" rows="4" cols="60" maxlength="2000"></textarea></label></p>',
    '<p><button type="submit">Send decision</button></p>',
    '</form>',
  ].join('\n');
  return layout(`Review post ${post.id}`, body);
}

export function outcomePage(title: string, message: string): string {
  return layout(title, `<p>${escapeHtml(message)}</p>`);
}
