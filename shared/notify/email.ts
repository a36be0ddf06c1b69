import { chartName, POSTS_CHART_NAME, statusWords } from './chart.ts';
import type { Digest, DigestPost, GoalProgress } from './digest.ts';
import type { Notice } from './notice.ts';
import { oneLine, truncate } from './text.ts';
import { metricName } from './vocabulary.ts';
import { failureText, goalProgressText, postChannelText, postMetricsText } from './words.ts';

/**
 * Email rendering: every message has an HTML part and a plain-text part saying the same thing,
 * with the goal charts as inline images (`cid:`) in the HTML. Built for what mail clients
 * actually do: table layout with inline styles (no <style>, no scripts, no external images),
 * 600 px wide, and the HTML kept under Gmail's 102 KB clipping point.
 */
export const EMAIL_LIMITS = {
  /** Subject characters: one line; clients show ~60–80, RFC 5322 allows 998 per header line. */
  subject: 150,
  /** Gmail clips a message whose HTML is over 102 KB ("[Message clipped]"); stay below it. */
  htmlBytes: 100_000,
  textBytes: 100_000,
  /** One field's value (a failure reason, a recommendation). */
  field: 2_000,
  /** Inline images, all together: far below SES's 40 MB and common 10 MB server limits. */
  imagesBytes: 5_000_000,
} as const;

export interface InlineImage {
  /** Content-ID, without angle brackets. */
  cid: string;
  filename: string;
  contentType: 'image/png';
  content: Buffer;
}

