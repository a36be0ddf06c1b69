import type { Goal } from '../domain/index.ts';
import { hourOfWeek, WEEKDAYS } from './days.ts';
import type {
  ChannelInfo,
  DataGap,
  EvaluationInput,
  GoalEvaluation,
  PostPerformance,
  Recommendation,
} from './model.ts';
import { engagementsOf, inScope, isMature, isUpcoming, metricKind, postMetricValue } from './scope.ts';
import { mean, round, shrink } from './stats.ts';

/**
 * Recommendations (docs/architecture.md#goals-and-recommendations): specific, evidenced from the
 * account's own history, and never made on too little data — a {@link DataGap} says what is missing
 * instead.
 *
 * The history is the last 90 days of published posts whose metrics were taken at least 24 h
 * after publication (so young posts do not look weak), across campaigns. The outcome compared is
 * a post's engagements, within one channel (channels differ in audience size). Group means are
 * shrunk toward the channel mean with a prior worth k = 5 posts (empirical Bayes): a window or
 * a tag with 3 posts at 3× the mean is credited with (3·3 + 5·1) / 8 = 1.75×, not 3×.
 *
 * - Posting windows: a window is a weekday and two consecutive hours in the channel's time zone
 *   (168 overlapping windows, each post counts in the two that contain its hour). A window is
 *   recommended when it holds ≥ 3 posts and its shrunk lift is ≥ 1.5×; up to 3 windows that do
 *   not overlap, best first. Windows with ≥ 3 posts and a shrunk lift ≤ 1/1.5 are weak; posts
 *   scheduled in the next 30 days in a weak window are named, with where to move them. A channel
 *   needs ≥ 20 measured posts before any of this.
 * - Content: for each tag, link vs no link, media vs text only, and length (≤ 80, 81–200,
 *   > 200 characters), posts with the feature against posts without it, each group shrunk toward
 *   the channel mean; ≥ 5 posts on each side, recommended at a lift ≥ 1.3× (or ≤ 1/1.3).
 * - Channels and cadence, for goals AT_RISK or OFF_TRACK that count a total: the goal's metric
 *   per post on each channel of its scope (any campaign, last 90 days; shrunk toward the pooled
 *   yield); an effort shift is recommended when the best channel yields ≥ 1.5× the worst and
 *   each has ≥ 10 measured posts. The cadence needed to close the gap between the forecast and
 *   the target by the window's end is gap / yield per post, spread over the weeks left.
 *
 * Known limits: timing and content are compared one at a time (a calendar that always posts
 * videos on Tuesday mornings confounds the two), and engagement keeps growing a little after a
 * day, so older posts are slightly favoured.
 */
export const RULES = {
  lookbackDays: 90,
  priorStrength: 5,
  minChannelPosts: 20,
  minWindowPosts: 3,
  strongWindowLift: 1.5,
  maxWindowsPerChannel: 3,
  weakWindowLookaheadDays: 30,
  maxWeakWindowPostsPerChannel: 10,
  minGroupPosts: 5,
  contentLift: 1.3,
  minShiftPosts: 10,
  shiftLift: 1.5,
  minYieldPosts: 5,
  maxRecommendations: 25,
  lengthBuckets: { short: 80, medium: 200 },
} as const;

const DAY_NAMES: Record<string, string> = {
  MON: 'Mondays',
  TUE: 'Tuesdays',
  WED: 'Wednesdays',
  THU: 'Thursdays',
  FRI: 'Fridays',
  SAT: 'Saturdays',
  SUN: 'Sundays',
};

export interface Recommendations {
  recommendations: Recommendation[];
  missingData: DataGap[];
}

/** The measured history of the last 90 days, per channel. */
function history(input: EvaluationInput): PostPerformance[] {
  const since = input.now.getTime() - RULES.lookbackDays * 86_400_000;
  return input.posts.filter(
    (performance) =>
      isMature(performance, input.now) && Date.parse(performance.post.publishedAt as string) >= since,
  );
}

