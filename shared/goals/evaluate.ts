import type { DateWindow, Goal } from '../domain/index.ts';
import { evaluateAudienceGoal, isAudienceMetric } from './audience-goal.ts';
import { addDays, dayStartMs, daysBetween, fractionOfDay, localDate, windowDays } from './days.ts';
import { countForecast, sumForecast, upcomingPosts } from './forecast.ts';
import { evaluateListeningGoal } from './listening.ts';
import type { EvaluationInput, Forecast, GoalEvaluation, PostPerformance } from './model.ts';
import {
  audienceOf,
  engagementsOf,
  inScope,
  isPublished,
  isUpcoming,
  metricKind,
  postMetricValue,
} from './scope.ts';
import { BAND_CONFIDENCE, mean, round, sum, Z_80 } from './stats.ts';
import { verdictOf } from './verdict.ts';

/**
 * Evaluating one goal (docs/architecture.md#goals-and-recommendations). The rules, in the order they
 * are applied:
 *
 * Measuring. A goal counts the posts in its scope (see GoalScope) and the conversions
 * attributed to them. Post metrics (impressions, engagements, …) count on the local day the
 * post was published, with the post's latest numbers; conversions count on the day they
 * happened; `posts` counts posts published. `engagementRate` is Σ engagements / Σ reach
 * (impressions where a platform reports no reach, as measuring does) over the window's measured
 * posts, in percent.
 *
 * Target. Absolute, or relative: the baseline period's total, scaled per day to the window's
 * length, times (1 + changePercent / 100); for engagementRate the baseline's rate times the same
 * factor. A relative goal needs a baseline with data in it.
 *
 * Pace (expected by now). Totals follow a straight line from 0 at the window's start to the
 * target at its end: target × elapsed days / window days. A rate's pace is its target (absolute)
 * or a straight line from the baseline rate to the target rate (relative).
 *
 * Forecast. Totals: see forecast.ts — what is published at its expected final value (from the
 * channel's accrual curve) plus what is still scheduled (plus what a stated cadence plans) at
 * the mean yield per post, with an 80 % band that widens with fewer measured posts; `posts` is
 * published + scheduled (+ planned by a stated cadence). A rate's forecast is the rate so far;
 * its band comes from the per-post spread of the rate and the posts still scheduled in the
 * window (none left: no band). Every forecast lists its assumptions.
 *
 * Status. ACHIEVED and MISSED only once decidable: an `atLeast` total that has reached its
 * target is ACHIEVED (totals only grow); an `atMost` total over its target is MISSED; otherwise
 * both wait for the window to end, and then the value decides. Before the window: NOT_STARTED.
 * With too little to go on (fewer than 2 measured posts to learn a post's yield from, fewer than
 * 5 measured posts for a rate,
 * no posts in scope, posts without metrics, a metric Pulsecast cannot measure): NOT_ENOUGH_DATA
 * with what is missing. Otherwise, for `atLeast`: ON_TRACK when the band's low end reaches the
 * target, OFF_TRACK when its high end falls short, AT_RISK in between (mirrored for `atMost`).
 */

/** Measured posts needed for a rate (in the window, and in a relative goal's baseline). */
export const MIN_RATE_POSTS = 5;

interface Period {
  window: DateWindow;
  startMs: number;
  endMs: number;
  days: number;
}

function period(window: DateWindow, zone: string): Period {
  return {
    window,
    startMs: dayStartMs(window.from, zone),
    endMs: dayStartMs(addDays(window.to, 1), zone),
    days: windowDays(window),
  };
}

/** What a period holds for one goal, as far as it has gone by `now`. */
interface Measured {
  /** Per local day of the period (up to today), the goal's value. */
  daily: number[];
  total: number;
  posts: number;
  measuredPosts: number;
  /** Posts read from the account's history (the audit), among `posts`. */
  importedPosts: number;
  /** Measured posts whose platform does not report the metric. */
  lackingMetric: number;
  conversions: number;
  currencies: Set<string>;
  /** For rates: Σ engagements, Σ audience and the per-post pairs. */
  rate?: { engagements: number; audience: number; pairs: [number, number][] };
}

