import type { Campaign, Page } from '../../shared/domain/index.ts';
import type { CampaignStore, EvaluationRecord } from '../../shared/store/campaigns.ts';
import { clone, type WriteHook } from './memory-base.ts';

/** CampaignStore in memory: one evaluation per campaign and date, the latest found by date. */
export class MemoryCampaignStore implements CampaignStore {
  readonly campaigns = new Map<string, Campaign>();
  /** Evaluations by campaign, then by date. */
  readonly evaluations = new Map<string, Map<string, EvaluationRecord>>();

  constructor(private readonly hook: WriteHook) {}

  async getCampaign(id: string) {
    return this.campaigns.get(id);
  }
  async listCampaigns(): Promise<Page<Campaign>> {
    return { items: [...this.campaigns.values()] };
  }
  async putCampaign(campaign: Campaign) {
    this.campaigns.set(campaign.id, campaign);
  }
  async putEvaluation(record: EvaluationRecord) {
    this.hook.beforeWrite('putEvaluation');
    const byDate = this.evaluations.get(record.campaignId) ?? new Map<string, EvaluationRecord>();
    this.evaluations.set(record.campaignId, byDate);
    byDate.set(record.asOfDate, clone(record));
  }
  async latestEvaluation(campaignId: string, beforeDate?: string) {
    const dates = [...(this.evaluations.get(campaignId)?.keys() ?? [])]
      .filter((date) => beforeDate === undefined || date < beforeDate)
      .sort();
    const date = dates.at(-1);
    return date === undefined ? undefined : clone(this.evaluations.get(campaignId)?.get(date));
  }
}