/** The channels the campaign posts to or its goals name; every channel with history if none. */
function campaignChannels(input: EvaluationInput, measured: readonly PostPerformance[]): string[] {
  const channels = new Set<string>();
  for (const { post } of input.posts) if (post.campaign === input.campaign.id) channels.add(post.channel);
  for (const goal of input.campaign.goals)
    for (const channel of goal.scope?.channels ?? []) channels.add(channel);
  if (channels.size === 0) for (const { post } of measured) channels.add(post.channel);
  return [...channels].sort();
}

export function recommend(input: EvaluationInput, evaluations: readonly GoalEvaluation[]): Recommendations {
  const measured = history(input);
  const out: Recommendations = { recommendations: [], missingData: [] };
  const byChannel = new Map<string, PostPerformance[]>();
  for (const performance of measured) {
    const list = byChannel.get(performance.post.channel) ?? [];
    list.push(performance);
    byChannel.set(performance.post.channel, list);
  }

  const cadence: Recommendation[] = [];
  const shifts: Recommendation[] = [];
  for (const goal of input.campaign.goals) {
    const evaluation = evaluations.find((e) => e.goalId === goal.id);
    if (!evaluation || (evaluation.status !== 'AT_RISK' && evaluation.status !== 'OFF_TRACK')) continue;
    if (goal.direction !== 'atLeast' || metricKind(goal.metric) === 'rate') continue;
    const shift = channelShift(goal, input, measured);
    shifts.push(...shift.recommendations);
    out.missingData.push(...shift.missingData);
    const needed = cadenceNeeded(goal, evaluation, input, measured);
    cadence.push(...needed.recommendations);
    out.missingData.push(...needed.missingData);
  }

  const windows: Recommendation[] = [];
  const weak: Recommendation[] = [];
  const content: Recommendation[] = [];
  for (const channel of campaignChannels(input, measured)) {
    const info = input.channels.get(channel);
    const posts = byChannel.get(channel) ?? [];
    const timing = postingWindows(channel, info, posts, input);
    windows.push(...timing.windows);
    weak.push(...timing.weak);
    out.missingData.push(...timing.missingData);
    const lifts = contentLifts(channel, posts);
    content.push(...lifts.recommendations);
    out.missingData.push(...lifts.missingData);
  }
  out.recommendations = [...cadence, ...shifts, ...windows, ...content, ...weak].slice(
    0,
    RULES.maxRecommendations,
  );
  return out;
}

// --- posting windows ----------------------------------------------------------------------------

interface Window {
  start: number;
  posts: number;
  mean: number;
  rawLift: number;
  lift: number;
}

function describeWindow(start: number): { day: string; from: string; to: string } {
  const day = WEEKDAYS[Math.floor(start / 24)] as string;
  const hour = start % 24;
  const pad = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
  return { day, from: pad(hour), to: pad(hour + 2) };
}

