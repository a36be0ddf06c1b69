import { chartName, POSTS_CHART_NAME, statusWords } from './chart.ts';
import type { Digest, DigestPost, GoalProgress } from './digest.ts';
import { type Notice, severityMark } from './notice.ts';
import { bar, escapeWithin, oneLine, sparkline, truncate } from './text.ts';
import { metricName } from './vocabulary.ts';
import { failureText, goalProgressText, postChannelText, postMetricsText } from './words.ts';

/**
 * Block Kit rendering. Slack rejects a message that breaks a limit (`invalid_blocks`), so every
 * string is cut to its field's limit here and a digest longer than one message is split into
 * several, each within the block limit. User content is escaped (`&`, `<`, `>`), so a post or
 * a failure reason can never mention `<!channel>` or forge a link.
 *
 * Limits from Slack's Block Kit reference (https://docs.slack.dev/reference/block-kit/blocks).
 */
export const SLACK_LIMITS = {
  /** Blocks in one message. */
  blocksPerMessage: 50,
  /** `header` block: plain_text. */
  headerText: 150,
  /** `section` block: text object. */
  sectionText: 3000,
  /** `section` block: each field, and how many. */
  fieldText: 2000,
  fieldsPerSection: 10,
  /** `context` block: elements. */
  contextElements: 10,
  /** Button label and URL. */
  buttonText: 75,
  url: 3000,
  /** Buttons per `actions` block (Slack allows 25; more is noise). */
  buttons: 5,
  imageAltText: 2000,
  /**
   * Top-level `text`, the notification fallback. Slack truncates past 40,000 characters and
   * advises staying under 4,000; 3,000 keeps it one screen.
   */
  fallbackText: 3000,
} as const;

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | { type: 'image'; image_url: string; alt_text: string; title?: TextObject }
  | {
      type: 'actions';
      elements: SlackButton[];
    };

/** A link button (`url`), or an interactive one (`value`, answered by the app's endpoint). */
export type SlackButton =
  | { type: 'button'; text: TextObject; url: string; action_id: string }
  | { type: 'button'; text: TextObject; value: string; action_id: string; style?: 'primary' | 'danger' };

/** What an incoming webhook takes. */
export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}

/** Slack's three control characters; everything else in mrkdwn is safe to send as is. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const mrkdwn = (text: string, max: number = SLACK_LIMITS.sectionText): TextObject => ({
  type: 'mrkdwn',
  text: truncate(text, max),
});
/** Escaped user text within `max`. */
const safe = (raw: string, max: number) => escapeWithin(raw, max, escapeSlack);
/**
 * plain_text is not parsed as mrkdwn, but whether `&lt;` is decoded there is not documented;
 * angle brackets are swapped for look-alikes instead, so no sequence can mean anything to Slack
 * and `&` reads as itself.
 */
const plain = (text: string, max: number): TextObject => ({
  type: 'plain_text',
  text: truncate(oneLine(text).replaceAll('<', '‹').replaceAll('>', '›'), max) || '…',
  emoji: true,
});

