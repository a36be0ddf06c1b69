import type { Goal } from '../domain/index.ts';
import { type AccrualCurve, describeCurve, learnCurves, MIN_SHARE, measuredAge, shareAt } from './accrual.ts';
import type { EvaluationInput, Forecast, GoalEvaluation, PostPerformance } from './model.ts';
import { inScope, isCount, isPublished, isUpcoming, metricKind, postMetricValue } from './scope.ts';
import { BAND_CONFIDENCE, mean, round, sampleVariance, sum, t80 } from './stats.ts';

/**
 * Forecasting a total at the end of a goal's window from how posts accrue
 * (docs/architecture.md#goals-and-recommendations):
 *
 * - `posts`: published + still scheduled in the window, plus — only when the campaign states a
 *   cadence — the posts that cadence plans but the calendar does not hold yet.
 * - Sums (impressions, engagements, clicks, conversions, value, …): every published post is
 *   expected to end at its value so far divided by the share its age has reached on its
 *   channel's accrual curve (accrual.ts); every post still to come (published but unmeasured,
 *   scheduled, planned by the cadence) adds the mean final value per post. The mean and spread
 *   per post come from the window's measured posts, or — with fewer than
 *   {@link MIN_WINDOW_SAMPLE} — from the same scope's posts of the last 90 days as well.
 * - The 80 % band is ± t · sd with sd² = F·σ² + F²·σ²/n (F posts to come, per-post spread σ from
 *   n posts: the sum's own variance plus the uncertainty of the mean) + the unknown remainder
 *   of posts still accruing (half their expected remainder, as a standard deviation); t is
 *   Student's 90th percentile for n − 1 degrees of freedom, so fewer posts give a wider band.
 *   Once nothing is left to come and every post has levelled off, the band closes on the value.
 */

/** Measured posts in the window before the per-post yield stands on the window alone. */
export const MIN_WINDOW_SAMPLE = 3;
/** Measured posts (window and history) needed to forecast posts still to come. */
export const MIN_SAMPLE = 2;

export interface ForecastPeriod {
  startMs: number;
  endMs: number;
  days: number;
}

export type TotalForecast =
  | { forecast: Forecast; plannedPosts: number; perPost?: GoalEvaluation['evidence']['perPost'] }
  | { missing: string; reason: string; enoughBy?: string };

interface Upcoming {
  /** Scheduled posts in scope still due inside the window, soonest first (UTC ISO). */
  scheduled: string[];
  /** Posts the stated cadence adds beyond them. */
  planned: number;
  assumptions: string[];
}

/** Scheduled posts still due in the window, and what a stated cadence plans on top. */
export function upcomingPosts(
  goal: Goal,
  input: EvaluationInput,
  scoped: readonly PostPerformance[],
  p: ForecastPeriod,
): Upcoming {
  const now = input.now.getTime();
  const due = scoped.filter(({ post }) => {
    const at = Date.parse(post.scheduledAt);
    return isUpcoming(post) && at >= now && at < p.endMs;
  });
  const scheduled = due.map(({ post }) => post.scheduledAt).sort();
  const assumptions = [`every one of the ${scheduled.length} posts still scheduled in the window publishes`];
  let planned = 0;
  const daysLeft = Math.max(0, (p.endMs - Math.max(now, p.startMs)) / 86_400_000);
  for (const [channel, perWeek] of Object.entries(input.campaign.cadence ?? {}).sort()) {
    if (!channelInScope(goal, channel, input)) continue;
    const onCalendar = due.filter(({ post }) => post.channel === channel).length;
    const more = Math.max(0, Math.round((perWeek * daysLeft) / 7) - onCalendar);
    if (more === 0) continue;
    planned += more;
    assumptions.push(
      `the stated cadence of ${perWeek} posts a week on ${channel} adds ${more} posts not on the calendar yet`,
    );
  }
  return { scheduled, planned, assumptions };
}

function channelInScope(goal: Goal, channel: string, input: EvaluationInput): boolean {
  const scope = goal.scope ?? {};
  if (scope.channels && !scope.channels.includes(channel)) return false;
  const platform = input.channels.get(channel)?.platform;
  return !scope.platforms || (platform !== undefined && scope.platforms.includes(platform));
}

