import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Campaign, Page } from '../domain/index.ts';
import type { PageRequest } from './port.ts';
import { type DynamoTable, fromItem, listedKeys, PK, SK } from './table.ts';

/**
 * A campaign's daily evaluation (shared/goals). `evaluation` is the goals stage's document; the
 * store keeps it as given, one per campaign and campaign-local date, in the campaign's item
 * collection, so yesterday's is one Query away when today's is compared with it.
 */
export interface EvaluationRecord {
  campaignId: string;
  /** The campaign-local date evaluated (`2026-04-11`). */
  asOfDate: string;
  asOf: string;
  evaluation: unknown;
}

/** Campaigns and their daily evaluations. */
export interface CampaignStore {
  getCampaign(id: string): Promise<Campaign | undefined>;
  listCampaigns(page: PageRequest): Promise<Page<Campaign>>;
  putCampaign(campaign: Campaign, expectedVersion?: number): Promise<void>;
  /** Stores a campaign's evaluation for its date (a repeated run that day overwrites it). */
  putEvaluation(record: EvaluationRecord): Promise<void>;
  /** The campaign's latest stored evaluation, or the latest from a date before `beforeDate`. */
  latestEvaluation(campaignId: string, beforeDate?: string): Promise<EvaluationRecord | undefined>;
}

/** The DynamoDB adapter of CampaignStore: campaigns listed in `byType` by id, evaluations in their collection. */
export class DynamoCampaignStore implements CampaignStore {
  constructor(private readonly table: DynamoTable) {}

  getCampaign(id: string): Promise<Campaign | undefined> {
    return this.table.getOne<Campaign>('CAMPAIGN', id);
  }

  listCampaigns(page: PageRequest): Promise<Page<Campaign>> {
    return this.table.listByType<Campaign>('CAMPAIGN', page);
  }

  putCampaign(campaign: Campaign, expectedVersion?: number): Promise<void> {
    const item = { ...listedKeys('CAMPAIGN', campaign.id, campaign.id), ...campaign };
    return this.table.putVersioned(item, 'campaign', campaign.id, expectedVersion);
  }

  /** In the campaign's item collection, sort key `EVALUATION#<date>`: one per local date. */
  putEvaluation(record: EvaluationRecord): Promise<void> {
    return this.table.put({
      [PK]: `CAMPAIGN#${record.campaignId}`,
      [SK]: `EVALUATION#${record.asOfDate}`,
      ...record,
    });
  }

  async latestEvaluation(campaignId: string, beforeDate?: string): Promise<EvaluationRecord | undefined> {
    // Newest first; with `beforeDate` the range ends at that date's own item (BETWEEN is
    // inclusive), so two items are read and that one skipped.
    const result = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: {
          ':pk': `CAMPAIGN#${campaignId}`,
          ':from': 'EVALUATION#',
          ':to': beforeDate === undefined ? 'EVALUATION#~' : `EVALUATION#${beforeDate}`,
        },
        ScanIndexForward: false,
        Limit: 2,
        ConsistentRead: true,
      }),
    );
    const records = (result.Items ?? []).map((item) => fromItem<EvaluationRecord>(item));
    return records.find((record) => beforeDate === undefined || record.asOfDate < beforeDate);
  }
}
