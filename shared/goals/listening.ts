import type { DateWindow, Goal, GoalStatus } from '../domain/index.ts';
import type { Mention, OwnReply } from '../listening/model.ts';
import { answers, responseMinutes } from '../listening/report.ts';
import { BRAND, type ListeningSettings } from '../listening/settings.ts';
import { addDays, dayStartMs } from './days.ts';
import type { GoalEvaluation } from './model.ts';
import { BAND_CONFIDENCE, round, Z_80 } from './stats.ts';

/**
 * Goals on the conversation (the listening stage's figures), evaluated like any other goal but
 * from mentions instead of posts:
 * - `shareOfVoice`: the brand's mentions ÷ all subjects' mentions in the window, in percent;
 * - `responseRate`: inbound posts answered ÷ inbound posts, in percent;
 * - `responseTimeMinutes`: the median minutes to our first reply (business hours where set).
 * A goal's `platforms` scope picks the platforms, its `channels` scope the channels addressed.
 * The band is the 80 % interval of a proportion (normal approximation) or of a median (order
 * statistics); ON_TRACK / OFF_TRACK when the whole band is on one side of the target.
 */
export interface ListeningFacts {
  settings: ListeningSettings;
  mentions: readonly Mention[];
  replies: readonly OwnReply[];
}

/** What a listening goal needs before it is judged. */
const MIN_SAMPLE: Record<ListeningMetric, number> = {
  shareOfVoice: 20,
  responseRate: 10,
  responseTimeMinutes: 5,
};
export type ListeningMetric = 'shareOfVoice' | 'responseRate' | 'responseTimeMinutes';
export const LISTENING_METRICS: readonly string[] = ['shareOfVoice', 'responseRate', 'responseTimeMinutes'];

interface Measure {
  value: number;
  low: number;
  high: number;
  sample: number;
  what: string;
}

function measure(
  goal: Goal,
  facts: ListeningFacts,
  fromMs: number,
  toMs: number,
): Measure | { sample: number; what: string } {
  const scope = goal.scope ?? {};
  const inPeriod = facts.mentions.filter((m) => {
    const t = Date.parse(m.createdAt);
    return t >= fromMs && t < toMs && (!scope.platforms || scope.platforms.includes(m.platform));
  });
  const metric = goal.metric as ListeningMetric;
  if (metric === 'shareOfVoice') {
    const counted = inPeriod.flatMap((m) => m.subjects);
    const n = counted.length;
    const brand = counted.filter((s) => s === BRAND).length;
    return proportion(brand, n, 'subject mentions');
  }
  const inbound = inPeriod.filter(
    (m) => m.inbound && (!scope.channels || scope.channels.includes(m.inbound.channel)),
  );
  const minutes: number[] = [];
  for (const mention of inbound) {
    const first = facts.replies
      .filter((reply) => answers(reply, mention))
      .reduce<OwnReply | undefined>((a, b) => (!a || b.createdAt < a.createdAt ? b : a), undefined);
    if (!first) continue;
    const hours = facts.settings.channels[mention.inbound?.channel ?? '']?.businessHours;
    minutes.push(responseMinutes(mention.createdAt, first.createdAt, hours));
  }
  if (metric === 'responseRate') return proportion(minutes.length, inbound.length, 'inbound posts');
  minutes.sort((a, b) => a - b);
  const n = minutes.length;
  if (n === 0) return { sample: 0, what: 'answered inbound posts' };
  const at = (rank: number) => minutes[Math.min(n - 1, Math.max(0, rank))] as number;
  const half = (Z_80 * Math.sqrt(n)) / 2;
  return {
    value: n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2,
    low: at(Math.floor(n / 2 - half)),
    high: at(Math.ceil(n / 2 + half) - 1),
    sample: n,
    what: 'answered inbound posts',
  };
}

function proportion(hits: number, n: number, what: string): Measure | { sample: number; what: string } {
  if (n === 0) return { sample: 0, what };
  const p = hits / n;
  const se = Math.sqrt((p * (1 - p)) / n);
  return {
    value: 100 * p,
    low: 100 * Math.max(0, p - Z_80 * se),
    high: 100 * Math.min(1, p + Z_80 * se),
    sample: n,
    what,
  };
}