function postingWindows(
  channel: string,
  info: ChannelInfo | undefined,
  posts: readonly PostPerformance[],
  input: EvaluationInput,
): { windows: Recommendation[]; weak: Recommendation[]; missingData: DataGap[] } {
  const zone = info?.timezone ?? posts[0]?.post.timezone ?? 'UTC';
  const outcomes = posts
    .map((performance) => ({
      hour: hourOfWeek(performance.post.publishedAt as string, zone),
      y: engagementsOf(performance.metrics),
    }))
    .filter((o): o is { hour: number; y: number } => o.y !== undefined);
  const none = { windows: [], weak: [] };
  if (outcomes.length < RULES.minChannelPosts) {
    return {
      ...none,
      missingData: [
        {
          area: 'postingWindows',
          channel,
          message: `posting windows on ${channel}: need ≥ ${RULES.minChannelPosts} measured posts (at least 24 h old, last ${RULES.lookbackDays} days); have ${outcomes.length}`,
          have: outcomes.length,
          need: RULES.minChannelPosts,
        },
      ],
    };
  }
  const mu = mean(outcomes.map((o) => o.y));
  if (mu <= 0) {
    return {
      ...none,
      missingData: [
        {
          area: 'postingWindows',
          channel,
          message: `posting windows on ${channel}: its ${outcomes.length} measured posts have no engagements to compare`,
          have: 0,
          need: 1,
        },
      ],
    };
  }
  const k = RULES.priorStrength;
  const all: Window[] = [];
  for (let start = 0; start < 168; start++) {
    const ys = outcomes.filter((o) => o.hour === start || o.hour === (start + 1) % 168).map((o) => o.y);
    if (ys.length === 0) continue;
    const m = mean(ys);
    all.push({ start, posts: ys.length, mean: m, rawLift: m / mu, lift: shrink(m, ys.length, mu, k) / mu });
  }
  const eligible = all.filter((w) => w.posts >= RULES.minWindowPosts);
  if (eligible.length === 0) {
    const best = Math.max(0, ...all.map((w) => w.posts));
    return {
      ...none,
      missingData: [
        {
          area: 'postingWindows',
          channel,
          message: `posting windows on ${channel}: need ≥ ${RULES.minWindowPosts} posts in a window (weekday and two hours); the best-covered window has ${best}`,
          have: best,
          need: RULES.minWindowPosts,
        },
      ],
    };
  }

  const overlaps = (a: number, b: number) => {
    const d = Math.abs(a - b) % 168;
    return Math.min(d, 168 - d) < 2;
  };
  // Best first; between equally good windows, the one that starts at an hour with posts (posts
  // all at 09:xx make 08–10 and 09–11 tie, and 09–11 is what they show), then the earlier one.
  const startsWithPosts = (w: Window) => outcomes.some((o) => o.hour === w.start);
  const ranked = eligible
    .filter((w) => w.lift >= RULES.strongWindowLift)
    .sort(
      (a, b) =>
        b.lift - a.lift || Number(startsWithPosts(b)) - Number(startsWithPosts(a)) || a.start - b.start,
    );
  const chosen: Window[] = [];
  for (const w of ranked) {
    if (chosen.length >= RULES.maxWindowsPerChannel) break;
    if (chosen.some((c) => overlaps(c.start, w.start))) continue;
    chosen.push(w);
  }
  const evidenceOf = (w: Window) => ({
    channel,
    timezone: zone,
    ...describeWindow(w.start),
    posts: w.posts,
    meanEngagements: round(w.mean),
    channelMeanEngagements: round(mu),
    channelPosts: outcomes.length,
    rawLift: round(w.rawLift),
    shrunkLift: round(w.lift),
    priorStrength: k,
    lookbackDays: RULES.lookbackDays,
  });
  const label = (w: Window) => {
    const { day, from, to } = describeWindow(w.start);
    return `${DAY_NAMES[day]} ${from}–${to} (${zone})`;
  };
  const windows: Recommendation[] = chosen.map((w) => {
    const { day, from } = describeWindow(w.start);
    return {
      id: `posting-window:${channel}:${day}-${from}`,
      kind: 'postingWindow',
      channel,
      summary: `Post on ${channel} on ${label(w)}: posts there got ${round(w.rawLift, 1)}× the channel's average engagements (${w.posts} posts, ${round(w.mean, 1)} vs ${round(mu, 1)} per post; ${round(w.lift, 1)}× after shrinking toward the channel mean).`,
      evidence: { ...evidenceOf(w), threshold: RULES.strongWindowLift },
    };
  });

  const weakWindows = eligible.filter((w) => w.lift <= 1 / RULES.strongWindowLift);
  const weak: Recommendation[] = [];
  const horizon = input.now.getTime() + RULES.weakWindowLookaheadDays * 86_400_000;
  const upcoming = input.posts
    .filter(({ post }) => post.channel === channel && isUpcoming(post))
    .filter(({ post }) => {
      const at = Date.parse(post.scheduledAt);
      return at >= input.now.getTime() && at < horizon;
    })
    .sort((a, b) => a.post.scheduledAt.localeCompare(b.post.scheduledAt));
  for (const { post } of upcoming) {
    if (weak.length >= RULES.maxWeakWindowPostsPerChannel) break;
    const hour = hourOfWeek(post.scheduledAt, zone);
    const covering = weakWindows
      .filter((w) => w.start === hour || (w.start + 1) % 168 === hour)
      .sort((a, b) => a.lift - b.lift || Number(startsWithPosts(b)) - Number(startsWithPosts(a)))[0];
    if (!covering) continue;
    const better = chosen[0];
    weak.push({
      id: `weak-window:${post.id}`,
      kind: 'weakWindowPost',
      channel,
      postId: post.id,
      summary: `Post ${post.id} is scheduled on ${channel} at ${post.scheduledAt} in a weak window, ${label(covering)}: ${covering.posts} posts there got ${round(covering.lift, 2)}× the channel's average engagements after shrinkage.${better ? ` Move it to ${label(better)} (${round(better.lift, 1)}×).` : ' Move it to a busier hour.'}`,
      evidence: {
        ...evidenceOf(covering),
        scheduledAt: post.scheduledAt,
        threshold: round(1 / RULES.strongWindowLift, 4),
        ...(better ? { suggested: evidenceOf(better) } : {}),
      },
    });
  }
  return { windows, weak, missingData: [] };
}

