import type { Platform } from '../domain/index.ts';
import type { AudienceBreakdowns, BreakdownGap } from '../platforms/audience-breakdowns.ts';

/** One history import of a channel and where it stands (the Auditor writes it as it goes). */
export interface Audit {
  /** Sorts by when it was asked for: `<yyyymmddThhmmssZ>-<random>`. */
  id: string;
  channel: string;
  /** The oldest post it reads (UTC ISO). */
  since: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  requestedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Pages read from the platform. */
  pages: number;
  /** Posts stored by this audit. */
  imported: number;
  /** Posts it found already stored (an earlier audit's, or Pulsecast's own). */
  alreadyKnown: number;
  /** Times the platform said to slow down (429) and the Auditor waited. */
  rateLimitWaits: number;
  /** What the platform cannot give, reported rather than guessed. */
  limitations: string[];
  /** Why it failed, for a person. */
  error?: string;
}

/** A channel's audience on one day (UTC date), read once a day and by every audit. */
export interface Audience {
  channel: string;
  date: string;
  collectedAt: string;
  followers: number;
  breakdowns?: AudienceBreakdowns;
}

/**
 * A channel's audience breakdowns on one day (UTC date): what its platform gave, what it offers
 * but did not give that day, and what it does not offer at all. One a channel and day.
 */
export interface AudienceBreakdownSnapshot {
  channel: string;
  platform: Platform;
  date: string;
  collectedAt: string;
  breakdowns: AudienceBreakdowns;
  /** Asked-for breakdowns the platform does not offer, and why. */
  notOffered: BreakdownGap[];
  /** Breakdowns it offers that it did not give that day (too few followers, …), and why. */
  unavailable: BreakdownGap[];
}
