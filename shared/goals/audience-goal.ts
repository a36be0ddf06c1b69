import type { Goal, GoalStatus } from '../domain/index.ts';
import { addDays, daysBetween, localDate } from './days.ts';
import type { EvaluationInput, Forecast, GoalEvaluation } from './model.ts';
import { BAND_CONFIDENCE, mean, round, sampleVariance, t80 } from './stats.ts';
import { verdictOf } from './verdict.ts';

/**
 * Audience goals: `followers` (a level: the followers of the channels in scope at the end of the
 * window) and `followerGrowth` (a total: followers gained over the window), from the daily
 * follower snapshots (shared/audit/audience.ts).
 *
 * The series is the sum over the channels in scope (scope.channels / scope.platforms, else every
 * channel), each carried forward from its latest snapshot on or before the day. Relative targets:
 * `followers` against the level at the end of the baseline period; `followerGrowth` against the
 * baseline's growth scaled per day to the window's length.
 *
 * Forecast: the mean daily change over the last {@link TREND_DAYS} days, continued to the end of
 * the window; its 80 % band adds the day-to-day spread over the days left to the uncertainty of
 * the mean (t with n − 1 degrees of freedom). Followers can also fall, so ACHIEVED and MISSED wait
 * for the window's end.
 */
export const TREND_DAYS = 14;
export const MIN_SNAPSHOT_DAYS = 3;

export function isAudienceMetric(metric: Goal['metric']): boolean {
  return metric === 'followers' || metric === 'followerGrowth';
}

/** Total followers of the channels in scope, per date from the first snapshot day to `until`. */
function series(goal: Goal, input: EvaluationInput, until: string): Map<string, number> {
  const scope = goal.scope ?? {};
  const channels = [...input.channels.values()].filter(
    (c) =>
      (!scope.channels || scope.channels.includes(c.id)) &&
      (!scope.platforms || scope.platforms.includes(c.platform)),
  );
  const perChannel = channels.map((c) =>
    [...(input.audience?.get(c.id) ?? [])].sort((a, b) => a.date.localeCompare(b.date)),
  );
  const first = perChannel
    .flatMap((list) => (list[0] ? [list[0].date] : []))
    .sort()
    .at(-1);
  const out = new Map<string, number>();
  if (!first || perChannel.some((list) => list.length === 0)) return out;
  for (let date = first; date <= until; date = addDays(date, 1)) {
    out.set(
      date,
      perChannel.reduce(
        (total, list) => total + ([...list].reverse().find((s) => s.date <= date)?.followers ?? 0),
        0,
      ),
    );
  }
  return out;
}

/** The value of an audience metric over a window, from a series: growth, or the level at its end. */
function valueOver(
  metric: Goal['metric'],
  s: Map<string, number>,
  from: string,
  to: string,
): number | undefined {
  const dates = [...s.keys()].filter((d) => d <= to);
  const end = dates.at(-1);
  if (end === undefined || end < from) return undefined;
  const endValue = s.get(end) as number;
  if (metric === 'followers') return endValue;
  const startDate =
    [...s.keys()].filter((d) => d <= addDays(from, -1)).at(-1) ?? dates.find((d) => d >= from);
  return startDate === undefined ? undefined : endValue - (s.get(startDate) as number);
}

export function evaluateAudienceGoal(
  goal: Goal,
  input: EvaluationInput,
  base: Pick<
    GoalEvaluation,
    'goalId' | 'metric' | 'direction' | 'window' | 'asOfDate' | 'daysTotal' | 'daysElapsed'
  >,
): GoalEvaluation {
  const today = localDate(input.now, input.campaign.timezone);
  const evidence = { posts: 0, measuredPosts: 0, scheduledPosts: 0, conversions: 0 };
  const s = series(goal, input, today);
  const notEnough = (reason: string, missing: string[]): GoalEvaluation => ({
    ...base,
    status: 'NOT_ENOUGH_DATA',
    reason,
    missing,
    evidence,
  });
  if (s.size < MIN_SNAPSHOT_DAYS) {
    return notEnough(`${s.size} days of follower snapshots for the channels in scope`, [
      `follower snapshots on ≥ ${MIN_SNAPSHOT_DAYS} days for every channel in scope (taken daily, and by each audit)`,
    ]);
  }
  let target: number;
  let baseline: GoalEvaluation['baseline'];
  if (goal.target.kind === 'absolute') {
    target = goal.target.value;
  } else {
    const b = goal.target.baseline;
    const value = valueOver(goal.metric, s, b.from, b.to);
    if (value === undefined || today <= b.to) {
      return notEnough(`no follower snapshots cover the baseline period ${b.from}…${b.to}`, [
        `follower snapshots in the baseline period (they start with the channel's first audit or daily run)`,
      ]);
    }
    const days = daysBetween(b.from, b.to) + 1;
    baseline = { window: b, value, days, posts: 0, conversions: 0 };
    const factor = 1 + goal.target.changePercent / 100;
    target = goal.metric === 'followers' ? value * factor : (value / days) * base.daysTotal * factor;
  }
  const started = today >= goal.window.from;
  const over = today > goal.window.to;
  const current = valueOver(goal.metric, s, goal.window.from, over ? goal.window.to : today);
  const known = {
    ...base,
    target: round(target, 2),
    ...(baseline ? { baseline } : {}),
    ...(current !== undefined ? { current } : {}),
  };
  const verdict = verdictOf(known, evidence);
  if (!started) return verdict('NOT_STARTED', `the window starts on ${goal.window.from}`);
  if (current === undefined)
    return notEnough('no follower snapshot in the window yet', ['a follower snapshot in the window']);
  const atLeast = goal.direction === 'atLeast';
  const reached = atLeast ? current >= target : current <= target;
  if (over) {
    return verdict(
      reached ? 'ACHIEVED' : 'MISSED',
      `${goal.metric} ${current} against a target of ${round(target, 2)} at the window's end`,
    );
  }

  const values = [...s.values()];
  const changes = values
    .slice(1)
    .map((v, i) => v - (values[i] as number))
    .slice(-TREND_DAYS);
  const n = changes.length;
  const daily = mean(changes);
  const left = Math.max(0, daysBetween(today, goal.window.to));
  const sd = Math.sqrt(sampleVariance(changes));
  const spread = t80(n - 1) * Math.sqrt(left * sd ** 2 + (left * sd) ** 2 / n);
  const value = current + daily * left;
  const forecast: Forecast = {
    value: round(value, 2),
    low: round(value - spread, 2),
    high: round(value + spread, 2),
    confidence: BAND_CONFIDENCE,
    method: `the mean daily change over the last ${n} days (${round(daily, 2)} a day) continued for the ${left} days left`,
    assumptions: [
      `followers keep changing as they did over the last ${n} days (day-to-day spread ${round(sd, 2)})`,
      'one snapshot a day per channel; a day without one carries the previous day forward',
    ],
  };
  const low = forecast.low;
  const high = forecast.high;
  const status: GoalStatus = atLeast
    ? low >= target
      ? 'ON_TRACK'
      : high < target
        ? 'OFF_TRACK'
        : 'AT_RISK'
    : high <= target
      ? 'ON_TRACK'
      : low > target
        ? 'OFF_TRACK'
        : 'AT_RISK';
  return verdict(
    status,
    `${goal.metric} ${current} so far; forecast ${forecast.value} (80 % band ${low}–${high}) against ${round(target, 2)}`,
    forecast,
  );
}