// --- content ------------------------------------------------------------------------------------

interface Feature {
  key: string;
  /** How the group is named in a sentence: "posts tagged video". */
  label: string;
  /** How the other group is named: "posts without it". */
  otherLabel: string;
  has: (performance: PostPerformance) => boolean;
}

function lengthOf(text: string): number {
  return [...text].length;
}

function features(posts: readonly PostPerformance[]): Feature[] {
  const tags = [...new Set(posts.flatMap(({ post }) => post.tags))].sort();
  const { short, medium } = RULES.lengthBuckets;
  return [
    ...tags.map((tag) => ({
      key: `tag:${tag}`,
      label: `posts tagged ${tag}`,
      otherLabel: 'posts without it',
      has: ({ post }: PostPerformance) => post.tags.includes(tag),
    })),
    {
      key: 'link',
      label: 'posts with a link',
      otherLabel: 'posts without one',
      has: ({ post }) => post.link !== undefined,
    },
    {
      key: 'media',
      label: 'posts with images or video',
      otherLabel: 'text-only posts',
      has: ({ post }) => post.media.length > 0,
    },
    {
      key: 'length:short',
      label: `short posts (≤ ${short} characters)`,
      otherLabel: 'longer ones',
      has: ({ post }) => lengthOf(post.text) <= short,
    },
    {
      key: 'length:medium',
      label: `medium posts (${short + 1}–${medium} characters)`,
      otherLabel: 'shorter or longer ones',
      has: ({ post }) => lengthOf(post.text) > short && lengthOf(post.text) <= medium,
    },
    {
      key: 'length:long',
      label: `long posts (> ${medium} characters)`,
      otherLabel: 'shorter ones',
      has: ({ post }) => lengthOf(post.text) > medium,
    },
  ];
}

function contentLifts(channel: string, posts: readonly PostPerformance[]): Recommendations {
  const scored = posts
    .map((performance) => ({ performance, y: engagementsOf(performance.metrics) }))
    .filter((s): s is { performance: PostPerformance; y: number } => s.y !== undefined);
  if (scored.length === 0) return { recommendations: [], missingData: [] };
  const mu = mean(scored.map((s) => s.y));
  if (mu <= 0) return { recommendations: [], missingData: [] };
  const k = RULES.priorStrength;
  const recommendations: Recommendation[] = [];
  const short: string[] = [];
  for (const feature of features(scored.map((s) => s.performance))) {
    const withIt = scored.filter((s) => feature.has(s.performance)).map((s) => s.y);
    const without = scored.filter((s) => !feature.has(s.performance)).map((s) => s.y);
    if (withIt.length < RULES.minGroupPosts || without.length < RULES.minGroupPosts) {
      if (withIt.length > 0) short.push(`${feature.key} (${withIt.length} with, ${without.length} without)`);
      continue;
    }
    const a = shrink(mean(withIt), withIt.length, mu, k);
    const b = shrink(mean(without), without.length, mu, k);
    const lift = a / b;
    const over = lift >= RULES.contentLift;
    const under = lift <= 1 / RULES.contentLift;
    if (!over && !under) continue;
    const rawLift = mean(withIt) / mean(without);
    recommendations.push({
      id: `content:${channel}:${feature.key}:${over ? 'over' : 'under'}`,
      kind: 'content',
      channel,
      summary: `On ${channel}, ${feature.label} get ${round(lift, 1)}× the engagements of ${feature.otherLabel} (${withIt.length} vs ${without.length} posts; ${round(mean(withIt), 1)} vs ${round(mean(without), 1)} per post): ${over ? 'make more of them' : 'make fewer of them, or rework them'}.`,
      evidence: {
        channel,
        feature: feature.key,
        direction: over ? 'over' : 'under',
        posts: withIt.length,
        comparisonPosts: without.length,
        meanEngagements: round(mean(withIt)),
        comparisonMeanEngagements: round(mean(without)),
        channelMeanEngagements: round(mu),
        rawLift: round(rawLift),
        shrunkLift: round(lift),
        priorStrength: k,
        threshold: RULES.contentLift,
        lookbackDays: RULES.lookbackDays,
      },
    });
  }
  const missingData: DataGap[] =
    short.length === 0
      ? []
      : [
          {
            area: 'content',
            channel,
            message: `content on ${channel}: need ≥ ${RULES.minGroupPosts} measured posts with and without a feature to compare; short: ${short.join(', ')}`,
            have: scored.length,
            need: RULES.minGroupPosts,
          },
        ];
  return { recommendations, missingData };
}

