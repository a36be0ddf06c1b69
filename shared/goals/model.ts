import type {
  Campaign,
  DateWindow,
  GoalMetric,
  GoalStatus,
  NormalisedMetrics,
  Platform,
  Post,
} from '../domain/index.ts';
import type { AgedReading } from './accrual.ts';
import type { ListeningFacts } from './listening.ts';

/**
 * What goal evaluation and recommendations work from: plain data, no store, no clock. The
 * Evaluator (evaluate-campaigns.ts) loads it; the tests write it by hand.
 */

/** A post with the latest numbers measured for it. */
export interface PostPerformance {
  post: Post;
  /** The latest normalised metrics; absent while none have been collected. */
  metrics?: NormalisedMetrics;
  /** When those metrics were collected (UTC ISO). */
  metricsAt?: string;
}

/** A conversion as the webhook recorded it: attributed to a post when its UTM tags named one. */
export interface ConversionRecord {
  id?: string;
  postId?: string;
  occurredAt: string;
  value: number;
  currency: string;
}

/** What the evaluation needs to know of a channel (a stored Channel has it). */
export interface ChannelInfo {
  id: string;
  platform: Platform;
  timezone: string;
}

export interface EvaluationInput {
  campaign: Campaign;
  /** Every post that may matter: the windows', the baselines' and the recommendation history. */
  posts: readonly PostPerformance[];
  conversions: readonly ConversionRecord[];
  channels: ReadonlyMap<string, ChannelInfo>;
  /** Per post id, its metric snapshots by age: what the accrual curves are learned from. */
  snapshots?: ReadonlyMap<string, readonly AgedReading[]>;
  /** The conversation, for listening goals (absent: listening not set up or not needed). */
  listening?: ListeningFacts;
  /** Per channel, its daily follower snapshots (audience goals). */
  audience?: ReadonlyMap<string, readonly { date: string; followers: number }[]>;
  /**
   * Per channel whose platform says when its followers are online: 168 hourly shares, Monday
   * 00:00 UTC first, and the day they were read (a prior for posting windows, active-hours.ts).
   */
  activeHours?: ReadonlyMap<string, { shares: readonly number[]; asOf: string }>;
  now: Date;
}

/** The forecast of a goal's value at the end of its window, with its 80 % band. */
export interface Forecast {
  value: number;
  low: number;
  high: number;
  /** Share of outcomes the band holds (0.8: from the 10th to the 90th percentile). */
  confidence: number;
  /** How it was computed, in words (for the report). */
  method: string;
  /** What it takes for granted, in words: every number shown to a marketer says what it assumed. */
  assumptions: string[];
}

export interface GoalEvaluation {
  goalId: string;
  metric: GoalMetric;
  direction: 'atLeast' | 'atMost';
  status: GoalStatus;
  /** One sentence: why this status. */
  reason: string;
  window: DateWindow;
  /** The campaign-local date the evaluation is for. */
  asOfDate: string;
  daysTotal: number;
  /** Days of the window gone by, including the passed part of today. */
  daysElapsed: number;
  /** The value so far (a total, or the rate in percent for engagementRate). */
  current?: number;
  /** The value to reach (relative targets resolved against their baseline). */
  target?: number;
  baseline?: {
    window: DateWindow;
    value: number;
    days: number;
    posts: number;
    /** Of `posts`, those read from the account's history by an audit (marked as such). */
    importedPosts?: number;
    conversions: number;
  };
  /** Where a steady path from the start to the target would be by now (the pace). */
  expectedByNow?: number;
  forecast?: Forecast;
  /** What the numbers rest on. */
  evidence: {
    /** Posts in scope published in the window so far, and how many of them have metrics. */
    posts: number;
    measuredPosts: number;
    /** Posts in scope still scheduled inside the window. */
    scheduledPosts: number;
    conversions: number;
    /** Posts still to come the forecast counted on: unmeasured published, scheduled, planned. */
    plannedPosts?: number;
    /** For totals: what one post is expected to add at the end, its spread and sample size. */
    perPost?: {
      mean: number;
      stdDev: number;
      posts: number;
      source: 'window' | 'history';
      /** Of `posts`, those an audit imported (public counts read once at import). */
      importedPosts?: number;
    };
  };
  /** For NOT_ENOUGH_DATA: what is missing, e.g. "need ≥ 2 measured posts in scope; have 1". */
  missing?: string[];
  /** For NOT_ENOUGH_DATA: when the data should be enough (UTC ISO), if anything scheduled gets there. */
  enoughBy?: string;
}

export type RecommendationKind =
  | 'postingWindow'
  | 'weakWindowPost'
  | 'boostPost'
  | 'content'
  | 'channelShift'
  | 'cadence';

/** A specific, evidenced change to make. `id` is stable across days for the same advice. */
export interface Recommendation {
  id: string;
  kind: RecommendationKind;
  channel?: string;
  goalId?: string;
  postId?: string;
  /** What to do, in one or two sentences with the numbers. */
  summary: string;
  /** The numbers, sample sizes and what they are compared with. */
  evidence: Record<string, unknown>;
}

/** In place of a recommendation when the data cannot support one: what is missing. */
export interface DataGap {
  area: 'postingWindows' | 'content' | 'channels' | 'cadence';
  channel?: string;
  goalId?: string;
  message: string;
  have: number;
  need: number;
}

export interface PostSummary {
  postId: string;
  channel: string;
  publishedAt: string;
  engagements: number;
  text: string;
}

export interface CampaignEvaluation {
  campaignId: string;
  campaignVersion: number;
  timezone: string;
  /** The instant evaluated at and its campaign-local date (one stored evaluation per date). */
  asOf: string;
  asOfDate: string;
  goals: GoalEvaluation[];
  recommendations: Recommendation[];
  missingData: DataGap[];
  topPosts: PostSummary[];
  bottomPosts: PostSummary[];
}