function measure(
  goal: Goal,
  p: Period,
  input: EvaluationInput,
  scoped: readonly PostPerformance[],
): Measured {
  const zone = input.campaign.timezone;
  const untilMs = Math.min(p.endMs, input.now.getTime());
  const dayCount = Math.max(0, Math.min(p.days, daysBetween(p.window.from, localDate(input.now, zone)) + 1));
  const daily = new Array<number>(dayCount).fill(0);
  const dayIndex = (instant: string) => daysBetween(p.window.from, localDate(instant, zone));
  const result: Measured = {
    daily,
    total: 0,
    posts: 0,
    measuredPosts: 0,
    importedPosts: 0,
    lackingMetric: 0,
    conversions: 0,
    currencies: new Set(),
  };
  const kind = metricKind(goal.metric);
  const rate = { engagements: 0, audience: 0, pairs: [] as [number, number][] };

  for (const performance of scoped) {
    const { post } = performance;
    if (!isPublished(post) || !post.publishedAt) continue;
    const at = Date.parse(post.publishedAt);
    if (at < p.startMs || at >= untilMs) continue;
    result.posts++;
    if (post.origin === 'imported') result.importedPosts++;
    if (performance.metrics) result.measuredPosts++;
    const index = dayIndex(post.publishedAt);
    if (kind === 'posts') {
      daily[index] = (daily[index] ?? 0) + 1;
    } else if (kind === 'postMetric' && performance.metrics) {
      const value = postMetricValue(goal.metric, performance);
      if (value === undefined) result.lackingMetric++;
      else daily[index] = (daily[index] ?? 0) + value;
    } else if (kind === 'rate' && performance.metrics) {
      const engagements = engagementsOf(performance.metrics);
      const audience = audienceOf(performance.metrics);
      if (engagements === undefined || !audience) {
        result.lackingMetric++;
      } else {
        rate.engagements += engagements;
        rate.audience += audience;
        rate.pairs.push([engagements, audience]);
      }
    }
  }

  if (kind === 'conversions') {
    const ids = new Set(scoped.map((performance) => performance.post.id));
    for (const conversion of input.conversions) {
      if (!conversion.postId || !ids.has(conversion.postId)) continue;
      const at = Date.parse(conversion.occurredAt);
      if (at < p.startMs || at >= untilMs) continue;
      result.conversions++;
      result.currencies.add(conversion.currency);
      const index = dayIndex(conversion.occurredAt);
      daily[index] = (daily[index] ?? 0) + (goal.metric === 'conversionValue' ? conversion.value : 1);
    }
  }
  result.total = sum(daily);
  if (kind === 'rate') result.rate = rate;
  return result;
}

function ratePercent(measured: Measured): number {
  const rate = measured.rate;
  return rate && rate.audience > 0 ? (100 * rate.engagements) / rate.audience : 0;
}