/** The forecast of a `posts` goal: what is published plus what is still coming. */
export function countForecast(current: number, upcoming: Upcoming): TotalForecast {
  const known = current + upcoming.scheduled.length;
  const spread = upcoming.planned > 0 ? t80(upcoming.planned) * Math.sqrt(upcoming.planned) : 0;
  const value = known + upcoming.planned;
  return {
    forecast: {
      value,
      low: round(Math.max(known, value - spread), 4),
      high: round(value + spread, 4),
      confidence: BAND_CONFIDENCE,
      method: `${current} published + ${upcoming.scheduled.length} scheduled${upcoming.planned > 0 ? ` + ${upcoming.planned} planned by the stated cadence` : ''}`,
      assumptions: [
        ...upcoming.assumptions,
        ...(upcoming.planned === 0 ? ['no posts beyond the calendar (the campaign states no cadence)'] : []),
      ],
    },
    plannedPosts: upcoming.scheduled.length + upcoming.planned,
  };
}

/**
 * A post's value toward the goal: its metric, or the conversions attributed to it (those in the
 * window for the window's posts; all of them for a post of the history).
 */
function postValues(
  goal: Goal,
  input: EvaluationInput,
  p: ForecastPeriod,
): (pp: PostPerformance) => number | undefined {
  if (metricKind(goal.metric) !== 'conversions') return (pp) => postMetricValue(goal.metric, pp);
  const inWindow = new Map<string, number>();
  const all = new Map<string, number>();
  const until = Math.min(p.endMs, input.now.getTime());
  for (const c of input.conversions) {
    if (!c.postId) continue;
    const add = goal.metric === 'conversionValue' ? c.value : 1;
    all.set(c.postId, (all.get(c.postId) ?? 0) + add);
    const at = Date.parse(c.occurredAt);
    if (at >= p.startMs && at < until) inWindow.set(c.postId, (inWindow.get(c.postId) ?? 0) + add);
  }
  return (pp) => {
    const windowPost = Date.parse(pp.post.publishedAt ?? '') >= p.startMs;
    return (windowPost ? inWindow : all).get(pp.post.id) ?? 0;
  };
}

interface Final {
  value: number;
  final: number;
  share: number;
}