// --- channels and cadence -----------------------------------------------------------------------

/** The goal's metric per measured post, from the account's history in the goal's filters. */
function yields(goal: Goal, input: EvaluationInput, measured: readonly PostPerformance[]) {
  const scope = { ...(goal.scope ?? {}), posts: 'all' as const };
  const posts = measured.filter((p) => inScope(p.post, scope, input.campaign, input.channels));
  const kind = metricKind(goal.metric);
  const converted = new Map<string, number>();
  if (kind === 'conversions') {
    for (const conversion of input.conversions) {
      if (!conversion.postId) continue;
      const add = goal.metric === 'conversionValue' ? conversion.value : 1;
      converted.set(conversion.postId, (converted.get(conversion.postId) ?? 0) + add);
    }
  }
  const rows = posts
    .map((p) => ({
      channel: p.post.channel,
      value: kind === 'conversions' ? (converted.get(p.post.id) ?? 0) : postMetricValue(goal.metric, p),
    }))
    .filter((row): row is { channel: string; value: number } => row.value !== undefined);
  return rows;
}

function channelShift(
  goal: Goal,
  input: EvaluationInput,
  measured: readonly PostPerformance[],
): Recommendations {
  if (metricKind(goal.metric) === 'posts') return { recommendations: [], missingData: [] };
  const rows = yields(goal, input, measured);
  const channels = [...new Set(rows.map((row) => row.channel))].sort();
  if (channels.length < 2) return { recommendations: [], missingData: [] };
  const pooled = mean(rows.map((row) => row.value));
  const k = RULES.priorStrength;
  const stats = channels.map((channel) => {
    const values = rows.filter((row) => row.channel === channel).map((row) => row.value);
    return {
      channel,
      posts: values.length,
      raw: mean(values),
      shrunk: shrink(mean(values), values.length, pooled, k),
    };
  });
  const thin = stats.filter((s) => s.posts < RULES.minShiftPosts);
  if (thin.length > 0) {
    return {
      recommendations: [],
      missingData: [
        {
          area: 'channels',
          goalId: goal.id,
          message: `comparing channels for goal ${goal.id}: need ≥ ${RULES.minShiftPosts} measured posts per channel; ${thin.map((s) => `${s.channel} has ${s.posts}`).join(', ')}`,
          have: Math.min(...thin.map((s) => s.posts)),
          need: RULES.minShiftPosts,
        },
      ],
    };
  }
  const sorted = [...stats].sort((a, b) => b.shrunk - a.shrunk);
  const best = sorted[0];
  const worst = sorted.at(-1);
  if (!best || !worst || best.shrunk <= 0) return { recommendations: [], missingData: [] };
  const lift = worst.shrunk > 0 ? best.shrunk / worst.shrunk : Number.POSITIVE_INFINITY;
  if (lift < RULES.shiftLift) return { recommendations: [], missingData: [] };
  return {
    recommendations: [
      {
        id: `channel-shift:${goal.id}:${worst.channel}->${best.channel}`,
        kind: 'channelShift',
        goalId: goal.id,
        channel: best.channel,
        summary: `For goal ${goal.id} (${goal.metric}), ${best.channel} yields ${round(best.raw, 2)} per post and ${worst.channel} ${round(worst.raw, 2)} (${best.posts} and ${worst.posts} posts, last ${RULES.lookbackDays} days): shift posts from ${worst.channel} to ${best.channel}.`,
        evidence: {
          metric: goal.metric,
          channels: stats.map((s) => ({
            channel: s.channel,
            posts: s.posts,
            perPost: round(s.raw, 4),
            shrunkPerPost: round(s.shrunk, 4),
          })),
          pooledPerPost: round(pooled, 4),
          lift: Number.isFinite(lift) ? round(lift) : null,
          priorStrength: k,
          threshold: RULES.shiftLift,
          lookbackDays: RULES.lookbackDays,
        },
      },
    ],
    missingData: [],
  };
}