const periodMs = (window: DateWindow, zone: string) => ({
  from: dayStartMs(window.from, zone),
  to: dayStartMs(addDays(window.to, 1), zone),
});

/** Evaluates a listening goal; `base` holds the fields every evaluation has. */
export function evaluateListeningGoal(
  goal: Goal,
  facts: ListeningFacts | undefined,
  now: Date,
  zone: string,
  base: Omit<GoalEvaluation, 'status' | 'reason' | 'evidence'>,
): GoalEvaluation {
  const metric = goal.metric as ListeningMetric;
  const evidence = { posts: 0, measuredPosts: 0, scheduledPosts: 0, conversions: 0 };
  const notEnough = (reason: string): GoalEvaluation => ({
    ...base,
    status: 'NOT_ENOUGH_DATA',
    reason,
    missing: [reason],
    evidence,
  });
  if (!facts)
    return notEnough('listening is not set up (PUT /v1/listening), so nothing is collected to measure');
  const window = periodMs(goal.window, zone);
  if (now.getTime() < window.from) {
    return { ...base, status: 'NOT_STARTED', reason: `the window starts on ${goal.window.from}`, evidence };
  }
  let target: number;
  if (goal.target.kind === 'absolute') target = goal.target.value;
  else {
    const b = periodMs(goal.target.baseline, zone);
    const baseline = measure(goal, facts, b.from, Math.min(b.to, now.getTime()));
    if (!('value' in baseline) || baseline.sample < MIN_SAMPLE[metric]) {
      return notEnough(
        `the baseline period has ${baseline.sample} ${baseline.what}; need at least ${MIN_SAMPLE[metric]}`,
      );
    }
    target = baseline.value * (1 + goal.target.changePercent / 100);
  }
  const over = now.getTime() >= window.to;
  const current = measure(goal, facts, window.from, Math.min(window.to, now.getTime()));
  if (!('value' in current) || current.sample < MIN_SAMPLE[metric]) {
    return notEnough(
      `the window has ${current.sample} ${current.what} so far; need at least ${MIN_SAMPLE[metric]} to judge ${metric}`,
    );
  }
  const unit = metric === 'responseTimeMinutes' ? ' min' : ' %';
  const show = (v: number) => `${round(v, 1)}${unit}`;
  const atLeast = goal.direction === 'atLeast';
  const good = (v: number) => (atLeast ? v >= target : v <= target);
  let status: GoalStatus;
  let reason: string;
  if (over) {
    status = good(current.value) ? 'ACHIEVED' : 'MISSED';
    reason = `${metric} ended at ${show(current.value)} against a target of ${show(target)}`;
  } else if (good(atLeast ? current.low : current.high)) {
    status = 'ON_TRACK';
    reason = `${metric} is ${show(current.value)} (80 % band ${show(current.low)}–${show(current.high)}), on the right side of ${show(target)}`;
  } else if (!good(atLeast ? current.high : current.low)) {
    status = 'OFF_TRACK';
    reason = `${metric} is ${show(current.value)} (80 % band ${show(current.low)}–${show(current.high)}), short of ${show(target)}`;
  } else {
    status = 'AT_RISK';
    reason = `${metric} is ${show(current.value)}, and its 80 % band ${show(current.low)}–${show(current.high)} includes the target ${show(target)}`;
  }
  return {
    ...base,
    status,
    reason,
    current: round(current.value, 4),
    target: round(target, 4),
    expectedByNow: round(target, 4),
    forecast: {
      value: round(current.value, 4),
      low: round(current.low, 4),
      high: round(current.high, 4),
      confidence: BAND_CONFIDENCE,
      method: `the window so far, over ${current.sample} ${current.what}`,
      assumptions: [
        'the rest of the window goes like the part so far',
        metric === 'shareOfVoice'
          ? 'mentions are what platform search finds for each subject’s terms and handles; platforms without search are not counted'
          : 'inbound posts are those the platforms’ notifications report; an answer is a reply from any of our channels',
      ],
    },
    evidence,
  };
}