/** Evaluates one goal of `input.campaign` at `input.now`. Never throws for lack of data. */
export function evaluateGoal(goal: Goal, input: EvaluationInput): GoalEvaluation {
  const zone = input.campaign.timezone;
  const now = input.now;
  const today = localDate(now, zone);
  const windowPeriod = period(goal.window, zone);
  const D = windowPeriod.days;
  const started = today >= goal.window.from;
  const over = today > goal.window.to;
  const completeDays = over ? D : Math.max(0, Math.min(D, daysBetween(goal.window.from, today)));
  const elapsed = over ? D : started ? completeDays + fractionOfDay(now, zone) : 0;
  const kind = metricKind(goal.metric);
  const scope = goal.scope ?? {};
  const scoped = input.posts.filter((performance) =>
    inScope(performance.post, scope, input.campaign, input.channels),
  );
  const scheduledPosts = scoped.filter(({ post }) => {
    const at = Date.parse(post.scheduledAt);
    return isUpcoming(post) && at >= now.getTime() && at < windowPeriod.endMs;
  }).length;

  const base = {
    goalId: goal.id,
    metric: goal.metric,
    direction: goal.direction,
    window: goal.window,
    asOfDate: today,
    daysTotal: D,
    daysElapsed: round(elapsed, 4),
  };
  if (isAudienceMetric(goal.metric)) return evaluateAudienceGoal(goal, input, base);
  const notEnough = (
    reason: string,
    missing: string[],
    extra: Partial<GoalEvaluation> = {},
    evidence: Partial<GoalEvaluation['evidence']> = {},
  ): GoalEvaluation => ({
    ...base,
    status: 'NOT_ENOUGH_DATA',
    reason,
    missing,
    ...extra,
    evidence: { posts: 0, measuredPosts: 0, scheduledPosts, conversions: 0, ...evidence },
  });

  if (kind === 'listening') return evaluateListeningGoal(goal, input.listening, now, zone, base);

  // --- the target --------------------------------------------------------------------------------
  let target: number;
  let baseline: GoalEvaluation['baseline'];
  if (goal.target.kind === 'absolute') {
    target = goal.target.value;
  } else {
    const b = period(goal.target.baseline, zone);
    if (today <= goal.target.baseline.to) {
      if (!started) {
        return {
          ...base,
          status: 'NOT_STARTED',
          reason: `the window starts on ${goal.window.from}; the baseline period ends on ${b.window.to}`,
          evidence: { posts: 0, measuredPosts: 0, scheduledPosts, conversions: 0 },
        };
      }
      return notEnough(`the baseline period ${b.window.from}…${b.window.to} is not over yet`, [
        `the baseline period ends on ${b.window.to}; its total is known only after that`,
      ]);
    }
    const measuredBaseline = measure(goal, b, input, scoped);
    const value = kind === 'rate' ? ratePercent(measuredBaseline) : measuredBaseline.total;
    baseline = {
      window: b.window,
      value: round(value, 4),
      days: b.days,
      posts: measuredBaseline.posts,
      ...(measuredBaseline.importedPosts > 0 ? { importedPosts: measuredBaseline.importedPosts } : {}),
      conversions: measuredBaseline.conversions,
    };
    const gap = baselineGap(goal, kind, measuredBaseline, value);
    if (gap) {
      return notEnough(`the baseline period ${b.window.from}…${b.window.to} has ${gap.have}`, [gap.missing], {
        baseline,
      });
    }
    const factor = 1 + goal.target.changePercent / 100;
    target = kind === 'rate' ? value * factor : (value / b.days) * D * factor;
  }

  // --- the window so far -------------------------------------------------------------------------
  const measured = measure(goal, windowPeriod, input, scoped);
  const current = kind === 'rate' ? ratePercent(measured) : measured.total;
  const evidence: GoalEvaluation['evidence'] = {
    posts: measured.posts,
    measuredPosts: measured.measuredPosts,
    scheduledPosts,
    conversions: measured.conversions,
  };
  const baselineRate = baseline?.value;
  const expectedByNow =
    kind === 'rate'
      ? baselineRate === undefined
        ? target
        : baselineRate + ((target - baselineRate) * elapsed) / D
      : (target * elapsed) / D;
  const known = {
    ...base,
    current: round(current, 4),
    target: round(target, 4),
    ...(baseline ? { baseline } : {}),
    expectedByNow: round(expectedByNow, 4),
  };
  const unit = goal.metric === 'engagementRate' ? ' %' : '';
  const show = (value: number) => `${round(value, 2)}${unit}`;
  const verdict = verdictOf(known, evidence);
  const atLeast = goal.direction === 'atLeast';

  if (!started) {
    return verdict('NOT_STARTED', `the window starts on ${goal.window.from}`);
  }
  if (goal.metric === 'conversionValue' && measured.currencies.size > 1) {
    const currencies = [...measured.currencies].sort().join(', ');
    return notEnough(
      `conversions in scope are in several currencies (${currencies})`,
      [`conversion values can only be added up in one currency; these are in ${currencies}`],
      known,
      evidence,
    );
  }
  if ((kind === 'postMetric' || kind === 'rate') && measured.posts > 0 && measured.measuredPosts === 0) {
    return notEnough(
      `none of the ${measured.posts} posts in scope has metrics yet`,
      [
        `metrics for the ${measured.posts} published posts in scope (the first collection runs within the hour)`,
      ],
      known,
      evidence,
    );
  }
  if (
    (kind === 'postMetric' || kind === 'rate') &&
    measured.measuredPosts > 0 &&
    measured.lackingMetric === measured.measuredPosts
  ) {
    const what = kind === 'rate' ? 'engagements with reach or impressions' : goal.metric;
    return notEnough(
      `none of the ${measured.measuredPosts} measured posts reports ${what}`,
      [`a platform in scope that reports ${what} (some do not, e.g. Bluesky has no impressions)`],
      known,
      evidence,
    );
  }

  // A rate over a handful of posts says nothing, during the window or after it.
  const ratePairs = measured.rate?.pairs ?? [];
  if (kind === 'rate' && ratePairs.length < MIN_RATE_POSTS) {
    const enoughBy = dayAfter(
      upcomingPosts(goal, input, scoped, windowPeriod).scheduled,
      MIN_RATE_POSTS - ratePairs.length,
    );
    return notEnough(
      `only ${ratePairs.length} measured posts in the window`,
      [
        `need ≥ ${MIN_RATE_POSTS} measured posts in the window for an engagement rate; have ${ratePairs.length}${enoughBy ? `; enough once the next scheduled ones are a day old, by ${enoughBy}` : '; schedule more posts in scope'}`,
      ],
      { ...known, ...(enoughBy ? { enoughBy } : {}) },
      evidence,
    );
  }

  // Decidable outcomes first.
  if (kind !== 'rate') {
    if (atLeast && current >= target) {
      return verdict('ACHIEVED', `${show(current)} reached the target of ${show(target)}`);
    }
    if (!atLeast && current > target) {
      return verdict('MISSED', `${show(current)} is over the limit of ${show(target)}`);
    }
  }
  if (over) {
    const met = atLeast ? current >= target : current <= target;
    return verdict(
      met ? 'ACHIEVED' : 'MISSED',
      `the window ended on ${goal.window.to} at ${show(current)} against a target of ${show(target)}`,
    );
  }
  if (measured.posts === 0 && measured.conversions === 0 && kind !== 'posts') {
    const enoughBy = dayAfter(upcomingPosts(goal, input, scoped, windowPeriod).scheduled, 1);
    return notEnough(
      'no posts in scope have been published in the window yet',
      [
        `published posts in scope (${scheduledPosts} scheduled in the window${scheduledPosts === 0 ? '; add some to the calendar' : `; the first is measured a day after it goes out, by ${enoughBy}`})`,
      ],
      { ...known, ...(enoughBy ? { enoughBy } : {}) },
      evidence,
    );
  }

  // --- the forecast ------------------------------------------------------------------------------
  let forecast: Forecast;
  if (kind === 'rate') {
    forecast = rateForecast(ratePairs, current, scheduledPosts);
  } else {
    const upcoming = upcomingPosts(goal, input, scoped, windowPeriod);
    const total =
      kind === 'posts'
        ? countForecast(current, upcoming)
        : sumForecast(goal, input, scoped, windowPeriod, current, upcoming);
    if ('missing' in total) {
      return notEnough(
        total.reason,
        [total.missing],
        { ...known, ...(total.enoughBy ? { enoughBy: total.enoughBy } : {}) },
        evidence,
      );
    }
    forecast = total.forecast;
    evidence.plannedPosts = total.plannedPosts;
    if (total.perPost) evidence.perPost = total.perPost;
  }

  const band = `${show(forecast.low)}–${show(forecast.high)}`;
  const said = `forecast ${show(forecast.value)} at the window's end (80 % band ${band}); ${show(current)} so far`;
  const meets = atLeast ? forecast.low >= target : forecast.high <= target;
  const fails = atLeast ? forecast.high < target : forecast.low > target;
  const limit = atLeast ? 'target' : 'limit';
  if (meets) {
    return verdict(
      'ON_TRACK',
      `even the ${atLeast ? 'low' : 'high'} end of the forecast's 80 % band (${band}) ${atLeast ? 'reaches' : 'stays within'} the ${limit} of ${show(target)}: ${said}`,
      forecast,
    );
  }
  if (fails) {
    return verdict(
      'OFF_TRACK',
      `even the ${atLeast ? 'high' : 'low'} end of the forecast's 80 % band (${band}) ${atLeast ? 'falls short of' : 'is over'} the ${limit} of ${show(target)}: ${said}`,
      forecast,
    );
  }
  return verdict(
    'AT_RISK',
    `the ${limit} of ${show(target)} lies inside the forecast's 80 % band (${band}), so it may or may not be ${atLeast ? 'reached' : 'kept'}: ${said}`,
    forecast,
  );
}

