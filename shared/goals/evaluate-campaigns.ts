import * as z from 'zod';
import type { Campaign, Channel, Post } from '../domain/index.ts';
import { NotFoundError } from '../errors.ts';
import { EVENT_SCHEMAS, EVENT_TYPES, type EventPublisher, type PulsecastEvent } from '../events.ts';
import type { AuditStore } from '../store/audits.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { ListeningStore } from '../store/listening.ts';
import type { Conversion, MeasurementStore } from '../store/measurements.ts';
import { pagesOf, readAll } from '../store/pages.ts';
import type { PostStore } from '../store/posts.ts';
import type { AgedReading } from './accrual.ts';
import { loadActiveHours } from './active-hours.ts';
import { isAudienceMetric } from './audience-goal.ts';
import { changesSince, evaluateCampaign, isActive, isDue } from './campaign-evaluation.ts';
import { addDays, dayStartMs, localDate } from './days.ts';
import type { ListeningFacts } from './listening.ts';
import type {
  CampaignEvaluation,
  ChannelInfo,
  ConversionRecord,
  EvaluationInput,
  PostPerformance,
} from './model.ts';
import { RULES } from './recommend.ts';
import { metricKind } from './scope.ts';

/**
 * The Evaluator's steps (docs/architecture.md#evaluator): what the state machine's handlers call.
 * Loading goes through the store port; evaluating is the pure code in this folder; what comes out is
 * stored (one evaluation per campaign and local date) and compared with the previous date's to find
 * what to announce.
 */

/** What one campaign's evaluation reads: its posts, the conversions, the channels. */
/** What loading an evaluation reads; `audits` (the follower snapshots) only for audience goals. */
type EvaluationInputStore = PostStore & MeasurementStore & ChannelStore & { audits?: AuditStore };

export interface EvaluatorDeps {
  store: CampaignStore & EvaluationInputStore;
  now: () => Date;
  /** The conversation, for listening goals (shareOfVoice, responseRate, responseTimeMinutes). */
  listening?: ListeningStore;
}

/** Campaigns one Evaluator run takes on (its state stays small; the next hour takes the rest). */
export const MAX_CAMPAIGNS_PER_RUN = 200;

export interface DueCampaigns {
  /** The instant every campaign of this run is evaluated at. */
  asOf: string;
  campaigns: { campaignId: string; asOf: string }[];
  /** More campaigns were due than one run takes. */
  more: boolean;
}

/**
 * The campaigns to evaluate now: those whose daily evaluation is due (see `isDue`), or, with
 * `force`, every active one (`campaignId` narrows it to one).
 */
export async function listDueCampaigns(
  deps: EvaluatorDeps,
  options: { force?: boolean; campaignId?: string } = {},
): Promise<DueCampaigns> {
  const now = deps.now();
  const asOf = now.toISOString();
  const candidates: Campaign[] = [];
  if (options.campaignId) {
    const campaign = await deps.store.getCampaign(options.campaignId);
    if (!campaign) throw new NotFoundError('campaign', options.campaignId);
    candidates.push(campaign);
  } else {
    candidates.push(...(await readAll(100, (page) => deps.store.listCampaigns(page))));
  }
  const due: string[] = [];
  for (const campaign of candidates) {
    if (options.force) {
      if (isActive(campaign, now) || options.campaignId) due.push(campaign.id);
      continue;
    }
    if (!isActive(campaign, now)) continue;
    const last = await deps.store.latestEvaluation(campaign.id);
    if (isDue(campaign, last?.asOfDate, now)) due.push(campaign.id);
  }
  return {
    asOf,
    campaigns: due.slice(0, MAX_CAMPAIGNS_PER_RUN).map((campaignId) => ({ campaignId, asOf })),
    more: due.length > MAX_CAMPAIGNS_PER_RUN,
  };
}

