import { activeWindows, mostActive } from '../goals/active-hours.ts';
import { cellBounds, describeCell } from '../goals/timing.ts';
import type { Breakdown, BreakdownGap } from '../platforms/audience-breakdowns.ts';
import type { AudienceBreakdownSnapshot } from './model.ts';

/**
 * The audience breakdowns as the audit report and the digest show them: the largest shares of
 * each breakdown, the audience's most active posting windows in the channel's time zone, and what
 * the platform does not offer or did not give.
 */
export interface BreakdownSummary {
  asOf: string;
  countries?: Share[];
  ages?: Share[];
  genders?: Share[];
  seniorities?: Share[];
  industries?: Share[];
  /** The three windows (weekday × 3 hours, channel zone) with the most followers online. */
  activeWindows?: { window: string; day: string; from: string; to: string; share: number; ratio: number }[];
  notOffered: BreakdownGap[];
  unavailable: BreakdownGap[];
}

export interface Share {
  key: string;
  share: number;
}

const TOP = 10;

function top(breakdown: Breakdown | undefined): Share[] | undefined {
  if (!breakdown || Object.keys(breakdown).length === 0) return undefined;
  return Object.entries(breakdown)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP)
    .map(([key, share]) => ({ key, share }));
}

export function breakdownSummary(snapshot: AudienceBreakdownSnapshot, zone: string): BreakdownSummary {
  const { breakdowns } = snapshot;
  const windows = breakdowns.activeHours
    ? activeWindows(breakdowns.activeHours, zone, new Date(snapshot.collectedAt))
    : undefined;
  const lists = {
    countries: top(breakdowns.countries),
    ages: top(breakdowns.ages),
    genders: top(breakdowns.genders),
    seniorities: top(breakdowns.seniorities),
    industries: top(breakdowns.industries),
  };
  return {
    asOf: snapshot.collectedAt,
    ...Object.fromEntries(Object.entries(lists).filter(([, list]) => list !== undefined)),
    ...(windows && windows.size > 0
      ? {
          activeWindows: mostActive(windows).map((cell) => {
            const w = windows.get(cell);
            return {
              window: describeCell(cell, zone),
              ...cellBounds(cell),
              share: Math.round((w?.share ?? 0) * 10_000) / 10_000,
              ratio: Math.round((w?.ratio ?? 0) * 100) / 100,
            };
          }),
        }
      : {}),
    notOffered: snapshot.notOffered,
    unavailable: snapshot.unavailable,
  };
}

/** One line for a person: the top country and age band, the most active window, what is missing. */
export function breakdownLine(summary: BreakdownSummary): string {
  const pct = (s: Share) => `${s.key} ${Math.round(s.share * 100)} %`;
  const parts: string[] = [];
  if (summary.countries) parts.push(`top countries ${summary.countries.slice(0, 3).map(pct).join(', ')}`);
  if (summary.ages) parts.push(`ages ${summary.ages.slice(0, 2).map(pct).join(', ')}`);
  const active = summary.activeWindows?.[0];
  if (active) parts.push(`most online ${active.window} (×${active.ratio} the average window)`);
  const missing = [...summary.notOffered, ...summary.unavailable].map((gap) => gap.kind);
  if (missing.length > 0) parts.push(`not available: ${[...new Set(missing)].join(', ')}`);
  return parts.join('; ');
}