/** A day after the `count`-th of the scheduled instants: when that many more posts are measured. */
function dayAfter(scheduled: readonly string[], count: number): string | undefined {
  const at = scheduled[count - 1];
  return at ? new Date(Date.parse(at) + 86_400_000).toISOString() : undefined;
}

/** What a relative goal's baseline lacks, if anything. */
function baselineGap(
  goal: Goal,
  kind: ReturnType<typeof metricKind>,
  measured: Measured,
  value: number,
): { have: string; missing: string } | undefined {
  const hint =
    (goal.scope?.posts ?? 'campaign') === 'campaign'
      ? ' (the scope counts only this campaign\'s posts; "posts": "all" compares with the whole account)'
      : '';
  if (kind === 'rate') {
    const n = measured.rate?.pairs.length ?? 0;
    if (n < MIN_RATE_POSTS) {
      return {
        have: `${n} measured posts`,
        missing: `need ≥ ${MIN_RATE_POSTS} measured posts in scope in the baseline period; have ${n}${hint}`,
      };
    }
    return undefined;
  }
  if (measured.posts === 0) {
    return { have: 'no posts in scope', missing: `published posts in scope in the baseline period${hint}` };
  }
  if (value <= 0) {
    const what = kind === 'conversions' ? 'conversions attributed to posts in scope' : goal.metric;
    return {
      have: `no ${what}`,
      missing: `a baseline above 0 (${what} in the baseline period) for a relative target${hint}`,
    };
  }
  return undefined;
}

