import { ACTIVE_HOURS, type ActiveWindow, activeWindows, mostActive } from './active-hours.ts';
import { hourOfWeek } from './days.ts';
import type { DataGap, EvaluationInput, PostPerformance, Recommendation } from './model.ts';
import { engagementsOf, isUpcoming } from './scope.ts';
import { familyZ, mean, round, sum } from './stats.ts';

/**
 * Posting windows and standout posts from small samples (docs/architecture.md#goals-and-recommendations).
 *
 * The outcome is a post's engagements on a log scale, y = ln(1 + engagements), centred on its
 * channel's mean (channels differ in audience size; a window's effect is a ratio). A window is a
 * weekday and three hours in the channel's time zone (56 windows).
 *
 * Partial pooling, two levels. Across the account's channels, a window's effect θ is estimated
 * from every channel's posts in it: its mean residual d (standard error σ/√n, σ the pooled
 * residual spread) shrunk toward 0 with a prior θ ~ N(0, τ²), τ = {@link PRIOR_SD}, so a window
 * with a few posts moves little. A channel's own effect borrows from that: its posts in the
 * window (mean residual dₖ, nₖ posts) against a prior N(θ̂, v + ω²), ω = {@link CHANNEL_SD} for
 * how much channels may differ. A channel with 3 posts in a window thus stands on the account's
 * evidence plus its own.
 *
 * Windows with ≥ 2 posts across the account are judged. Every estimate comes with an interval
 * that holds together with 90 % confidence over all the judged windows (Bonferroni, familyZ): a window is recommended when its
 * interval is above 0, weak when it is below; between, nothing is claimed. Lifts are e^effect.
 * Scheduled posts in a weak window are named with the best window to move them to, when the
 * interval of moving is above 0 too. A post that did better than its channel's posts could by
 * chance (one-sided 5 % across all the measured posts) is named to boost or repeat.
 */
export const TIMING = {
  blockHours: 3,
  /** Prior spread of a window's effect across the account (log scale: ±35 % is typical). */
  priorSd: 0.3,
  /** How much a channel's window effect may differ from the account's (log scale). */
  channelSd: 0.2,
  /** Measured posts on a channel before anything is said about its timing. */
  minChannelPosts: 3,
  /** Posts (across the account's channels) a window needs before it is judged. */
  minWindowPosts: 2,
  maxWindowsPerChannel: 3,
  weakWindowLookaheadDays: 30,
  maxWeakWindowPostsPerChannel: 10,
  maxBoostsPerChannel: 3,
} as const;
export const PRIOR_SD = TIMING.priorSd;
export const CHANNEL_SD = TIMING.channelSd;

const DAY_NAMES = ['Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays', 'Sundays'];
const BLOCKS = 24 / TIMING.blockHours;

interface Observation {
  performance: PostPerformance;
  channel: string;
  /**
   * Whose level the post is centred on: its channel, or — for a post imported by an audit — its
   * channel's imported posts. Imported posts carry one late reading of public counts only, so
   * they may sit on another footing than the Collector's; with a level of their own they inform
   * the window effects only through how they differ from each other.
   */
  level: string;
  cell: number;
  residual: number;
  engagements: number;
}

interface Estimate {
  cell: number;
  mean: number;
  sd: number;
  channelPosts: number;
  accountPosts: number;
  /** The channel's audience in this window, when its active hours were the prior. */
  active?: ActiveWindow;
}

export function cellOf(instant: string, zone: string): number {
  const hour = hourOfWeek(instant, zone);
  return Math.floor(hour / 24) * BLOCKS + Math.floor((hour % 24) / TIMING.blockHours);
}

const WEEKDAY_CODES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
const pad = (h: number) => `${String(h).padStart(2, '0')}:00`;

/** A window as data: `{ day: 'TUE', from: '09:00', to: '12:00' }`. */
export function cellBounds(cell: number): { day: string; from: string; to: string } {
  const from = (cell % BLOCKS) * TIMING.blockHours;
  return {
    day: WEEKDAY_CODES[Math.floor(cell / BLOCKS)] as string,
    from: pad(from),
    to: pad(from + TIMING.blockHours),
  };
}

export function describeCell(cell: number, zone: string): string {
  const day = DAY_NAMES[Math.floor(cell / BLOCKS)];
  const from = (cell % BLOCKS) * TIMING.blockHours;
  return `${day} ${pad(from)}–${pad(from + TIMING.blockHours)} (${zone})`;
}

const lift = (x: number) => round(Math.exp(x), 2);
const activeText = (e: Estimate) =>
  e.active
    ? `; the audience's active hours were used as a prior worth ${ACTIVE_HOURS.priorPosts} posts (${round(e.active.share * 100, 1)} % of the week's online followers are online in this window, ×${round(e.active.ratio, 2)} the average window)`
    : '';
