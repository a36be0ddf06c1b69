import { evaluateCampaign } from '../goals/campaign-evaluation.ts';
import { loadEvaluationInput } from '../goals/evaluate-campaigns.ts';
import type { CampaignEvaluation } from '../goals/model.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { ListeningStore } from '../store/listening.ts';
import type { MeasurementStore } from '../store/measurements.ts';
import type { PostStore } from '../store/posts.ts';
import type {
  DigestSection,
  DigestSectionContext,
  DigestSectionProvider,
  DigestSource,
  GoalProgress,
  PostWithMetrics,
} from './digest.ts';

/** Goal evaluations with their pace points, and the current recommendations (the goals stage). */
export interface GoalsReader {
  goalProgress(asOf: string): Promise<GoalProgress[]>;
  recommendations(asOf: string): Promise<{ campaignId?: string; recommendation: unknown }[]>;
}

/**
 * The digest's source over the store: posts, their channels and their latest metrics (the
 * measuring stage keeps the latest snapshot's numbers on the post, `latestMetrics`) from the
 * table; goal progress and recommendations from the goals stage's reader. Without a reader the
 * digest has posts and numbers but no goals, so it works before the Evaluator has run.
 */
export class StoreDigestSource implements DigestSource {
  constructor(
    private readonly store: PostStore & ChannelStore,
    private readonly goalsReader?: GoalsReader,
    private readonly sectionProviders: readonly DigestSectionProvider[] = [],
  ) {}

  /** Every provider's sections, in the providers' order. */
  async sections(context: DigestSectionContext): Promise<DigestSection[]> {
    const all = await Promise.all(this.sectionProviders.map((provide) => provide(context)));
    return all.flat();
  }

  async posts(from: string, to: string): Promise<PostWithMetrics[]> {
    const posts = await this.store.postsScheduledBetween(from, to);
    const channels = await this.store.getChannels([...new Set(posts.map((p) => p.channel))]);
    return posts.map((post) => ({
      post,
      platform: channels.get(post.channel)?.platform ?? '',
      ...(channels.get(post.channel)?.handle ? { handle: channels.get(post.channel)?.handle as string } : {}),
      ...(post.latestMetrics
        ? {
            metrics: post.latestMetrics.metrics,
            measuredAt: post.latestMetrics.collectedAt,
            ...(post.latestMetrics.engagementRate !== undefined
              ? { engagementRate: post.latestMetrics.engagementRate }
              : {}),
          }
        : {}),
    }));
  }

  async goals(asOf: string): Promise<GoalProgress[]> {
    return this.goalsReader ? this.goalsReader.goalProgress(asOf) : [];
  }

  async recommendations(asOf: string): Promise<{ campaignId?: string; recommendation: unknown }[]> {
    return this.goalsReader ? this.goalsReader.recommendations(asOf) : [];
  }
}

/** Where the Evaluator's stored evaluations are read (one per campaign and campaign-local date). */
export interface EvaluationHistory {
  /** Every campaign that has goals. */
  campaigns(): Promise<{ id: string; name: string }[]>;
  /** The campaign's evaluations made at or before `asOf`, oldest first. */
  evaluations(campaignId: string, asOf: string): Promise<CampaignEvaluation[]>;
  /** The campaign evaluated at exactly `asOf` (what the report would say at that moment). */
  evaluate?(campaignId: string, asOf: string): Promise<CampaignEvaluation | undefined>;
}

/**
 * Goal progress for a digest: the campaign evaluated at the digest's own moment (so its numbers
 * are the report's at that moment, not the last daily run's, which is hours older) gives the
 * status, reason, target and forecast; the Evaluator's earlier days give the chart's points
 * (where the value was, and where the pace line said it should be). Without `evaluate` the
 * latest stored evaluation stands in.
 */
export class EvaluationGoalsReader implements GoalsReader {
  private readonly live = new Map<string, Promise<CampaignEvaluation[]>>();

  constructor(private readonly history: EvaluationHistory) {}

  /** The stored days before `asOf` and, last, the evaluation at `asOf` (computed once per run). */
  private timeline(campaignId: string, asOf: string): Promise<CampaignEvaluation[]> {
    const key = `${campaignId}\u0000${asOf}`;
    // One digest run reads goals and recommendations for one moment: keep only that moment's.
    if (![...this.live.keys()].every((k) => k.endsWith(`\u0000${asOf}`))) this.live.clear();
    let timeline = this.live.get(key);
    if (!timeline) {
      timeline = (async () => {
        const stored = await this.history.evaluations(campaignId, asOf);
        const now = await this.history.evaluate?.(campaignId, asOf);
        return now ? [...stored.filter((e) => e.asOfDate < now.asOfDate), now] : stored;
      })();
      this.live.set(key, timeline);
    }
    return timeline;
  }

