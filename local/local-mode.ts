import { join } from 'node:path';
import { saveChannel } from '../shared/channels.ts';
import type { ChannelInput } from '../shared/domain/index.ts';
import { createDocumentClient, DynamoStore } from '../shared/store/dynamo.ts';
import { startLocalDynamo } from './dynamo.ts';
import { startLocalApi } from './server.ts';

export interface LocalModeOptions {
  root: string;
  port: number;
  /** Where dynalite keeps its files; in memory when absent (tests). */
  dataDir?: string;
  seedDemoChannels?: boolean;
}

export interface LocalMode {
  apiUrl: string;
  store: DynamoStore;
  seededChannels: string[];
  stop(): Promise<void>;
}

/** The channels the example calendars in `examples/` post to. */
export const DEMO_CHANNELS: ChannelInput[] = [
  {
    id: 'x-main',
    platform: 'x',
    handle: '@pulsecast_demo',
    timezone: 'Europe/Berlin',
    secretRef: 'local/x-main',
  },
  {
    id: 'bsky-main',
    platform: 'bluesky',
    handle: 'pulsecast-demo.bsky.social',
    timezone: 'Europe/Berlin',
    secretRef: 'local/bsky-main',
  },
  {
    id: 'mastodon-main',
    platform: 'mastodon',
    handle: '@pulsecast@mastodon.example',
    timezone: 'Europe/Berlin',
    secretRef: 'local/mastodon-main',
  },
  {
    id: 'linkedin-page',
    platform: 'linkedin',
    handle: 'urn:li:organization:1000',
    timezone: 'America/New_York',
    secretRef: 'local/linkedin-page',
  },
];

/**
 * Starts local mode in this process: dynalite, then the API's real handlers behind a local
 * server. The handlers find the table through the same environment variables as on Lambda.
 */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  // Local mode never talks to AWS: the SDK gets fixed local credentials and a local endpoint,
  // whatever the shell has configured.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';

  const dynamo = await startLocalDynamo(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {});
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.TABLE_NAME = dynamo.tableName;
  const store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });

  const seededChannels: string[] = [];
  if (options.seedDemoChannels) {
    // Only channels that are missing: a demo channel the user changed stays as they left it.
    for (const input of DEMO_CHANNELS) {
      if (await store.getChannel(input.id)) continue;
      await saveChannel(input, { store, now: () => new Date() });
      seededChannels.push(input.id);
    }
  }

  const api = await startLocalApi({ port: options.port, root: options.root });
  return {
    apiUrl: api.url,
    store,
    seededChannels,
    stop: async () => {
      await api.stop();
      await dynamo.stop();
    },
  };
}
