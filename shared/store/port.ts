import type { CampaignStore } from './campaigns.ts';
import type { ChannelStore } from './channels.ts';
import type { HoldStore } from './holds.ts';
import type { MeasurementStore } from './measurements.ts';
import type { NotificationStore } from './notifications.ts';
import type { PostStore } from './posts.ts';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/**
 * The persistence port, one port per aggregate: posts (with their uploads and due work),
 * channels (with their rate ledgers), campaigns (with their evaluations), measurements and
 * notifications. A domain function takes the narrowest of them it uses; `Store` is all of them
 * at once, for what wires a whole store up. Each port has a DynamoDB adapter beside it, used for
 * AWS, local mode and tests (against dynalite); every update is conditional on the version read.
 */
export interface Store
  extends PostStore,
    ChannelStore,
    CampaignStore,
    MeasurementStore,
    NotificationStore,
    HoldStore {}
