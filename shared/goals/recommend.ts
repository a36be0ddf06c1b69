import type { Goal } from '../domain/index.ts';
import { onMeasuredFooting, withSources } from './imported-evidence.ts';
import type { DataGap, EvaluationInput, GoalEvaluation, PostPerformance, Recommendation } from './model.ts';
import { engagementsOf, inScope, isMature, isUpcoming, metricKind, postMetricValue } from './scope.ts';
import { familyZ, mean, round, sampleVariance, shrink, sum, t80 } from './stats.ts';
import { TIMING, timing } from './timing.ts';

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
 * - Posting windows, scheduled posts in weak windows and posts to boost or repeat: timing.ts
 *   (partial pooling across the account's channels and weekday windows, with intervals; from
 *   3 measured posts a channel).
 * - Content: for each tag, link vs no link, media vs text only, and length (≤ 80, 81–200,
 *   > 200 characters), posts with the feature against posts without it, each group shrunk toward
 *   the channel mean; ≥ 5 posts on each side, recommended at a lift ≥ 1.3× (or ≤ 1/1.3).
 * - Under-served channels and cadence, for goals AT_RISK or OFF_TRACK that count a total: the
 *   goal's metric per post on each channel of its scope (any campaign, last 90 days), on a log
 *   scale, each channel's mean shrunk toward the pooled one (prior sd {@link RULES.channelPriorSd});
 *   the channel yielding most per post is under-served when the 90 % interval of its lift over
 *   the one with the most posts still scheduled is above ×1 (from 3 measured posts a channel).
 *   The cadence that closes the gap between the forecast and the target by the window's end is
 *   gap / yield per post (an interval from the yield's), spread over the weeks left.
 *
 * Known limits: timing and content are compared one at a time (a calendar that always posts
 * videos on Tuesday mornings confounds the two), and engagement keeps growing a little after a
 * day, so older posts are slightly favoured.
 */
export const RULES = {
  lookbackDays: 90,
  priorStrength: 5,
  weakWindowLookaheadDays: TIMING.weakWindowLookaheadDays,
  minGroupPosts: 5,
  contentLift: 1.3,
  minShiftPosts: 3,
  channelPriorSd: 0.5,
  minYieldPosts: 3,
  maxRecommendations: 25,
  lengthBuckets: { short: 80, medium: 200 },
} as const;

export interface Recommendations {
  recommendations: Recommendation[];
  missingData: DataGap[];
}

/**
 * The measured history of the last 90 days: Pulsecast's own posts measured by the Collector and
 * the posts an audit imported, side by side. Imported numbers are one late reading of public
 * counts only (an imported X post has no clicks), so they may sit on another footing: posting
 * windows give imported posts a level of their own per channel (timing.ts), and content compares
 * them after scaling to the channel's measured posts (imported-evidence.ts). Every recommendation
 * says how many of each it rests on (`evidence.sources`).
 */
function history(input: EvaluationInput): PostPerformance[] {
  const since = input.now.getTime() - RULES.lookbackDays * 86_400_000;
  return input.posts.filter(
    (performance) =>
      isMature(performance, input.now) && Date.parse(performance.post.publishedAt as string) >= since,
  );
}

/**
 * The history posting windows are judged on: a channel's imported posts only while it has no
 * post measured by the Collector. Mixed in beside measured posts, even on a level of their own and
 * outside the judged family (timing.ts), the demo's audit history left its planted posting window
 * below the bar: an audit's posts spread over many windows with one late public-count reading
 * each, and added more spread than evidence. Content, channels and cadence do take them.
 */
const TIMING_KINDS = new Set(['postingWindow', 'weakWindowPost', 'boostPost']);

function windowHistory(history: readonly PostPerformance[]): PostPerformance[] {
  const measuredHere = new Set(
    history.filter(({ post }) => post.origin !== 'imported').map(({ post }) => post.channel),
  );
  return history.filter(({ post }) => post.origin !== 'imported' || !measuredHere.has(post.channel));
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
  const channels = campaignChannels(input, measured);
  const found = timing(input, windowHistory(measured), channels);
  for (const recommendation of found.recommendations) {
    (recommendation.kind === 'postingWindow' ? windows : weak).push(recommendation);
  }
  out.missingData.push(...found.missingData);
  for (const channel of channels) {
    const posts = byChannel.get(channel) ?? [];
    const lifts = contentLifts(channel, onMeasuredFooting(posts));
    content.push(...lifts.recommendations);
    out.missingData.push(...lifts.missingData);
  }
  out.recommendations = [...cadence, ...shifts, ...windows, ...content, ...weak]
    .slice(0, RULES.maxRecommendations)
    .map((recommendation) =>
      withSources(
        recommendation,
        input,
        TIMING_KINDS.has(recommendation.kind) ? windowHistory(measured) : measured,
      ),
    );
  return out;
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
    // Undefined when the posts without the feature got nothing at all (no ratio to give).
    const rawLift = mean(without) > 0 ? mean(withIt) / mean(without) : undefined;
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
        ...(rawLift !== undefined ? { rawLift: round(rawLift) } : {}),
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
  const logs = rows.map((row) => ({ channel: row.channel, y: Math.log1p(row.value) }));
  const pooled = mean(logs.map((row) => row.y));
  const byChannel = channels.map((channel) =>
    logs.filter((row) => row.channel === channel).map((row) => row.y),
  );
  const residuals = byChannel.flatMap((ys) => ys.map((y) => y - mean(ys)));
  const sigma2 = Math.max(
    sum(residuals.map((r) => r * r)) / Math.max(1, residuals.length - channels.length),
    1e-6,
  );
  const prior = RULES.channelPriorSd ** 2;
  const upcoming = (channel: string) =>
    input.posts.filter(
      ({ post }) =>
        post.channel === channel &&
        isUpcoming(post) &&
        post.scheduledAt >= input.now.toISOString() &&
        inScope(post, goal.scope ?? {}, input.campaign, input.channels),
    ).length;
  const stats = channels.map((channel, i) => {
    const ys = byChannel[i] as number[];
    const se2 = sigma2 / ys.length;
    const w = prior / (prior + se2);
    return {
      channel,
      posts: ys.length,
      perPost: mean(rows.filter((row) => row.channel === channel).map((row) => row.value)),
      effect: pooled + w * (mean(ys) - pooled),
      variance: w * se2,
      scheduled: upcoming(channel),
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
  const best = [...stats].sort((a, b) => b.effect - a.effect)[0];
  const busiest = [...stats].sort((a, b) => b.scheduled - a.scheduled || a.effect - b.effect)[0];
  if (!best || !busiest || best.channel === busiest.channel) return { recommendations: [], missingData: [] };
  const diff = best.effect - busiest.effect;
  const sd = Math.sqrt(best.variance + busiest.variance);
  const z = familyZ(1);
  if (diff - z * sd <= 0) return { recommendations: [], missingData: [] };
  const x = (v: number) => round(Math.exp(v), 2);
  return {
    recommendations: [
      {
        id: `channel-shift:${goal.id}:${busiest.channel}->${best.channel}`,
        kind: 'channelShift',
        goalId: goal.id,
        channel: best.channel,
        summary: `For goal ${goal.id} (${goal.metric}), ${best.channel} is under-served: a post there yields ×${x(diff)} what one on ${busiest.channel} does (90 % interval ×${x(diff - z * sd)}–×${x(diff + z * sd)}; ${best.posts} and ${busiest.posts} measured posts, ${round(best.perPost, 2)} vs ${round(busiest.perPost, 2)} per post), yet it has ${best.scheduled} posts scheduled against ${busiest.scheduled}: move posts from ${busiest.channel} to ${best.channel}.`,
        evidence: {
          metric: goal.metric,
          channels: stats.map((s) => ({
            channel: s.channel,
            posts: s.posts,
            perPost: round(s.perPost, 4),
            scheduled: s.scheduled,
          })),
          lift: x(diff),
          liftLow: x(diff - z * sd),
          liftHigh: x(diff + z * sd),
          confidence: 0.9,
          priorSd: RULES.channelPriorSd,
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
  let spread = 0;
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
    spread = Math.sqrt(sampleVariance(rows.map((row) => row.value)) / rows.length);
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
  // The yield per post is itself uncertain: the posts needed range over its 80 % interval.
  const t = t80(Math.max(1, sample - 1));
  const fewest = Math.ceil(gap / (perPost + t * spread));
  const most = perPost - t * spread > 0 ? Math.ceil(gap / (perPost - t * spread)) : undefined;
  const range =
    spread > 0 ? ` (80 % interval ${fewest}–${most ?? 'unbounded'}, from ${sample} measured posts)` : '';
  // Past doubling the cadence, more of the same is not a plan: say so rather than prescribe it.
  const unrealistic = soFar > 0 && extraPerWeek > 2 * soFar;
  return {
    recommendations: [
      {
        ...base,
        id: `cadence:${goal.id}:+${round(extraPerWeek, 1)}/week`,
        summary: `To reach ${round(evaluation.target, 1)} ${goal.metric} by ${goal.window.to}, publish about ${extraPosts} more posts in scope${range} over the ${Math.round(daysLeft)} days left (≈ ${round(extraPerWeek, 1)} more a week on top of ${round(soFar, 1)} a week so far), at ${basis}.${unrealistic ? ' That is more than double the current cadence: posting more alone is unlikely to close the gap; change channels or content, or revisit the target.' : ''}`,
        evidence: {
          ...base.evidence,
          extraPosts,
          extraPostsLow: fewest,
          ...(most !== undefined ? { extraPostsHigh: most } : {}),
          extraPostsPerWeek: round(extraPerWeek, 2),
          unrealistic,
        },
      },
    ],
    missingData: [],
  };
}
