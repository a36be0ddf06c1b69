import type { CampaignEvaluation } from '../goals/model.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { PostStore } from '../store/posts.ts';
import type { DigestSource, GoalProgress, PostWithMetrics } from './digest.ts';

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
  ) {}

  async posts(from: string, to: string): Promise<PostWithMetrics[]> {
    const posts = await this.store.postsScheduledBetween(from, to);
    const channels = await this.store.getChannels([...new Set(posts.map((p) => p.channel))]);
    return posts.map((post) => ({
      post,
      platform: channels.get(post.channel)?.platform ?? '',
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
}

/**
 * Goal progress from the Evaluator's daily history: the latest evaluation gives the status,
 * target and forecast; every earlier day gives a point of the chart (where the value was, and
 * where the pace line said it should be).
 */
export class EvaluationGoalsReader implements GoalsReader {
  constructor(private readonly history: EvaluationHistory) {}

  async goalProgress(asOf: string): Promise<GoalProgress[]> {
    const progress: GoalProgress[] = [];
    for (const campaign of await this.history.campaigns()) {
      const evaluations = await this.history.evaluations(campaign.id, asOf);
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
          target: goal.target,
          current: goal.current,
          expected: goal.expectedByNow ?? goal.current,
          ...(goal.forecast ? { forecast: goal.forecast.value } : {}),
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
      const latest = (await this.history.evaluations(campaign.id, asOf)).at(-1);
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
export function storeEvaluationHistory(store: CampaignStore): EvaluationHistory {
  return {
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