/** The forecast of a sum (see the module comment); `current` is the goal's value so far. */
export function sumForecast(
  goal: Goal,
  input: EvaluationInput,
  scoped: readonly PostPerformance[],
  p: ForecastPeriod,
  current: number,
  upcoming: Upcoming,
): TotalForecast {
  const now = input.now;
  const curves = learnCurves(input, goal.metric);
  const curveOf = (channel: string): AccrualCurve =>
    curves.get(channel) ?? { channel, tauHours: 24, pairs: 0, posts: 0 };
  const valueOfPost = postValues(goal, input, p);
  const conversions = metricKind(goal.metric) === 'conversions';
  const finalOf = (pp: PostPerformance): Final | undefined => {
    const value = valueOfPost(pp);
    if (value === undefined) return undefined;
    const age = conversions ? measuredAge({ post: pp.post }, now) : measuredAge(pp, now);
    const share = shareAt(curveOf(pp.post.channel), age);
    return { value, share, final: share >= MIN_SHARE ? value / share : value };
  };
  const published = scoped.filter(({ post }) => {
    const at = Date.parse(post.publishedAt ?? '');
    return isPublished(post) && at >= p.startMs && at < Math.min(p.endMs, now.getTime());
  });
  const finals = published.map((pp) => ({ pp, f: finalOf(pp) }));
  const settled = finals.filter((x) => x.f && x.f.share >= MIN_SHARE).map((x) => (x.f as Final).final);
  let sample = settled;
  let source: 'window' | 'history' = 'window';
  let importedPosts = 0;
  if (sample.length < MIN_WINDOW_SAMPLE) {
    const history = historySample(goal, input, p, finalOf);
    if (history.values.length > 0) {
      sample = [...settled, ...history.values];
      source = 'history';
      importedPosts = history.imported;
    }
  }
  const young = finals.filter((x) => !x.f || x.f.share < MIN_SHARE).length;
  const toCome = young + upcoming.scheduled.length + upcoming.planned;
  const n = sample.length;
  if (toCome > 0 && n < MIN_SAMPLE) {
    const need = MIN_SAMPLE - n;
    const next = upcoming.scheduled[need - 1];
    const enoughBy = next ? new Date(Date.parse(next) + 24 * 3_600_000).toISOString() : undefined;
    return {
      reason: `${n} measured post(s) in scope to learn what a post adds`,
      missing: `need ≥ ${MIN_SAMPLE} posts in scope measured at least a day after publishing (this window or the last 90 days); have ${n}${enoughBy ? `; enough once the next ${need} scheduled post(s) are a day old, by ${enoughBy}` : '; schedule posts in scope'}`,
      ...(enoughBy ? { enoughBy } : {}),
    };
  }
  const mu = n > 0 ? mean(sample) : 0;
  const variance = isCount(goal.metric) ? Math.max(sampleVariance(sample), mu) : sampleVariance(sample);
  const counted = sum(finals.map((x) => (x.f && x.f.share >= MIN_SHARE ? x.f.final : 0)));
  const youngSoFar = sum(finals.map((x) => (x.f && x.f.share < MIN_SHARE ? x.f.value : 0)));
  const attributedSoFar = sum(finals.map((x) => x.f?.value ?? 0));
  // What the goal counts that no post in the window carries (conversions of earlier posts).
  const other = Math.max(0, current - attributedSoFar);
  const value = other + counted + youngSoFar + toCome * mu;
  const remainderVariance = sum(
    finals.map((x) => (x.f && x.f.share >= MIN_SHARE ? (0.5 * (x.f.final - x.f.value)) ** 2 : 0)),
  );
  const sd = Math.sqrt(
    remainderVariance + toCome * variance + (n > 0 ? (toCome * toCome * variance) / n : 0),
  );
  const t = t80(Math.max(1, n - 1));
  const channels = [...new Set(published.map(({ post }) => post.channel))].sort();
  const assumptions = [
    ...upcoming.assumptions,
    ...(upcoming.planned === 0 ? ['no posts beyond the calendar (the campaign states no cadence)'] : []),
    ...channels.map((channel) => describeCurve(curveOf(channel))),
    `each post still to come adds what the ${n} measured posts ${source === 'window' ? 'of the window' : 'in scope (this window and the last 90 days)'} did on average: ${round(mu, 2)} (σ ${round(Math.sqrt(variance), 2)})`,
    ...(importedPosts > 0
      ? [
          `${importedPosts} of those ${n} posts were imported from the account's history: their numbers are the public counts read once at import, taken as their final values`,
        ]
      : []),
    ...(metricKind(goal.metric) === 'conversions'
      ? [
          'conversions keep coming in like engagement does (the channel curve) and count while the window lasts',
        ]
      : []),
  ];
  return {
    forecast: {
      value: round(value, 4),
      low: round(Math.max(current, value - t * sd), 4),
      high: round(value + t * sd, 4),
      confidence: BAND_CONFIDENCE,
      method: `${published.length - young} published posts at their expected final value (${round(counted, 2)}) + ${toCome} posts to come × ${round(mu, 2)}; band ± ${round(t, 3)}·sd, sd = ${round(sd, 2)}`,
      assumptions,
    },
    plannedPosts: toCome,
    perPost: {
      mean: round(mu, 4),
      stdDev: round(Math.sqrt(variance), 4),
      posts: n,
      source,
      ...(importedPosts > 0 ? { importedPosts } : {}),
    },
  };
}

/** Final values of the same scope's measured posts of the 90 days before the window. */
function historySample(
  goal: Goal,
  input: EvaluationInput,
  p: ForecastPeriod,
  finalOf: (pp: PostPerformance) => Final | undefined,
): { values: number[]; imported: number } {
  const scope = { ...(goal.scope ?? {}), posts: 'all' as const };
  const since = p.startMs - 90 * 86_400_000;
  const out: number[] = [];
  let imported = 0;
  for (const pp of input.posts) {
    const at = Date.parse(pp.post.publishedAt ?? '');
    if (!isPublished(pp.post) || at < since || at >= p.startMs) continue;
    if (!inScope(pp.post, scope, input.campaign, input.channels)) continue;
    const f = finalOf(pp);
    if (f && f.share >= MIN_SHARE) {
      out.push(f.final);
      if (pp.post.origin === 'imported') imported++;
    }
  }
  return { values: out, imported };
}