function cadenceNeeded(
  goal: Goal,
  evaluation: GoalEvaluation,
  input: EvaluationInput,
  measured: readonly PostPerformance[],
): Recommendations {
  const none = { recommendations: [], missingData: [] };
  if (evaluation.target === undefined || !evaluation.forecast) return none;
  const gap = evaluation.target - evaluation.forecast.value;
  const daysLeft = evaluation.daysTotal - evaluation.daysElapsed;
  if (gap <= 0 || daysLeft < 1) return none;
  const weeksLeft = daysLeft / 7;
  const weeksGone = Math.max(evaluation.daysElapsed / 7, 1 / 7);
  const soFar = evaluation.evidence.posts / weeksGone;
  let perPost = 1;
  let basis = 'one post counts once';
  let sample = evaluation.evidence.posts;
  if (metricKind(goal.metric) !== 'posts') {
    const rows = yields(goal, input, measured);
    if (rows.length < RULES.minYieldPosts) {
      return {
        recommendations: [],
        missingData: [
          {
            area: 'cadence',
            goalId: goal.id,
            message: `cadence for goal ${goal.id}: need ≥ ${RULES.minYieldPosts} measured posts in its scope (last ${RULES.lookbackDays} days) to know what a post yields; have ${rows.length}`,
            have: rows.length,
            need: RULES.minYieldPosts,
          },
        ],
      };
    }
    perPost = mean(rows.map((row) => row.value));
    sample = rows.length;
    basis = `${round(perPost, 3)} ${goal.metric} per post over ${rows.length} measured posts in scope`;
  }
  const base = {
    kind: 'cadence' as const,
    goalId: goal.id,
    evidence: {
      metric: goal.metric,
      target: evaluation.target,
      forecast: evaluation.forecast.value,
      gap: round(gap, 4),
      perPost: round(perPost, 4),
      posts: sample,
      daysLeft: round(daysLeft, 2),
      postsPerWeekSoFar: round(soFar, 2),
      lookbackDays: RULES.lookbackDays,
    },
  };
  if (perPost <= 0) {
    return {
      recommendations: [
        {
          ...base,
          id: `cadence:${goal.id}:no-yield`,
          summary: `Goal ${goal.id} is ${round(gap, 1)} short of its target, but posts in its scope produced no ${goal.metric} in the last ${RULES.lookbackDays} days (${sample} posts): posting more will not close the gap; change the content, the channels or the links.`,
        },
      ],
      missingData: [],
    };
  }
  const extraPosts = Math.ceil(gap / perPost);
  const extraPerWeek = extraPosts / weeksLeft;
  // Past doubling the cadence, more of the same is not a plan: say so rather than prescribe it.
  const unrealistic = soFar > 0 && extraPerWeek > 2 * soFar;
  return {
    recommendations: [
      {
        ...base,
        id: `cadence:${goal.id}:+${round(extraPerWeek, 1)}/week`,
        summary: `To reach ${round(evaluation.target, 1)} ${goal.metric} by ${goal.window.to}, publish about ${extraPosts} more posts in scope over the ${Math.round(daysLeft)} days left (≈ ${round(extraPerWeek, 1)} more a week on top of ${round(soFar, 1)} a week so far), at ${basis}.${unrealistic ? ' That is more than double the current cadence: posting more alone is unlikely to close the gap; change channels or content, or revisit the target.' : ''}`,
        evidence: { ...base.evidence, extraPosts, extraPostsPerWeek: round(extraPerWeek, 2), unrealistic },
      },
    ],
    missingData: [],
  };
}