function isSlackUrl(url: string): boolean {
  if (url.length > SLACK_LIMITS.url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A link in mrkdwn: `<url|label>`; the label is escaped and may not contain `|`. */
function link(url: string, label: string, max: number): string {
  if (!isSlackUrl(url) || /[<>|\s]/.test(url)) return safe(label, max);
  const room = max - url.length - 3;
  if (room < 8) return safe(label, max);
  return `<${url}|${safe(label.replaceAll('|', '¦'), room)}>`;
}

/** One alert as a single message (alerts are small by construction; every field is capped). */
export function renderSlackAlert(notice: Notice): SlackPayload {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: plain(`${severityMark(notice.severity)} ${notice.title}`, SLACK_LIMITS.headerText),
    },
  ];
  if (notice.summary)
    blocks.push({ type: 'section', text: mrkdwn(safe(notice.summary, SLACK_LIMITS.sectionText)) });
  const facts = notice.facts.slice(0, SLACK_LIMITS.fieldsPerSection);
  if (facts.length > 0) {
    blocks.push({
      type: 'section',
      fields: facts.map((fact) => {
        const label = `*${safe(oneLine(fact.label), 100)}*\n`;
        return mrkdwn(
          label + safe(fact.value, SLACK_LIMITS.fieldText - label.length),
          SLACK_LIMITS.fieldText,
        );
      }),
    });
  }
  const buttons = notice.links.filter((l) => isSlackUrl(l.url)).slice(0, SLACK_LIMITS.buttons);
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: buttons.map((l, i) => ({
        type: 'button',
        text: plain(l.label, SLACK_LIMITS.buttonText),
        url: l.url,
        action_id: `link-${i}`,
      })),
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(safe(notice.footer, 2000))] });
  return {
    text: safe(`${severityMark(notice.severity)} ${oneLine(notice.title)}`, SLACK_LIMITS.fallbackText),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

function postLine(post: DigestPost, rank: number): string {
  const title = post.platformUrl ? link(post.platformUrl, post.excerpt, 1200) : safe(post.excerpt, 1200);
  return `*${rank}.* ${title}\n${safe(postChannelText(post), 200)} · ${safe(postMetricsText(post), 600)}`;
}

export function goalLine(goal: GoalProgress): string {
  const progress = goal.target === 0 ? 1 : goal.current / goal.target;
  const actual = goal.points.filter((p) => p.actual !== undefined);
  const max = Math.max(goal.target, ...goal.points.map((p) => Math.max(p.pace, p.actual ?? 0)));
  const lines = [
    `*${safe(goal.campaignName ?? goal.campaignId, 200)} · ${safe(goal.goalId, 100)}* — ${statusWords(goal.status)}`,
    `\`${bar(progress)}\` ${safe(goalProgressText(goal), 600)}`,
    ...(goal.reason ? [`_${safe(goal.reason, 400)}_`] : []),
  ];
  if (actual.length > 1) {
    lines.push(
      `actual \`${sparkline(
        actual.map((p) => p.actual ?? 0),
        0,
        max,
      )}\` vs pace \`${sparkline(
        actual.map((p) => p.pace),
        0,
        max,
      )}\` (${actual[0]?.date} → ${actual.at(-1)?.date})`,
    );
  }
  return lines.join('\n');
}

export interface SlackDigestOptions {
  /**
   * Where Slack can fetch each chart, by chart name (`chartName(goal)`, `POSTS_CHART_NAME`):
   * a presigned S3 URL deployed, a local-mode URL locally. A chart without a URL is left out.
   */
  chartUrls?: ReadonlyMap<string, string>;
}

function imageBlock(url: string | undefined, alt: string): SlackBlock[] {
  if (!url || !isSlackUrl(url)) return [];
  return [
    { type: 'image', image_url: url, alt_text: truncate(oneLine(alt), SLACK_LIMITS.imageAltText) || 'chart' },
  ];
}

/**
 * The digest as one or more messages: the blocks in reading order, split into messages of at
 * most 50 blocks; every message after the first says it continues the digest.
 */
export function renderSlackDigest(digest: Digest, options: SlackDigestOptions = {}): SlackPayload[] {
  const title = `${digest.period === 'daily' ? 'Daily' : 'Weekly'} digest · ${digest.workspaceName}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(`📊 ${title}`, SLACK_LIMITS.headerText) },
    { type: 'context', elements: [mrkdwn(safe(digest.label, 2000))] },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Published*\n${digest.counts.published}`),
        mrkdwn(`*Failed*\n${digest.counts.failed}`),
        mrkdwn(`*Outcome unknown*\n${digest.counts.unknown}`),
        mrkdwn(`*Coming up*\n${digest.counts.upcoming}`),
      ],
    },
  ];
  if (digest.byChannel.length > 0) {
    const rows = digest.byChannel.map(
      (row) =>
        `${safe(postChannelText(row), 120)}: ${row.published} published${row.failed ? `, ${row.failed} failed` : ''}${row.unknown ? `, ${row.unknown} unknown` : ''}`,
    );
    blocks.push({ type: 'section', text: mrkdwn(truncate(rows.join('\n'), SLACK_LIMITS.sectionText)) });
  }
  if (digest.failures.length > 0) {
    const rows = digest.failures.map((f) => `• ${safe(failureText(f), 280)}`);
    blocks.push({
      type: 'section',
      text: mrkdwn(truncate(`*Failed posts*\n${rows.join('\n')}`, SLACK_LIMITS.sectionText)),
    });
  }
  if (digest.top.length > 0) {
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: mrkdwn(`*Top posts* by ${metricName(digest.rankedBy)}`) });
    blocks.push(
      ...imageBlock(
        options.chartUrls?.get(POSTS_CHART_NAME),
        `Top and bottom posts by ${metricName(digest.rankedBy)}`,
      ),
    );
    for (const [i, post] of digest.top.entries())
      blocks.push({ type: 'section', text: mrkdwn(postLine(post, i + 1)) });
  }
  if (digest.bottom.length > 0) {
    blocks.push({ type: 'section', text: mrkdwn(`*Bottom posts* by ${metricName(digest.rankedBy)}`) });
    for (const [i, post] of digest.bottom.entries())
      blocks.push({ type: 'section', text: mrkdwn(postLine(post, i + 1)) });
  }
  if (digest.goals.length > 0) {
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: mrkdwn('*Goals* against their pace lines') });
    for (const goal of digest.goals) {
      blocks.push({ type: 'section', text: mrkdwn(goalLine(goal)) });
      blocks.push(
        ...imageBlock(options.chartUrls?.get(chartName(goal)), `${goal.goalId}: ${goalProgressText(goal)}`),
      );
    }
  }
  if (digest.recommendations.length > 0) {
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: mrkdwn('*Recommendations*') });
    for (const r of digest.recommendations) {
      const body = [
        `*${safe(r.title, 300)}*`,
        r.detail ? safe(r.detail, 1200) : undefined,
        ...r.evidence.slice(0, 5).map((e) => `• ${safe(e, 250)}`),
      ].filter(Boolean);
      blocks.push({ type: 'section', text: mrkdwn(truncate(body.join('\n'), SLACK_LIMITS.sectionText)) });
    }
  }
  for (const section of digest.sections) {
    const body = [
      `*${safe(section.title, 200)}*`,
      section.summary ? safe(section.summary, 600) : undefined,
      ...section.items.map((item) => `• ${item.url ? link(item.url, item.text, 400) : safe(item.text, 280)}`),
    ].filter(Boolean);
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: mrkdwn(truncate(body.join('\n'), SLACK_LIMITS.sectionText)) });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(safe(`Pulsecast · ${digest.id}`, 2000))] });
  return splitBlocks(blocks, oneLine(`📊 ${title}: ${digest.label}`));
}

/** Splits blocks into messages of at most 50, each after the first opening with a "continued" line. */
export function splitBlocks(blocks: readonly SlackBlock[], fallback: string): SlackPayload[] {
  const max = SLACK_LIMITS.blocksPerMessage;
  const first = blocks.slice(0, max);
  const rest = blocks.slice(max);
  const parts: SlackBlock[][] = [first];
  for (let i = 0; i < rest.length; i += max - 1) parts.push(rest.slice(i, i + max - 1));
  return parts.map((part, i) => {
    const suffix = parts.length > 1 ? ` (${i + 1}/${parts.length})` : '';
    const withContinued: SlackBlock[] =
      i === 0 ? part : [{ type: 'context', elements: [mrkdwn(`_continued${suffix}_`)] }, ...part];
    return {
      text: safe(fallback + suffix, SLACK_LIMITS.fallbackText),
      blocks: withContinued,
      unfurl_links: false,
      unfurl_media: false,
    };
  });
}