/** Loads everything one campaign's evaluation needs, through the store port. */
export async function loadEvaluationInput(
  campaign: Campaign,
  store: EvaluationInputStore,
  now: Date,
  listening?: ListeningStore,
): Promise<EvaluationInput> {
  const zone = campaign.timezone;
  const today = localDate(now, zone);
  const starts = [addDays(today, -RULES.lookbackDays)];
  const ends = [addDays(today, RULES.weakWindowLookaheadDays)];
  for (const goal of campaign.goals) {
    starts.push(goal.window.from);
    ends.push(goal.window.to);
    if (goal.target.kind === 'relative') starts.push(goal.target.baseline.from);
  }
  // A day of margin either side: posts are listed by UTC scheduled time, days are local.
  const from = new Date(dayStartMs(addDays(minOf(starts), -1), zone)).toISOString();
  const to = new Date(dayStartMs(addDays(maxOf(ends), 2), zone)).toISOString();
  const [posts, conversions, channels] = await Promise.all([
    store.postsScheduledBetween(from, to),
    store.conversionsBetween(from, now.toISOString()),
    allChannels(store),
  ]);
  const audience = await audienceOf(campaign, store, channels, minOf(starts), today);
  const activeHours = await loadActiveHours(store.audits, channels.keys(), now);
  return {
    campaign,
    posts: posts.map(performanceOf),
    conversions: conversions.map(conversionOf),
    channels,
    snapshots: await snapshotHistories(posts, store, now),
    ...(await listeningFacts(campaign, listening, from, to, now)),
    ...(audience ? { audience } : {}),
    ...(activeHours ? { activeHours } : {}),
    now,
  };
}

/** Mentions and our replies over the campaign's periods, when a goal is about the conversation. */
async function listeningFacts(
  campaign: Campaign,
  listening: ListeningStore | undefined,
  from: string,
  to: string,
  now: Date,
): Promise<{ listening?: ListeningFacts }> {
  if (!listening || !campaign.goals.some((goal) => metricKind(goal.metric) === 'listening')) return {};
  const stored = await listening.getListeningSettings();
  if (!stored) return {};
  const until = to < now.toISOString() ? to : now.toISOString();
  const [mentions, replies] = await Promise.all([
    listening.mentionsBetween(from, until),
    listening.ownRepliesBetween(from, now.toISOString()),
  ]);
  return { listening: { settings: stored.settings, mentions, replies } };
}

/** Each channel's follower snapshots since `from` (a day earlier: the start's own value), for audience goals. */
async function audienceOf(
  campaign: Campaign,
  store: EvaluationInputStore,
  channels: ReadonlyMap<string, unknown>,
  from: string,
  to: string,
): Promise<Map<string, { date: string; followers: number }[]> | undefined> {
  const audits = store.audits;
  if (!audits || !campaign.goals.some((goal) => isAudienceMetric(goal.metric))) return undefined;
  const entries = await Promise.all(
    [...channels.keys()].map(
      async (channel) => [channel, await audits.listAudience(channel, addDays(from, -1), to)] as const,
    ),
  );
  return new Map(entries);
}

/** Published posts per channel whose snapshots teach the accrual curve (the most recent ones). */
export const CURVE_POSTS_PER_CHANNEL = 20;

/** The snapshot histories the accrual curves are learned from, by post id. */
async function snapshotHistories(
  posts: readonly Post[],
  store: MeasurementStore,
  now: Date,
): Promise<Map<string, AgedReading[]>> {
  const recent = new Map<string, Post[]>();
  for (const post of posts) {
    if (post.status !== 'PUBLISHED' || !post.publishedAt || !post.latestMetrics) continue;
    const list = recent.get(post.channel) ?? [];
    list.push(post);
    recent.set(post.channel, list);
  }
  const chosen = [...recent.values()].flatMap((list) =>
    list
      .sort((a, b) => (b.publishedAt as string).localeCompare(a.publishedAt as string))
      .slice(0, CURVE_POSTS_PER_CHANNEL),
  );
  const histories = new Map<string, AgedReading[]>();
  await Promise.all(
    chosen.map(async (post) => {
      const published = Date.parse(post.publishedAt as string);
      const snapshots = (await store.listSnapshots(post.id)).filter(
        (s) => Date.parse(s.collectedAt) <= now.getTime(),
      );
      histories.set(
        post.id,
        snapshots.map((s) => ({
          ageHours: (Date.parse(s.collectedAt) - published) / 3_600_000,
          metrics: s.metrics,
        })),
      );
    }),
  );
  return histories;
}

/** ISO dates sort as text. */
function minOf(dates: string[]): string {
  return [...dates].sort()[0] as string;
}

function maxOf(dates: string[]): string {
  return [...dates].sort().at(-1) as string;
}

/** A post with the latest numbers the measuring stage keeps on it. */
export function performanceOf(post: Post): PostPerformance {
  const latest = post.latestMetrics;
  return latest ? { post, metrics: latest.metrics, metricsAt: latest.collectedAt } : { post };
}

function conversionOf(conversion: Conversion): ConversionRecord {
  return {
    id: conversion.eventId,
    ...(conversion.postId ? { postId: conversion.postId } : {}),
    occurredAt: conversion.occurredAt,
    value: conversion.value,
    currency: conversion.currency,
  };
}