/**
 * The engagement rate's band. With n measured posts (rate r̂) and f posts still to come, the
 * window's final rate is w·r̂ + (1 − w)·r̂_future, w = n / (n + f); around r̂ it varies by
 * (1 − w)·σ·√(1/f + 1/n), σ being the per-post spread of the rate (audience-weighted, the
 * ratio estimator's residual: √(Σ(eᵢ − r̂ aᵢ)² / (n − 1)) / ā, aᵢ a post's reach or
 * impressions). Nothing still to come: no band.
 */
function rateForecast(
  pairs: readonly [number, number][],
  currentPercent: number,
  upcoming: number,
): Forecast {
  const n = pairs.length;
  const r = currentPercent / 100;
  const meanAudience = mean(pairs.map(([, audience]) => audience));
  const residuals = sum(pairs.map(([engagements, audience]) => (engagements - r * audience) ** 2)) / (n - 1);
  const sigma = Math.sqrt(residuals) / meanAudience;
  const w = n / (n + upcoming);
  const sd = upcoming === 0 ? 0 : (1 - w) * sigma * Math.sqrt(1 / upcoming + 1 / n);
  const half = Z_80 * sd * 100;
  return {
    value: round(currentPercent, 4),
    low: round(Math.max(0, currentPercent - half), 4),
    high: round(currentPercent + half, 4),
    confidence: BAND_CONFIDENCE,
    method: `rate of the ${n} measured posts, if the ${upcoming} still scheduled perform alike; per-post σ ${round(sigma * 100, 2)} points`,
    assumptions: [
      `the ${upcoming} posts still scheduled in the window get the same rate as the ${n} measured so far, give or take their spread`,
      "the measured posts' rates are final (a rate changes little once a post is a day old)",
    ],
  };
}