export interface EmailContent {
  subject: string;
  html: string;
  text: string;
  images: InlineImage[];
  /** Digests are bulk mail (`Precedence: bulk`); alerts are not. */
  bulk: boolean;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const html = (raw: string, max: number = EMAIL_LIMITS.field) =>
  escapeHtml(truncate(raw, max)).replaceAll('\n', '<br>');

function safeUrl(url: string | undefined): string | undefined {
  if (!url || url.length > 2048) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

export const subjectLine = (title: string) => truncate(oneLine(`[Pulsecast] ${title}`), EMAIL_LIMITS.subject);

const ACCENT: Record<Notice['severity'], string> = {
  info: '#2563eb',
  warning: '#d97706',
  critical: '#dc2626',
};

function page(title: string, accent: string, body: string, footer: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f4f4f5;">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f5;"><tr><td align="center" style="padding:16px;">',
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%;background:#ffffff;border-top:4px solid ${accent};font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2937;font-size:14px;line-height:1.5;">`,
    `<tr><td style="padding:20px 24px;">${body}</td></tr>`,
    `<tr><td style="padding:12px 24px;border-top:1px solid #e5e7eb;color:#6b7280;font-size:12px;">${footer}</td></tr>`,
    '</table></td></tr></table></body></html>',
  ].join('\n');
}

export interface EmailContext {
  /** Why the reader gets this, and how to stop: rendered in every footer. */
  unsubscribe?: string;
  /** The digest's charts by name (`renderDigestCharts`), shown as inline images. */
  charts?: ReadonlyMap<string, Buffer>;
}

function footerHtml(line: string, context: EmailContext): string {
  const unsubscribe = context.unsubscribe;
  const link = unsubscribe
    ? ` · <a href="${escapeHtml(unsubscribe)}" style="color:#6b7280;">Unsubscribe</a>`
    : '';
  return `${html(line, 500)}<br>Sent by Pulsecast to the team's notification list${link}`;
}
const footerText = (line: string, context: EmailContext) =>
  `--\n${truncate(line, 500)}\nSent by Pulsecast to the team's notification list.${
    context.unsubscribe ? `\nUnsubscribe: ${context.unsubscribe}` : ''
  }`;

export function renderEmailAlert(notice: Notice, context: EmailContext = {}): EmailContent {
  const facts = notice.facts
    .map(
      (f) =>
        `<tr><td style="padding:2px 12px 2px 0;color:#6b7280;vertical-align:top;white-space:nowrap;">${html(f.label, 100)}</td><td style="padding:2px 0;">${html(f.value)}</td></tr>`,
    )
    .join('');
  const links = notice.links
    .map((l) => ({ ...l, url: safeUrl(l.url) }))
    .filter((l): l is { label: string; url: string } => l.url !== undefined)
    .map(
      (l) =>
        `<a href="${escapeHtml(l.url)}" style="display:inline-block;margin:12px 8px 0 0;padding:8px 14px;background:${ACCENT[notice.severity]};color:#ffffff;text-decoration:none;border-radius:4px;">${html(l.label, 80)}</a>`,
    )
    .join('');
  const body = [
    `<h1 style="margin:0 0 12px;font-size:20px;line-height:1.3;">${html(oneLine(notice.title), 300)}</h1>`,
    notice.summary ? `<p style="margin:0 0 12px;">${html(notice.summary, 4000)}</p>` : '',
    facts ? `<table role="presentation" cellpadding="0" cellspacing="0" border="0">${facts}</table>` : '',
    links,
  ].join('\n');
  const text = [
    oneLine(notice.title),
    '',
    truncate(notice.summary, 4000),
    '',
    ...notice.facts.map((f) => `${oneLine(f.label)}: ${truncate(f.value, EMAIL_LIMITS.field)}`),
    ...notice.links.filter((l) => safeUrl(l.url)).map((l) => `${oneLine(l.label)}: ${l.url}`),
    '',
    footerText(notice.footer, context),
  ].join('\n');
  return fitLimits({
    subject: subjectLine(notice.title),
    html: page(notice.title, ACCENT[notice.severity], body, footerHtml(notice.footer, context)),
    text,
    images: [],
    bulk: false,
  });
}

function goalSummary(goal: GoalProgress): string {
  return `${goalProgressText(goal)}${goal.reason ? ` Why: ${goal.reason}.` : ''}`;
}

const h2 = (text: string) => `<h2 style="margin:20px 0 8px;font-size:16px;">${escapeHtml(text)}</h2>`;

/**
 * The digest email. Sections in the order the team reads them; lists are already capped by the
 * builder, and `fit` drops the least important sections if the HTML would still be clipped.
 */
export function renderEmailDigest(digest: Digest, context: EmailContext = {}): EmailContent {
  const title = `${digest.period === 'daily' ? 'Daily' : 'Weekly'} digest · ${digest.workspaceName} · ${digest.label}`;
  const images: InlineImage[] = [];
  let imageBytes = 0;
  const sections: { html: string; text: string }[] = [];
  /** The chart `name` as an inline image, while the images stay within their byte budget. */
  const inlineImage = (name: string, alt: string): string => {
    const png = context.charts?.get(name);
    if (!png || imageBytes + png.length > EMAIL_LIMITS.imagesBytes) return '';
    imageBytes += png.length;
    const cid = `${name}@pulsecast`;
    images.push({ cid, filename: `${name}.png`, contentType: 'image/png', content: png });
    return `<img src="cid:${escapeHtml(cid)}" width="552" alt="${escapeHtml(truncate(alt, 300))}" style="display:block;width:100%;max-width:552px;height:auto;border:0;margin:8px 0 0;">`;
  };

  const counts = digest.counts;
  sections.push({
    html: `${h2('Posts')}<p style="margin:0;">${counts.published} published · ${counts.failed} failed · ${counts.unknown} outcome unknown · ${counts.upcoming} coming up</p>${
      digest.byChannel.length
        ? `<p style="margin:4px 0 0;color:#4b5563;">${digest.byChannel
            .map((r) => html(`${postChannelText(r)}: ${r.published} published, ${r.failed} failed`, 200))
            .join('<br>')}</p>`
        : ''
    }${
      digest.failures.length
        ? `<ul style="margin:8px 0 0;padding-left:20px;">${digest.failures
            .map((f) => `<li>${html(failureText(f), 400)}</li>`)
            .join('')}</ul>`
        : ''
    }`,
    text: [
      'POSTS',
      `${counts.published} published, ${counts.failed} failed, ${counts.unknown} outcome unknown, ${counts.upcoming} coming up`,
      ...digest.byChannel.map((r) => `  ${postChannelText(r)}: ${r.published} published, ${r.failed} failed`),
      ...digest.failures.map((f) => `  - not published: ${truncate(oneLine(failureText(f)), 400)}`),
    ].join('\n'),
  });

  const postRows = (posts: DigestPost[]) =>
    posts
      .map((p, i) => {
        const url = safeUrl(p.platformUrl);
        const label = html(p.excerpt, 200);
        return `<tr><td style="padding:6px 8px 6px 0;vertical-align:top;color:#6b7280;">${i + 1}.</td><td style="padding:6px 0;">${
          url ? `<a href="${escapeHtml(url)}" style="color:#1d4ed8;">${label}</a>` : label
        }<br><span style="color:#4b5563;font-size:13px;">${html(postChannelText(p), 120)} · ${escapeHtml(postMetricsText(p))}</span></td></tr>`;
      })
      .join('');
  const postText = (posts: DigestPost[]) =>
    posts.map(
      (p, i) =>
        `  ${i + 1}. ${p.excerpt}\n     ${postChannelText(p)} · ${postMetricsText(p)}${p.platformUrl ? `\n     ${p.platformUrl}` : ''}`,
    );
  if (digest.top.length || digest.bottom.length) {
    sections.push({
      html: `${h2(`Top posts by ${metricName(digest.rankedBy)}`)}${inlineImage(POSTS_CHART_NAME, `Top and bottom posts by ${metricName(digest.rankedBy)}`)}<table role="presentation" cellpadding="0" cellspacing="0" border="0">${postRows(digest.top)}</table>${
        digest.bottom.length
          ? `${h2(`Bottom posts by ${metricName(digest.rankedBy)}`)}<table role="presentation" cellpadding="0" cellspacing="0" border="0">${postRows(digest.bottom)}</table>`
          : ''
      }`,
      text: [
        `TOP POSTS BY ${metricName(digest.rankedBy).toUpperCase()}`,
        ...postText(digest.top),
        ...(digest.bottom.length
          ? ['', `BOTTOM POSTS BY ${metricName(digest.rankedBy).toUpperCase()}`, ...postText(digest.bottom)]
          : []),
      ].join('\n'),
    });
  }

  if (digest.goals.length) {
    const parts: string[] = [];
    for (const goal of digest.goals) {
      const image = inlineImage(chartName(goal), `${goal.goalId}: ${goalSummary(goal)}`);
      parts.push(
        `<p style="margin:12px 0 0;"><strong>${html(`${goal.campaignName ?? goal.campaignId} · ${goal.goalId}`, 200)}</strong> — <span style="font-weight:600;">${escapeHtml(statusWords(goal.status))}</span><br>${html(goalSummary(goal), 400)}</p>${image}`,
      );
    }
    sections.push({
      html: `${h2('Goals against their pace lines')}${parts.join('')}`,
      text: [
        'GOALS',
        ...digest.goals.map(
          (g) =>
            `  ${g.campaignName ?? g.campaignId} · ${g.goalId}: ${statusWords(g.status)}\n    ${goalSummary(g)}`,
        ),
      ].join('\n'),
    });
  }

  if (digest.recommendations.length) {
    sections.push({
      html: `${h2('Recommendations')}<ul style="margin:0;padding-left:20px;">${digest.recommendations
        .map(
          (r) =>
            `<li style="margin:0 0 8px;"><strong>${html(r.title, 300)}</strong>${r.detail ? `<br>${html(r.detail, 1200)}` : ''}${
              r.evidence.length
                ? `<br><span style="color:#4b5563;font-size:13px;">${r.evidence
                    .slice(0, 5)
                    .map((e) => html(e, 250))
                    .join('<br>')}</span>`
                : ''
            }</li>`,
        )
        .join('')}</ul>`,
      text: [
        'RECOMMENDATIONS',
        ...digest.recommendations.map(
          (r) =>
            `  - ${oneLine(r.title)}${r.detail ? `\n    ${truncate(r.detail, 1200)}` : ''}${r.evidence
              .slice(0, 5)
              .map((e) => `\n    · ${truncate(e, 250)}`)
              .join('')}`,
        ),
      ].join('\n'),
    });
  }

  for (const section of digest.sections) {
    const items = section.items.map((item) => {
      const url = item.url ? safeUrl(item.url) : undefined;
      const label = html(item.text, 400);
      return `<li style="margin:0 0 4px;">${url ? `<a href="${escapeHtml(url)}" style="color:#1d4ed8;">${label}</a>` : label}</li>`;
    });
    sections.push({
      html: `${h2(section.title)}${section.summary ? `<p style="margin:0;">${html(section.summary, 600)}</p>` : ''}${
        items.length ? `<ul style="margin:8px 0 0;padding-left:20px;">${items.join('')}</ul>` : ''
      }`,
      text: [
        section.title.toUpperCase(),
        ...(section.summary ? [truncate(oneLine(section.summary), 600)] : []),
        ...section.items.map(
          (item) => `  - ${truncate(oneLine(item.text), 400)}${item.url ? `\n    ${item.url}` : ''}`,
        ),
      ].join('\n'),
    });
  }

  const heading = `<h1 style="margin:0 0 4px;font-size:20px;">${html(`${digest.period === 'daily' ? 'Daily' : 'Weekly'} digest · ${digest.workspaceName}`, 200)}</h1><p style="margin:0;color:#6b7280;">${html(digest.label, 200)}</p>`;
  const footerLine = `Pulsecast · ${digest.id}`;
  const build = (kept: typeof sections, note: string): EmailContent => ({
    subject: subjectLine(title),
    html: page(
      title,
      '#2563eb',
      heading + kept.map((s) => s.html).join('\n') + note,
      footerHtml(footerLine, context),
    ),
    text: [
      title,
      '',
      ...kept.map((s) => `${s.text}\n`),
      note ? `${note.replace(/<[^>]+>/g, '')}\n` : '',
      footerText(footerLine, context),
    ].join('\n'),
    images: images.filter((img) => kept.some((s) => s.html.includes(`cid:${escapeHtml(img.cid)}`))),
    bulk: true,
  });
  // Drop sections from the end (recommendations first) until the HTML fits.
  for (let keep = sections.length; keep >= 1; keep--) {
    const note =
      keep < sections.length
        ? '<p style="color:#6b7280;">Some sections were left out to keep this email readable in every mail client.</p>'
        : '';
    const email = build(sections.slice(0, keep), note);
    if (Buffer.byteLength(email.html) <= EMAIL_LIMITS.htmlBytes) return fitLimits(email);
  }
  return fitLimits(build(sections.slice(0, 1), ''));
}

/**
 * The last guard: a message over the byte limits is shortened, never sent clipped or rejected.
 * Cutting HTML would break its markup, so an oversized HTML part is replaced by a short valid
 * page pointing to the plain-text part; the text part is cut at a character boundary.
 */
function fitLimits(email: EmailContent): EmailContent {
  let text = email.text;
  if (Buffer.byteLength(text) > EMAIL_LIMITS.textBytes) {
    // UTF-8 takes at most 4 bytes a character (2 UTF-16 units for those): this always fits.
    text = `${truncate(text, Math.floor(EMAIL_LIMITS.textBytes / 4) - 20)}\n[cut to fit]`;
  }
  if (Buffer.byteLength(email.html) <= EMAIL_LIMITS.htmlBytes) return { ...email, text };
  const title = email.subject.replace(/^\[Pulsecast\] /, '');
  return {
    ...email,
    text,
    images: [],
    html: page(
      title,
      '#6b7280',
      `<h1 style="margin:0 0 12px;font-size:20px;">${html(title, 300)}</h1><p>This message is too long to show here; the plain-text version has all of it.</p>`,
      'Pulsecast',
    ),
  };
}
