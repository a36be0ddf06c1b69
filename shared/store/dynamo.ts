import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AuditStore, DynamoAuditStore } from './audits.ts';
import { DynamoCampaignStore } from './campaigns.ts';
import { DynamoChannelStore } from './channels.ts';
import { ComposedStore } from './composed.ts';
import { DynamoHoldStore } from './holds.ts';
import { DynamoMeasurementStore } from './measurements.ts';
import { DynamoNotificationStore } from './notifications.ts';
import { DynamoPostStore } from './posts.ts';
import type { BackoffOptions } from './retry.ts';
import { DynamoTable } from './table.ts';

export interface DynamoStoreOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  backoff?: BackoffOptions;
}

export function createDocumentClient(
  client: DynamoDBClient = new DynamoDBClient({}),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The whole Store on the single DynamoDB table: one adapter per port, all over one DynamoTable
 * (so they share its client and the cursor key it loads once).
 */
export class DynamoStore extends ComposedStore {
  /** History audits and audience snapshots (shared/store/audits.ts), on the same table. */
  readonly audits: AuditStore;

  constructor(options: DynamoStoreOptions) {
    const table = new DynamoTable({ ...options, client: options.client ?? createDocumentClient() });
    super({
      posts: new DynamoPostStore(table),
      channels: new DynamoChannelStore(table),
      campaigns: new DynamoCampaignStore(table),
      measurements: new DynamoMeasurementStore(table),
      notifications: new DynamoNotificationStore(table),
      holds: new DynamoHoldStore(table),
    });
    this.audits = new DynamoAuditStore(table);
  }
}