const liftText = (e: { mean: number; sd: number }, z: number) =>
  `×${lift(e.mean)} (90 % interval ×${lift(e.mean - z * e.sd)}–×${lift(e.mean + z * e.sd)})`;

/** The window and standout-post recommendations for the campaign's channels. */
export function timing(
  input: EvaluationInput,
  measured: readonly PostPerformance[],
  campaignChannels: readonly string[],
): { recommendations: Recommendation[]; missingData: DataGap[] } {
  const zoneOf = (channel: string, fallback?: string) =>
    input.channels.get(channel)?.timezone ?? fallback ?? 'UTC';
  const byLevel = new Map<string, Observation[]>();
  const counted = new Map<string, number>();
  for (const performance of measured) {
    const y = engagementsOf(performance.metrics);
    if (y === undefined) continue;
    const { post } = performance;
    const level = post.origin === 'imported' ? `${post.channel}\u0000imported` : post.channel;
    const list = byLevel.get(level) ?? [];
    list.push({
      performance,
      channel: post.channel,
      level,
      cell: cellOf(post.publishedAt as string, zoneOf(post.channel, post.timezone)),
      residual: Math.log1p(y), // centred on its level by fitWindows()
      engagements: y,
    });
    byLevel.set(level, list);
    counted.set(post.channel, (counted.get(post.channel) ?? 0) + 1);
  }
  const fitted = [...byLevel.values()].filter((list) => list.length >= 2);
  const observations: Observation[] = fitted.flat();
  const byChannel = new Map<string, Observation[]>();
  for (const o of observations) byChannel.set(o.channel, [...(byChannel.get(o.channel) ?? []), o]);
  const missingData: DataGap[] = [];
  const recommendations: Recommendation[] = [];
  const degrees = observations.length - fitted.length;
  if (degrees < 2) {
    for (const channel of campaignChannels) missingData.push(gap(channel, counted.get(channel) ?? 0));
    return { recommendations, missingData };
  }
  const cells = new Map<number, Observation[]>();
  for (const o of observations) {
    const list = cells.get(o.cell) ?? [];
    list.push(o);
    cells.set(o.cell, list);
  }
  const { offsets, account, sigma2 } = fitWindows(fitted, cells, degrees);
  for (const o of observations) o.residual -= offsets.get(o.level) ?? 0;
  // Only windows with posts on more than one occasion are judged, and the interval guards
  // against having looked at all of them.
  const judged = [...cells.keys()].filter((cell) => (cells.get(cell)?.length ?? 0) >= TIMING.minWindowPosts);
  const zAccount = familyZ(judged.length);

  // A channel's effect in a window: the other channels' evidence there (shrunk toward 0) is its
  // prior, widened by how much channels may differ; its own posts there update it.
  const active = new Map<string, Map<number, ActiveWindow>>();
  for (const [channel, hours] of input.activeHours ?? []) {
    const windows = activeWindows(hours.shares, zoneOf(channel), input.now);
    if (windows.size > 0) active.set(channel, windows);
  }
  const channelEstimate = (channel: string, cell: number): Estimate => {
    const all = cells.get(cell) ?? [];
    const own = all.filter((o) => o.channel === channel);
    const others = all.filter((o) => o.channel !== channel);
    let priorMean = 0;
    let priorVariance = PRIOR_SD ** 2 + CHANNEL_SD ** 2;
    if (others.length > 0) {
      const se2 = sigma2 / others.length;
      const w = PRIOR_SD ** 2 / (PRIOR_SD ** 2 + se2);
      priorMean = w * mean(others.map((o) => o.residual));
      priorVariance = w * se2 + CHANNEL_SD ** 2;
    }
    // The audience's active hours: a pseudo-observation worth ACTIVE_HOURS.priorPosts posts.
    const audience = active.get(channel)?.get(cell);
    if (audience) {
      const pseudoVariance = sigma2 / ACTIVE_HOURS.priorPosts;
      const variance = 1 / (1 / priorVariance + 1 / pseudoVariance);
      priorMean = variance * (priorMean / priorVariance + audience.effect / pseudoVariance);
      priorVariance = variance;
    }
    const base = {
      cell,
      channelPosts: own.length,
      accountPosts: all.length,
      ...(audience ? { active: audience } : {}),
    };
    if (own.length === 0) return { ...base, mean: priorMean, sd: Math.sqrt(priorVariance) };
    const dataVariance = sigma2 / own.length;
    const variance = 1 / (1 / priorVariance + 1 / dataVariance);
    const m = variance * (priorMean / priorVariance + mean(own.map((o) => o.residual)) / dataVariance);
    return { ...base, mean: m, sd: Math.sqrt(variance) };
  };

  for (const channel of campaignChannels) {
    const own = byChannel.get(channel) ?? [];
    if ((counted.get(channel) ?? 0) < TIMING.minChannelPosts || own.length === 0) {
      missingData.push(gap(channel, counted.get(channel) ?? 0));
      continue;
    }
    const zone = zoneOf(channel);
    // A channel with active hours also has its audience's most active windows judged, and its
    // intervals hold across that larger family.
    const audience = active.get(channel);
    const hours = input.activeHours?.get(channel);
    const candidates = audience ? [...new Set([...judged, ...mostActive(audience)])] : judged;
    const z = audience ? familyZ(candidates.length) : zAccount;
    const estimates = candidates.sort((a, b) => a - b).map((cell) => channelEstimate(channel, cell));
    const evidence = (e: Estimate) => ({
      channel,
      timezone: zone,
      window: describeCell(e.cell, zone),
      ...cellBounds(e.cell),
      lift: lift(e.mean),
      liftLow: lift(e.mean - z * e.sd),
      liftHigh: lift(e.mean + z * e.sd),
      confidence: 0.9,
      windowsCompared: candidates.length,
      postsOnChannelInWindow: e.channelPosts,
      postsOnAccountInWindow: e.accountPosts,
      channelPosts: own.length,
      accountPosts: observations.length,
      priorSd: PRIOR_SD,
      channelSd: CHANNEL_SD,
      ...(e.active && hours
        ? {
            activeHoursPrior: {
              postsEquivalent: ACTIVE_HOURS.priorPosts,
              onlineShare: round(e.active.share, 4),
              onlineRatio: round(e.active.ratio, 2),
              asOf: hours.asOf,
            },
          }
        : {}),
    });
    const strong = estimates
      .filter((e) => e.mean - z * e.sd > 0)
      .sort((a, b) => b.mean - a.mean)
      .slice(0, TIMING.maxWindowsPerChannel);
    for (const e of strong) {
      recommendations.push({
        id: `posting-window:${channel}:${cellBounds(e.cell).day}-${cellBounds(e.cell).from}`,
        kind: 'postingWindow',
        channel,
        summary: `Post on ${channel} on ${describeCell(e.cell, zone)}: expected ${liftText(e, z)} the channel's typical engagements (${e.channelPosts} of its ${own.length} measured posts there, ${e.accountPosts} across the account's channels)${activeText(e)}.`,
        evidence: evidence(e),
      });
    }
    recommendations.push(...weakWindowPosts(channel, zone, estimates, z, input, evidence));
    recommendations.push(...boosts(channel, own, sigma2, account, observations.length));
  }
  return { recommendations, missingData };
}