  async goalProgress(asOf: string): Promise<GoalProgress[]> {
    const progress: GoalProgress[] = [];
    for (const campaign of await this.history.campaigns()) {
      const evaluations = await this.timeline(campaign.id, asOf);
      const latest = evaluations.at(-1);
      if (!latest) continue;
      for (const goal of latest.goals) {
        if (goal.target === undefined || goal.current === undefined) continue;
        const points = evaluations.flatMap((evaluation) => {
          const day = evaluation.goals.find((g) => g.goalId === goal.goalId);
          if (!day || day.expectedByNow === undefined) return [];
          return [
            {
              date: evaluation.asOfDate,
              pace: day.expectedByNow,
              ...(day.current !== undefined ? { actual: day.current } : {}),
            },
          ];
        });
        progress.push({
          campaignId: campaign.id,
          campaignName: campaign.name,
          goalId: goal.goalId,
          metric: goal.metric,
          direction: goal.direction,
          status: goal.status,
          reason: goal.reason,
          asOf: latest.asOf,
          target: goal.target,
          current: goal.current,
          expected: goal.expectedByNow ?? goal.current,
          ...(goal.forecast
            ? {
                forecast: goal.forecast.value,
                forecastLow: goal.forecast.low,
                forecastHigh: goal.forecast.high,
                assumptions: goal.forecast.assumptions ?? [],
              }
            : {}),
          window: goal.window,
          points,
        });
      }
    }
    return progress;
  }

  async recommendations(asOf: string): Promise<{ campaignId?: string; recommendation: unknown }[]> {
    const all: { campaignId?: string; recommendation: unknown }[] = [];
    for (const campaign of await this.history.campaigns()) {
      const latest = (await this.timeline(campaign.id, asOf)).at(-1);
      for (const recommendation of latest?.recommendations ?? [])
        all.push({ campaignId: campaign.id, recommendation });
    }
    return all;
  }
}

/** How many days of evaluations a chart shows at most (walking back one stored day at a time). */
export const MAX_CHART_DAYS = 120;

/**
 * The Evaluator's stored evaluations as a history. The store keeps one per campaign and date and
 * reads the latest before a date (`latestEvaluation`), so the history is walked back a day at a
 * time, as far as the goal windows reach and at most MAX_CHART_DAYS. A range query on the
 * campaign's item collection would read it in one request; this uses what the store offers.
 */
export function storeEvaluationHistory(
  store: CampaignStore & Partial<PostStore & MeasurementStore & ChannelStore>,
  /** The conversation, for listening goals. */
  listening?: ListeningStore,
): EvaluationHistory {
  const full = store as CampaignStore & PostStore & MeasurementStore & ChannelStore;
  const canEvaluate =
    typeof store.postsScheduledBetween === 'function' &&
    typeof store.listSnapshots === 'function' &&
    typeof store.listChannels === 'function' &&
    typeof store.conversionsBetween === 'function';
  return {
    ...(canEvaluate
      ? {
          async evaluate(campaignId: string, asOf: string) {
            const campaign = await store.getCampaign(campaignId);
            if (!campaign) return undefined;
            return evaluateCampaign(await loadEvaluationInput(campaign, full, new Date(asOf), listening));
          },
        }
      : {}),
    async campaigns() {
      const campaigns: { id: string; name: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listCampaigns({ limit: 100, ...(cursor ? { cursor } : {}) });
        for (const campaign of page.items)
          if (campaign.goals.length > 0) campaigns.push({ id: campaign.id, name: campaign.name });
        cursor = page.nextCursor;
      } while (cursor);
      return campaigns;
    },
    async evaluations(campaignId, asOf) {
      const history: CampaignEvaluation[] = [];
      let record = await store.latestEvaluation(campaignId);
      while (record && history.length < MAX_CHART_DAYS) {
        const evaluation = record.evaluation as CampaignEvaluation;
        if (record.asOf <= asOf && Array.isArray(evaluation?.goals)) history.unshift(evaluation);
        // Stop once every goal's window has been walked past.
        const earliest = evaluation?.goals?.map((g) => g.window.from).sort()[0];
        if (earliest && record.asOfDate <= earliest) break;
        record = await store.latestEvaluation(campaignId, record.asOfDate);
      }
      return history;
    },
  };
}
