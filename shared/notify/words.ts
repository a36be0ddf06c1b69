import type { Digest, DigestPost, GoalProgress } from './digest.ts';
import { platformName } from './notice.ts';
import { formatMetric, formatNumber, formatPercent, localDate, metricAgainstTarget } from './vocabulary.ts';

/**
 * The sentences the Slack and email renderers share (plain text; each renderer escapes them
 * for its medium), so both say the same thing in the same words.
 */

/** "1,200 impressions · 85 engagements · 7.1 % engagement rate · 40 link clicks". */
export function postMetricsText(post: DigestPost): string {
  const m = post.metrics;
  return [
    m.impressions !== undefined ? `${formatNumber(m.impressions)} impressions` : undefined,
    m.reach !== undefined && m.impressions === undefined ? `${formatNumber(m.reach)} reach` : undefined,
    m.engagements !== undefined ? `${formatNumber(m.engagements)} engagements` : undefined,
    post.engagementRate !== undefined ? `${formatPercent(post.engagementRate)} engagement rate` : undefined,
    m.clicks !== undefined ? `${formatNumber(m.clicks)} link clicks` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** "@acme on LinkedIn": the channel's handle where known, else its id. */
export function postChannelText(post: {
  channel: string;
  handle?: string | undefined;
  platform: string;
}): string {
  return `${post.handle ?? post.channel} on ${platformName(post.platform)}`;
}

/** A goal's forecast with its band: ", forecast 4,100 by 28 Feb 2027 (80 % band 3,300–4,900)". */
export function forecastText(goal: GoalProgress): string {
  if (goal.forecast === undefined) return '';
  const band =
    goal.forecastLow !== undefined && goal.forecastHigh !== undefined
      ? ` (80 % band ${formatMetric(goal.metric, goal.forecastLow)}–${formatMetric(goal.metric, goal.forecastHigh)})`
      : '';
  return `, forecast ${formatMetric(goal.metric, goal.forecast)} by ${localDate(goal.window.to)}${band}`;
}

/**
 * "engagement rate 3.6 % (target 2 %); pace 1.5 % by now, forecast 4 % by 28 Feb 2027
 * (80 % band 3–5 %); window 1 Dec 2026 – 28 Feb 2027."
 */
export function goalProgressText(goal: GoalProgress): string {
  return `${metricAgainstTarget(goal.metric, goal.current, goal.target)}; pace ${formatMetric(goal.metric, goal.expected)} by now${forecastText(goal)}; window ${localDate(goal.window.from)} – ${localDate(goal.window.to)}.`;
}

/** A failed post: "“Spring is here…” on @acme (LinkedIn): token expired". */
export function failureText(failure: Digest['failures'][number]): string {
  const what = failure.excerpt ? `“${failure.excerpt}”` : failure.postId;
  const where = failure.platform
    ? postChannelText({ ...failure, platform: failure.platform })
    : (failure.handle ?? failure.channel);
  return `${what} on ${where}: ${failure.reason}`;
}