interface Fit {
  /** Per channel, its level (mean log engagements at an average window). */
  offsets: Map<string, number>;
  /** Per window, the account-wide effect: posterior mean and variance, and its posts. */
  account: Map<number, { mean: number; variance: number; posts: number }>;
  sigma2: number;
}

/**
 * Channel levels and shrunk window effects, fitted together by alternating the two (a few
 * rounds of backfitting): a channel that posts half its posts in a good window does not have
 * that window absorbed into its level.
 */
function fitWindows(
  channels: readonly Observation[][],
  cells: ReadonlyMap<number, Observation[]>,
  degrees: number,
): Fit {
  const offsets = new Map<string, number>();
  const effects = new Map<number, number>();
  let sigma2 = 0;
  const account = new Map<number, { mean: number; variance: number; posts: number }>();
  for (let round = 0; round < 12; round++) {
    for (const list of channels) {
      const level = list[0]?.level as string;
      offsets.set(level, mean(list.map((o) => o.residual - (effects.get(o.cell) ?? 0))));
    }
    // The residual spread, its degrees of freedom reduced by what the shrunk window effects
    // soaked up (each counts its shrinkage weight: a window with one post takes part of a degree).
    const residuals = channels
      .flat()
      .map((o) => o.residual - (offsets.get(o.level) ?? 0) - (effects.get(o.cell) ?? 0));
    const soaked = sum(
      [...cells.values()].map((list) => PRIOR_SD ** 2 / (PRIOR_SD ** 2 + (sigma2 || 1) / list.length)),
    );
    sigma2 = Math.max(sum(residuals.map((r) => r * r)) / Math.max(1, degrees - soaked), 1e-6);
    for (const [cell, list] of cells) {
      const se2 = sigma2 / list.length;
      const w = PRIOR_SD ** 2 / (PRIOR_SD ** 2 + se2);
      const d = mean(list.map((o) => o.residual - (offsets.get(o.level) ?? 0)));
      effects.set(cell, w * d);
      account.set(cell, { mean: w * d, variance: w * se2, posts: list.length });
    }
  }
  return { offsets, account, sigma2 };
}

