import type { AuditStore } from '../store/audits.ts';
import { cellOf } from './timing.ts';

/**
 * The audience's active hours as a prior for posting windows (docs/architecture.md#goals-and-recommendations).
 *
 * Where a platform says when a channel's followers are online (Instagram's `online_followers`, read
 * daily into the channel's breakdown snapshot), a window's share of the online followers is a fair
 * first guess at its effect: a post goes out to whoever is there. The share becomes a ratio to the
 * average window (1/56), clamped to ×{@link ACTIVE_HOURS.minRatio}–×{@link ACTIVE_HOURS.maxRatio}
 * and taken on the log scale the window effects use, centred over the week so that it moves
 * windows against each other, not the channel's level.
 *
 * It enters the channel's window estimate as a prior worth {@link ACTIVE_HOURS.priorPosts} posts
 * (a pseudo-observation with variance σ²/k, σ the residual spread of the account's posts): with
 * few posts of its own, a channel's recommendation leans to its audience's active hours; every
 * post it publishes in a window then weighs as much as a fifth of the prior, and after a few
 * dozen the posts decide. It is a prior, not evidence: a recommendation that used it says so.
 */
export const ACTIVE_HOURS = {
  /** How many posts in the window the active-hours prior is worth. */
  priorPosts: 5,
  /** The ratio to the average window is held within these bounds (a window nobody is online in is not −∞). */
  minRatio: 0.25,
  maxRatio: 4,
  /** Windows the prior puts forward for judging besides those with posts: its most active ones. */
  topWindows: 3,
} as const;

export interface ActiveWindow {
  /** Share of the week's online followers in this window (0–1). */
  share: number;
  /** Share against the average window (×). */
  ratio: number;
  /** The prior's mean effect on the log scale, centred over the week. */
  effect: number;
}

/**
 * The 56 posting windows of a week in `zone`, from 168 hourly shares (Monday 00:00 UTC first):
 * each UTC hour of the week of `reference` is placed in the local window it falls in (so a
 * daylight-saving change moves it the way a post would move).
 */
export function activeWindows(
  activeHours: readonly number[],
  zone: string,
  reference: Date,
): Map<number, ActiveWindow> {
  const shares = new Array<number>(56).fill(0);
  const monday = mondayUtc(reference);
  activeHours.forEach((share, hour) => {
    const cell = cellOf(new Date(monday + hour * 3_600_000).toISOString(), zone);
    shares[cell] = (shares[cell] ?? 0) + Math.max(0, share);
  });
  const total = shares.reduce((a, b) => a + b, 0);
  const out = new Map<number, ActiveWindow>();
  if (total <= 0) return out;
  const ratios = shares.map((s) =>
    Math.min(ACTIVE_HOURS.maxRatio, Math.max(ACTIVE_HOURS.minRatio, (s / total) * shares.length)),
  );
  const centre = ratios.reduce((sum, r) => sum + Math.log(r), 0) / ratios.length;
  ratios.forEach((ratio, cell) => {
    out.set(cell, { share: (shares[cell] ?? 0) / total, ratio, effect: Math.log(ratio) - centre });
  });
  return out;
}

/** The windows the prior puts forward: the most active ones, most active first. */
export function mostActive(windows: ReadonlyMap<number, ActiveWindow>): number[] {
  return [...windows.entries()]
    .sort((a, b) => b[1].share - a[1].share || a[0] - b[0])
    .slice(0, ACTIVE_HOURS.topWindows)
    .map(([cell]) => cell);
}

function mondayUtc(at: Date): number {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  return day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000;
}

/** Each channel's latest active hours (from its breakdown snapshots), for the channels that have them. */
export async function loadActiveHours(
  audits: Pick<AuditStore, 'latestAudienceBreakdown'> | undefined,
  channels: Iterable<string>,
  now: Date,
): Promise<Map<string, { shares: readonly number[]; asOf: string }> | undefined> {
  if (!audits) return undefined;
  const today = now.toISOString().slice(0, 10);
  const found = new Map<string, { shares: readonly number[]; asOf: string }>();
  await Promise.all(
    [...channels].map(async (channel) => {
      const latest = await audits.latestAudienceBreakdown(channel, today);
      const shares = latest?.breakdowns.activeHours;
      if (latest && shares?.length === 168) found.set(channel, { shares, asOf: latest.date });
    }),
  );
  return found.size > 0 ? found : undefined;
}
