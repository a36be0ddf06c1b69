import { fileURLToPath } from 'node:url';
import { installDeps } from '../../../functions/commons/runtime.ts';
import { VirtualClock } from '../../../local/clock.ts';
import { type LocalDynamo, startLocalDynamo } from '../../../local/dynamo.ts';
import { AudienceModel } from '../../../local/simulators/audience.ts';
import type { SimulatorHandle } from '../../../local/simulators/base.ts';
import { DEFAULT_BLUESKY_ACCOUNT, startBlueskySimulator } from '../../../local/simulators/bluesky.ts';
import { defaultAccountSecrets } from '../../../local/simulators/fleet.ts';
import { DEFAULT_LINKEDIN_ACCOUNT, startLinkedInSimulator } from '../../../local/simulators/linkedin.ts';
import { DEFAULT_MASTODON_ACCOUNT, startMastodonSimulator } from '../../../local/simulators/mastodon.ts';
import { DEFAULT_X_ACCOUNT, startXSimulator } from '../../../local/simulators/x.ts';
import { LocalStateMachineRunner } from '../../../local/stepfunctions/runner.ts';
import type { Channel, Platform, Post } from '../../../shared/domain/index.ts';
import type { PlatformAdapter } from '../../../shared/platforms/port.ts';
import { adapterRegistry } from '../../../shared/platforms/registry.ts';
import { createDocumentClient, DynamoStore } from '../../../shared/store/dynamo.ts';
import { MemoryCredentialStore } from '../../platforms/helpers.ts';
import { RecordingEvents } from '../../support/dispatcher-driver.ts';
import { synthesizedApp } from '../../support/synthesized-app.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SimulatedChannel {
  channel: Channel;
  sim: SimulatorHandle;
  /** Path of the platform's metrics endpoint on the simulator (for counting requests). */
  metricsPath: string;
}

export interface LocalCollector {
  runner: LocalStateMachineRunner;
  clock: VirtualClock;
  store: DynamoStore;
  events: RecordingEvents;
  channels: Record<'x' | 'bluesky' | 'mastodon' | 'linkedin', SimulatedChannel>;
  adapterFor: (platform: Platform) => PlatformAdapter;
  credentials: MemoryCredentialStore;
  /** Publishes a post on its channel's simulator through the real adapter and stores it PUBLISHED. */
  publish(post: Post): Promise<Post>;
  /** Metrics requests a simulator received so far. */
  metricsRequests(platform: keyof LocalCollector['channels'], since?: string): number;
  stop(): Promise<void>;
}

/**
 * The Collector exactly as the CDK app synthesizes it, run by the local runner on a virtual clock
 * against dynalite, with the real handler modules (functions/measuring/*) and the real platform
 * adapters talking to four platform simulators that share one seeded audience model.
 */
export async function startLocalCollector(options: { start: number }): Promise<LocalCollector> {
  const { template, stackName, ids } = synthesizedApp();
  const { collector: collectorId, table: tableId, bus: busId } = ids;

  const dynamo: LocalDynamo = await startLocalDynamo();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  const clock = new VirtualClock({ start: options.start });
  const now = () => clock.now();

  const audience = new AudienceModel({ seed: 42 });
  const common = { clock: now, audience };
  const [x, bluesky, mastodon, linkedin] = await Promise.all([
    startXSimulator(common),
    startBlueskySimulator(common),
    startMastodonSimulator(common),
    startLinkedInSimulator(common),
  ]);
  const channel = (id: string, platform: Platform, handle: string, sim: SimulatorHandle): Channel => ({
    id,
    platform,
    handle,
    timezone: 'Europe/Berlin',
    secretRef: `pulsecast/${id}`,
    apiBaseUrl: sim.url,
    createdAt: new Date(options.start).toISOString(),
    updatedAt: new Date(options.start).toISOString(),
    version: 1,
  });
  const channels: LocalCollector['channels'] = {
    x: {
      channel: channel(DEFAULT_X_ACCOUNT.channel, 'x', '@pulsecast', x),
      sim: x,
      metricsPath: '/2/tweets',
    },
    bluesky: {
      channel: channel(DEFAULT_BLUESKY_ACCOUNT.channel, 'bluesky', DEFAULT_BLUESKY_ACCOUNT.handle, bluesky),
      sim: bluesky,
      metricsPath: '/xrpc/app.bsky.feed.getPosts',
    },
    mastodon: {
      channel: channel(DEFAULT_MASTODON_ACCOUNT.channel, 'mastodon', '@pulsecast', mastodon),
      sim: mastodon,
      metricsPath: '/api/v1/statuses',
    },
    linkedin: {
      channel: channel(
        DEFAULT_LINKEDIN_ACCOUNT.channel,
        'linkedin',
        `urn:li:organization:${DEFAULT_LINKEDIN_ACCOUNT.organizationId}`,
        linkedin,
      ),
      sim: linkedin,
      metricsPath: '/rest/organizationalEntityShareStatistics',
    },
  };
  const credentials = new MemoryCredentialStore(defaultAccountSecrets('pulsecast/'));
  const adapterFor = adapterRegistry({ now, sleep: async () => undefined });
  const events = new RecordingEvents();
  installDeps({ now, adapterFor, events, credentials });

  const runner = await LocalStateMachineRunner.fromTemplate(template, collectorId, {
    root: ROOT,
    clock,
    names: { [tableId]: dynamo.tableName, [busId]: 'pulsecast-local' },
    stackName,
  });
  const store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
  for (const { channel: c } of Object.values(channels)) await store.putChannel(c);

  const byChannel = new Map(Object.values(channels).map((c) => [c.channel.id, c.channel]));
  return {
    runner,
    clock,
    store,
    events,
    channels,
    adapterFor,
    credentials,
    async publish(post) {
      const target = byChannel.get(post.channel);
      if (!target) throw new Error(`no simulated channel ${post.channel}`);
      const ref = await adapterFor(target.platform).publish(post, target, credentials, {
        idempotencyKey: `pulsecast-${post.id}`,
      });
      const published: Post = {
        ...post,
        status: 'PUBLISHED',
        platformPostId: ref.platformPostId,
        platformUrl: ref.platformUrl,
        publishedAt: clock.now().toISOString(),
        version: post.version + 3,
        updatedAt: clock.now().toISOString(),
      };
      await store.createPosts([published]);
      return published;
    },
    metricsRequests(platform, since = '') {
      const { sim, metricsPath } = channels[platform];
      return sim.requests.filter(
        (request) => request.method === 'GET' && request.path.startsWith(metricsPath) && request.at >= since,
      ).length;
    },
    stop: async () => {
      runner.stopAll();
      await Promise.all([x, bluesky, mastodon, linkedin].map((sim) => sim.stop()));
      await dynamo.stop();
    },
  };
}
