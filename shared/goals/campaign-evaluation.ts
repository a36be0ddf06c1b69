import type { Campaign } from '../domain/index.ts';
import { makeEvent, type PulsecastEvent } from '../events.ts';
import { addDays, localDate, localHourMs } from './days.ts';
import { evaluateGoal } from './evaluate.ts';
import type { CampaignEvaluation, EvaluationInput, PostPerformance, PostSummary } from './model.ts';
import { recommend } from './recommend.ts';
import { engagementsOf, isMature } from './scope.ts';

/** Top and bottom posts shown in the report. */
export const REPORT_POSTS = 5;
/** Days after its last goal's window a campaign is still evaluated (late conversions and metrics). */
export const GRACE_DAYS = 7;
/** Local hour from which a campaign's daily evaluation is due. */
export const EVALUATE_AT_HOUR = 6;

/** Evaluates every goal of the campaign and what to change, from plain data (pure). */
export function evaluateCampaign(input: EvaluationInput): CampaignEvaluation {
  const { campaign, now } = input;
  const goals = campaign.goals.map((goal) => evaluateGoal(goal, input));
  const { recommendations, missingData } = recommend(input, goals);
  const { top, bottom } = topAndBottom(input.posts, campaign, now);
  return {
    campaignId: campaign.id,
    campaignVersion: campaign.version,
    timezone: campaign.timezone,
    asOf: now.toISOString(),
    asOfDate: localDate(now, campaign.timezone),
    goals,
    recommendations,
    missingData,
    topPosts: top,
    bottomPosts: bottom,
  };
}

function topAndBottom(
  posts: readonly PostPerformance[],
  campaign: Campaign,
  now: Date,
): { top: PostSummary[]; bottom: PostSummary[] } {
  const ranked = posts
    .filter((p) => p.post.campaign === campaign.id && isMature(p, now))
    .map((p) => ({ p, engagements: engagementsOf(p.metrics) }))
    .filter((r): r is { p: PostPerformance; engagements: number } => r.engagements !== undefined)
    .sort((a, b) => b.engagements - a.engagements || a.p.post.id.localeCompare(b.p.post.id))
    .map(
      ({ p, engagements }): PostSummary => ({
        postId: p.post.id,
        channel: p.post.channel,
        publishedAt: p.post.publishedAt as string,
        engagements,
        text: p.post.text.length > 80 ? `${p.post.text.slice(0, 79)}…` : p.post.text,
      }),
    );
  const top = ranked.slice(0, REPORT_POSTS);
  const bottom = ranked.slice(Math.max(REPORT_POSTS, ranked.length - REPORT_POSTS)).reverse();
  return { top, bottom };
}

/**
 * What changed since the previous day's evaluation, as events: `Goal Status Changed` for every
 * goal whose status differs (the first evaluation of a goal announces its status), and
 * `Strategy Adjustment Recommended` for every recommendation not made the previous time.
 * Event ids are stable per campaign, goal or recommendation, and day, so running the same day's
 * evaluation again announces the same facts under the same ids (consumers deduplicate).
 */
export function changesSince(
  previous: CampaignEvaluation | undefined,
  current: CampaignEvaluation,
): PulsecastEvent[] {
  const events: PulsecastEvent[] = [];
  const occurredAt = current.asOf;
  for (const goal of current.goals) {
    const before = previous?.goals.find((g) => g.goalId === goal.goalId)?.status;
    if (before === goal.status) continue;
    events.push(
      makeEvent('Goal Status Changed', {
        eventId: `goal-status:${current.campaignId}:${goal.goalId}:${current.asOfDate}:${goal.status}`,
        occurredAt,
        campaignId: current.campaignId,
        goalId: goal.goalId,
        ...(before ? { previousStatus: before } : {}),
        status: goal.status,
        metric: goal.metric,
        direction: goal.direction,
        window: goal.window,
        asOfDate: current.asOfDate,
        reason: goal.reason,
        ...(goal.current !== undefined ? { current: goal.current } : {}),
        ...(goal.target !== undefined ? { target: goal.target } : {}),
        ...(goal.expectedByNow !== undefined ? { expectedByNow: goal.expectedByNow } : {}),
        ...(goal.forecast
          ? { forecast: { value: goal.forecast.value, low: goal.forecast.low, high: goal.forecast.high } }
          : {}),
        ...(goal.missing ? { missing: goal.missing } : {}),
      }),
    );
  }
  const made = new Set(previous?.recommendations.map((r) => r.id) ?? []);
  for (const recommendation of current.recommendations) {
    if (made.has(recommendation.id)) continue;
    events.push(
      makeEvent('Strategy Adjustment Recommended', {
        eventId: `recommendation:${current.campaignId}:${recommendation.id}:${current.asOfDate}`,
        occurredAt,
        campaignId: current.campaignId,
        asOfDate: current.asOfDate,
        recommendation: { ...recommendation },
      }),
    );
  }
  return events;
}

/**
 * Whether a campaign is still evaluated: some goal's window has not ended more than
 * {@link GRACE_DAYS} days ago (goals ending later get their final ACHIEVED or MISSED, and late
 * conversions still count).
 */
export function isActive(campaign: Campaign, now: Date): boolean {
  const today = localDate(now, campaign.timezone);
  return campaign.goals.some((goal) => addDays(goal.window.to, GRACE_DAYS) >= today);
}

/**
 * Whether the campaign's daily evaluation is due: it is active, its local time is past
 * {@link EVALUATE_AT_HOUR}, and the latest evaluation is from an earlier local date (or there
 * is none). An hourly sweep therefore evaluates each campaign once a day, early in its own
 * morning, in any time zone, and catches up after a missed hour.
 */
export function isDue(campaign: Campaign, lastEvaluatedDate: string | undefined, now: Date): boolean {
  if (!isActive(campaign, now)) return false;
  const today = localDate(now, campaign.timezone);
  if (lastEvaluatedDate !== undefined && lastEvaluatedDate >= today) return false;
  return now.getTime() >= localHourMs(today, EVALUATE_AT_HOUR, campaign.timezone);
}