function gap(channel: string, have: number): DataGap {
  return {
    area: 'postingWindows',
    channel,
    message: `posting windows and standout posts on ${channel}: need ≥ ${TIMING.minChannelPosts} measured posts (at least 24 h old, last 90 days); have ${have}`,
    have,
    need: TIMING.minChannelPosts,
  };
}

function weakWindowPosts(
  channel: string,
  zone: string,
  estimates: readonly Estimate[],
  z: number,
  input: EvaluationInput,
  evidence: (e: Estimate) => Record<string, unknown>,
): Recommendation[] {
  const byCell = new Map(estimates.map((e) => [e.cell, e]));
  const best = [...estimates].sort((a, b) => b.mean - a.mean)[0];
  if (!best) return [];
  const horizon = input.now.getTime() + TIMING.weakWindowLookaheadDays * 86_400_000;
  const out: Recommendation[] = [];
  const upcoming = input.posts
    .filter(({ post }) => post.channel === channel && isUpcoming(post))
    .filter(
      ({ post }) =>
        Date.parse(post.scheduledAt) >= input.now.getTime() && Date.parse(post.scheduledAt) < horizon,
    )
    .sort((a, b) => a.post.scheduledAt.localeCompare(b.post.scheduledAt));
  for (const { post } of upcoming) {
    if (out.length >= TIMING.maxWeakWindowPostsPerChannel) break;
    const here = byCell.get(cellOf(post.scheduledAt, zone));
    if (!here || here.cell === best.cell || here.mean + z * here.sd >= 0) continue;
    const move = { mean: best.mean - here.mean, sd: Math.sqrt(best.sd ** 2 + here.sd ** 2) };
    if (move.mean - z * move.sd <= 0) continue;
    out.push({
      id: `weak-window:${post.id}`,
      kind: 'weakWindowPost',
      channel,
      postId: post.id,
      summary: `Post ${post.id} is scheduled on ${channel} at ${post.scheduledAt}, in a weak window (${describeCell(here.cell, zone)}: ${liftText(here, z)} the channel's typical engagements). Moving it to ${describeCell(best.cell, zone)} is expected to give ${liftText(move, z)} (${here.channelPosts} and ${best.channelPosts} of the channel's posts in those windows).`,
      evidence: {
        ...evidence(here),
        scheduledAt: post.scheduledAt,
        suggested: evidence(best),
        moveLift: lift(move.mean),
        moveLiftLow: lift(move.mean - z * move.sd),
        moveLiftHigh: lift(move.mean + z * move.sd),
      },
    });
  }
  return out;
}

function boosts(
  channel: string,
  own: readonly Observation[],
  sigma2: number,
  account: ReadonlyMap<number, { mean: number }>,
  comparisons: number,
): Recommendation[] {
  // One-sided 5 % across every measured post of the account.
  const threshold = familyZ(comparisons, 0.9) * Math.sqrt(sigma2 * (1 + 1 / own.length));
  const channelMean = mean(own.map((o) => o.engagements));
  return own
    .map((o) => ({ o, excess: o.residual - (account.get(o.cell)?.mean ?? 0) }))
    .filter(({ excess }) => excess > threshold)
    .sort((a, b) => b.excess - a.excess)
    .slice(0, TIMING.maxBoostsPerChannel)
    .map(({ o, excess }) => {
      const se = Math.sqrt(sigma2 / own.length);
      return {
        id: `boost:${o.performance.post.id}`,
        kind: 'boostPost' as const,
        channel,
        postId: o.performance.post.id,
        summary: `Boost or repeat post ${o.performance.post.id} on ${channel}: it got ${o.engagements} engagements, ×${lift(excess)} what its window usually gives on the channel (interval ×${lift(excess - 1.645 * se)}–×${lift(excess + 1.645 * se)}); ordinary posts stay below ×${lift(threshold)} by chance (${own.length} measured posts on the channel, ${comparisons} on the account).`,
        evidence: {
          channel,
          postId: o.performance.post.id,
          engagements: o.engagements,
          channelMeanEngagements: round(channelMean, 2),
          lift: lift(excess),
          liftLow: lift(excess - 1.645 * se),
          liftHigh: lift(excess + 1.645 * se),
          chanceLimit: lift(threshold),
          channelPosts: own.length,
          accountPosts: comparisons,
        },
      };
    });
}
