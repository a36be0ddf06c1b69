import type { Channel } from '../domain/index.ts';
import { errorMessage } from './http.ts';
import { PlatformError } from './port.ts';

/**
 * Audience breakdowns: who follows a channel (countries, ages, genders, professional facets) and
 * when they are online. A platform offers some of them or none; each account reader declares
 * which (`AccountSpec.breakdowns`), and the daily audience snapshot reports per channel what is
 * not offered rather than leaving a blank that looks like zero.
 *
 * Shares are 0–1 of the followers the platform counted for that breakdown (Meta leaves out
 * followers it cannot place, and gives none below 100 followers). Keys are the platform's own:
 * ISO country codes and age bands (`25-34`) on Meta; geo, seniority and industry URNs on LinkedIn.
 */

/** Share of the audience per key (country code, age band), 0–1. */
export type Breakdown = Record<string, number>;

export interface AudienceBreakdowns {
  countries?: Breakdown;
  ages?: Breakdown;
  genders?: Breakdown;
  /** 168 shares, Monday 00:00–01:00 UTC first: when the followers are online. Sums to 1. */
  activeHours?: number[];
  seniorities?: Breakdown;
  industries?: Breakdown;
}

export type BreakdownKind = keyof AudienceBreakdowns;
export const BREAKDOWN_KINDS: readonly BreakdownKind[] = [
  'countries',
  'ages',
  'genders',
  'activeHours',
  'seniorities',
  'industries',
];
/** The breakdowns a marketer asks every platform for; a platform without one reports it as not offered. */
export const ASKED_BREAKDOWNS: readonly BreakdownKind[] = ['countries', 'ages', 'genders', 'activeHours'];

export interface BreakdownGap {
  kind: BreakdownKind;
  reason: string;
}

/** One reading of a channel's breakdowns. */
export interface BreakdownReading {
  breakdowns: AudienceBreakdowns;
  /** Breakdowns the platform offers but did not give this time (too few followers, …), and why. */
  unavailable: BreakdownGap[];
}

/** What a platform offers, and why it offers no more. */
export interface BreakdownCapability {
  offers: readonly BreakdownKind[];
  /** Per asked breakdown it does not offer: why (in words a marketer reads). */
  notOffered: BreakdownGap[];
}

/** The part of an account spec that reads breakdowns, for a platform that has any. */
export interface BreakdownSpec<C> {
  offers: readonly BreakdownKind[];
  /** Why the asked breakdowns it does not offer are missing. */
  missing: string;
  read(
    get: (url: string) => Promise<unknown>,
    context: { channel: Channel; credentials: C; base: string; now: Date },
  ): Promise<BreakdownReading>;
}

/** What a reader offers, from its spec (none: every asked breakdown with the platform's reason). */
export function breakdownCapability(
  spec: { offers: readonly BreakdownKind[]; missing: string } | undefined,
  platformName: string,
): BreakdownCapability {
  const offers = spec?.offers ?? [];
  const reason = spec?.missing ?? `${platformName} offers no audience breakdowns through its API`;
  return {
    offers,
    notOffered: ASKED_BREAKDOWNS.filter((kind) => !offers.includes(kind)).map((kind) => ({ kind, reason })),
  };
}

/**
 * Reads each offered breakdown on its own: one the platform refuses for this account (Meta's
 * "fewer than 100 followers", a retired metric) is reported as unavailable and the others kept.
 * Throttling and credential failures still throw, so the snapshot is retried or the channel
 * flagged.
 */
export async function readEach(
  parts: readonly {
    kind: BreakdownKind;
    read: () => Promise<Breakdown | number[] | undefined>;
  }[],
): Promise<BreakdownReading> {
  const reading: BreakdownReading = { breakdowns: {}, unavailable: [] };
  for (const part of parts) {
    try {
      const value = await part.read();
      if (
        value === undefined ||
        (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0)
      ) {
        reading.unavailable.push({ kind: part.kind, reason: 'the platform answered with no data' });
      } else {
        (reading.breakdowns as Record<string, unknown>)[part.kind] = value;
      }
    } catch (error) {
      if (error instanceof PlatformError && (error.kind === 'rate-limited' || error.kind === 'auth'))
        throw error;
      reading.unavailable.push({ kind: part.kind, reason: errorMessage(error) });
    }
  }
  return reading;
}

/** Counts per key as shares of their total (rounded to 4 places); empty when the total is 0. */
export function shares(counts: Record<string, number>): Breakdown {
  const total = Object.values(counts).reduce((sum, n) => sum + Math.max(0, n), 0);
  if (total <= 0) return {};
  const out: Breakdown = {};
  for (const [key, n] of Object.entries(counts))
    if (n > 0) out[key] = Math.round((n / total) * 10_000) / 10_000;
  return out;
}

/** Hour-of-week counts (168, Monday 00:00 UTC first) as shares; empty when nothing was counted. */
export function hourShares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, n) => sum + Math.max(0, n), 0);
  if (total <= 0) return [];
  return counts.map((n) => Math.round((Math.max(0, n) / total) * 1_000_000) / 1_000_000);
}

/** The UTC hour of the week (0 = Monday 00:00–01:00 UTC) an instant falls in. */
export function utcHourOfWeek(ms: number): number {
  const date = new Date(ms);
  return ((date.getUTCDay() + 6) % 7) * 24 + date.getUTCHours();
}
