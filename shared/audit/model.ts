import type { Breakdown } from '../platforms/account.ts';

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
  breakdowns?: {
    countries?: Breakdown;
    ages?: Breakdown;
    activeHours?: number[];
  };
}