async function allChannels(store: ChannelStore): Promise<Map<string, ChannelInfo>> {
  const channels = new Map<string, ChannelInfo>();
  for await (const items of pagesOf(100, (page) => store.listChannels(page))) {
    for (const channel of items as Channel[]) {
      channels.set(channel.id, { id: channel.id, platform: channel.platform, timezone: channel.timezone });
    }
  }
  return channels;
}

export interface EvaluationOutcome {
  campaignId: string;
  asOfDate: string;
  statuses: Record<string, string>;
  /** What to announce: status changes and new recommendations since the previous date. */
  events: PulsecastEvent[];
}

/**
 * Evaluates one campaign at `asOf`, stores the evaluation under its local date and returns what
 * changed since the previous date's evaluation. Comparing with the previous *date* (not the
 * latest write) makes a retried or repeated run of the same day find the same changes, under
 * the same event ids: safe to retry.
 */
export async function evaluateAndStore(
  campaignId: string,
  deps: EvaluatorDeps,
  asOf?: string,
): Promise<EvaluationOutcome> {
  const now = asOf ? new Date(asOf) : deps.now();
  const campaign = await deps.store.getCampaign(campaignId);
  if (!campaign) throw new NotFoundError('campaign', campaignId);
  const input = await loadEvaluationInput(campaign, deps.store, now, deps.listening);
  const evaluation = evaluateCampaign(input);
  const previousRecord = await deps.store.latestEvaluation(campaignId, evaluation.asOfDate);
  const previous = previousRecord?.evaluation as CampaignEvaluation | undefined;
  await deps.store.putEvaluation({
    campaignId,
    asOfDate: evaluation.asOfDate,
    asOf: evaluation.asOf,
    evaluation,
  });
  return {
    campaignId,
    asOfDate: evaluation.asOfDate,
    statuses: Object.fromEntries(evaluation.goals.map((goal) => [goal.goalId, goal.status])),
    events: changesSince(previous, evaluation),
  };
}

const Announcement = z.object({
  type: z.enum(EVENT_TYPES as [string, ...string[]]),
  detail: z.record(z.string(), z.unknown()),
});

/**
 * Puts the events an evaluation produced on the bus, each checked against its schema again
 * (they crossed the state machine as JSON).
 */
export async function announce(events: readonly unknown[], publisher: EventPublisher): Promise<number> {
  const checked = events.map((raw) => {
    const { type, detail } = Announcement.parse(raw);
    const schema = EVENT_SCHEMAS[type as keyof typeof EVENT_SCHEMAS];
    return { type, detail: schema.parse(detail) } as PulsecastEvent;
  });
  if (checked.length > 0) await publisher.publish(checked);
  return checked.length;
}

export interface CampaignReport {
  campaign: Pick<Campaign, 'id' | 'name' | 'timezone' | 'version' | 'goals'>;
  /** `live`: evaluated for this request (the report is never an older stored evaluation). */
  source: 'live';
  /** When the evaluation was computed (UTC ISO): its numbers are as of then. */
  computedAt: string;
  evaluation: CampaignEvaluation;
}

/**
 * GET /v1/campaigns/{id}/report: evaluated for this request, so it counts what is published and
 * scheduled right now. The Evaluator's stored evaluation is once a day and can be hours old: a
 * calendar uploaded since would be missing from it, and a marketer would read "forecast 0" next
 * to 21 scheduled posts. Alerts, events and digests carry their own moment's evaluation.
 */
export async function campaignReport(campaignId: string, deps: EvaluatorDeps): Promise<CampaignReport> {
  const campaign = await deps.store.getCampaign(campaignId);
  if (!campaign) throw new NotFoundError('campaign', campaignId);
  const head = {
    id: campaign.id,
    name: campaign.name,
    timezone: campaign.timezone,
    version: campaign.version,
    goals: campaign.goals,
  };
  const live = evaluateCampaign(await loadEvaluationInput(campaign, deps.store, deps.now(), deps.listening));
  return { campaign: head, source: 'live', computedAt: live.asOf, evaluation: live };
}

/** The latest stored statuses of a campaign's goals (for GET /v1/campaigns/{id}). */
export async function latestStatuses(
  campaignId: string,
  store: CampaignStore,
): Promise<{ asOfDate: string; goals: Record<string, string> } | undefined> {
  const stored = await store.latestEvaluation(campaignId);
  const evaluation = stored?.evaluation as CampaignEvaluation | undefined;
  if (!evaluation) return undefined;
  return {
    asOfDate: evaluation.asOfDate,
    goals: Object.fromEntries(evaluation.goals.map((goal) => [goal.goalId, goal.status])),
  };
}
