import type { ChannelInput } from '../../shared/domain/index.ts';
import type { Credentials } from '../../shared/platforms/port.ts';
import { AudienceModel, type SimulatorConfig } from './audience.ts';
import type { Clock, SimulatorHandle } from './base.ts';
import { DEFAULT_BLUESKY_ACCOUNT, startBlueskySimulator } from './bluesky.ts';
import { seedConfiguredHistory } from './history-accounts.ts';
import { DEFAULT_LINKEDIN_ACCOUNT, startLinkedInSimulator } from './linkedin.ts';
import { DEFAULT_MASTODON_ACCOUNT, startMastodonSimulator } from './mastodon.ts';
import { DEFAULT_FACEBOOK_PAGE, startFacebookSimulator } from './meta/facebook.ts';
import { DEFAULT_INSTAGRAM_ACCOUNT, startInstagramSimulator } from './meta/instagram.ts';
import { DEFAULT_THREADS_ACCOUNT, startThreadsSimulator } from './meta/threads.ts';
import { DEFAULT_X_ACCOUNT, startXSimulator } from './x.ts';

export interface SimulatorFleet {
  simulators: SimulatorHandle[];
  /** One demo channel per platform, pointed at its simulator. */
  channels: ChannelInput[];
  /** The credentials each demo channel's `secretRef` names (the simulators accept them). */
  secrets: Record<string, Credentials>;
  stop(): Promise<void>;
}

/**
 * Starts one simulator per platform on 127.0.0.1, sharing one audience model and one clock,
 * and describes the demo channels and secrets that reach them through the real adapters.
 */
export async function startSimulatorFleet(options: {
  clock: Clock;
  config: SimulatorConfig;
  timezone?: string;
}): Promise<SimulatorFleet> {
  const audience = new AudienceModel(options.config);
  const common = { clock: options.clock, audience };
  const [x, bluesky, mastodon, linkedin, facebook, instagram, threads] = await Promise.all([
    startXSimulator(common),
    startBlueskySimulator(common),
    startMastodonSimulator(common),
    startLinkedInSimulator(common),
    startFacebookSimulator(common),
    startInstagramSimulator(common),
    startThreadsSimulator(common),
  ]);
  // Posts from before Pulsecast, where the config asks for them (once per data folder).
  seedConfiguredHistory(
    { x, bluesky, mastodon, facebook, instagram, linkedin, threads },
    options.config,
    options.clock(),
  );
  const timezone = options.timezone ?? 'Europe/Berlin';
  const channel = (
    id: string,
    platform: ChannelInput['platform'],
    handle: string,
    sim: SimulatorHandle,
  ): ChannelInput => ({
    id,
    platform,
    handle,
    timezone: options.config.channels[id]?.timezone ?? timezone,
    secretRef: `local/${id}`,
    apiBaseUrl: sim.url,
  });
  const channels = [
    channel(DEFAULT_X_ACCOUNT.channel, 'x', `@${DEFAULT_X_ACCOUNT.username}`, x),
    channel(DEFAULT_BLUESKY_ACCOUNT.channel, 'bluesky', DEFAULT_BLUESKY_ACCOUNT.handle, bluesky),
    channel(DEFAULT_MASTODON_ACCOUNT.channel, 'mastodon', `@${DEFAULT_MASTODON_ACCOUNT.username}`, mastodon),
    channel(
      DEFAULT_LINKEDIN_ACCOUNT.channel,
      'linkedin',
      `urn:li:organization:${DEFAULT_LINKEDIN_ACCOUNT.organizationId}`,
      linkedin,
    ),
    channel(DEFAULT_FACEBOOK_PAGE.channel, 'facebook', DEFAULT_FACEBOOK_PAGE.name, facebook),
    channel(
      DEFAULT_INSTAGRAM_ACCOUNT.channel,
      'instagram',
      `@${DEFAULT_INSTAGRAM_ACCOUNT.username}`,
      instagram,
    ),
    channel(DEFAULT_THREADS_ACCOUNT.channel, 'threads', `@${DEFAULT_THREADS_ACCOUNT.username}`, threads),
  ];
  // The Instagram and Threads accounts start with 60-day tokens issued 30 days ago
  // (startMetaSimulator): saying when they expire lets the adapters refresh them in their last
  // week, so a channel keeps working past a month of local time.
  const longLivedExpiresAt = new Date(options.clock().getTime() + 30 * 86_400_000).toISOString();
  const secrets = defaultAccountSecrets('local/', longLivedExpiresAt);
  const simulators = [x, bluesky, mastodon, linkedin, facebook, instagram, threads];
  return {
    simulators,
    channels,
    secrets,
    stop: async () => {
      await Promise.all(simulators.map((sim) => sim.stop()));
    },
  };
}

/** The secrets of the simulators' default accounts, each under `<prefix><its channel id>`. */
export function defaultAccountSecrets(
  prefix: string,
  /** When the Meta accounts' long-lived tokens expire, if the caller knows. */
  longLivedExpiresAt?: string,
): Record<string, Credentials> {
  const expiry: Credentials = longLivedExpiresAt ? { expiresAt: longLivedExpiresAt } : {};
  return {
    [`${prefix}${DEFAULT_X_ACCOUNT.channel}`]: {
      accessToken: DEFAULT_X_ACCOUNT.accessToken,
      refreshToken: DEFAULT_X_ACCOUNT.refreshToken,
      clientId: DEFAULT_X_ACCOUNT.clientId,
    },
    [`${prefix}${DEFAULT_BLUESKY_ACCOUNT.channel}`]: {
      identifier: DEFAULT_BLUESKY_ACCOUNT.handle,
      appPassword: DEFAULT_BLUESKY_ACCOUNT.appPassword,
    },
    [`${prefix}${DEFAULT_MASTODON_ACCOUNT.channel}`]: { accessToken: DEFAULT_MASTODON_ACCOUNT.accessToken },
    [`${prefix}${DEFAULT_LINKEDIN_ACCOUNT.channel}`]: {
      accessToken: DEFAULT_LINKEDIN_ACCOUNT.accessToken,
      refreshToken: DEFAULT_LINKEDIN_ACCOUNT.refreshToken,
      clientId: DEFAULT_LINKEDIN_ACCOUNT.clientId,
      clientSecret: DEFAULT_LINKEDIN_ACCOUNT.clientSecret ?? '',
      organizationUrn: `urn:li:organization:${DEFAULT_LINKEDIN_ACCOUNT.organizationId}`,
    },
    [`${prefix}${DEFAULT_FACEBOOK_PAGE.channel}`]: {
      pageId: DEFAULT_FACEBOOK_PAGE.pageId,
      pageAccessToken: DEFAULT_FACEBOOK_PAGE.pageAccessToken,
    },
    [`${prefix}${DEFAULT_INSTAGRAM_ACCOUNT.channel}`]: {
      igUserId: DEFAULT_INSTAGRAM_ACCOUNT.userId,
      accessToken: DEFAULT_INSTAGRAM_ACCOUNT.accessToken,
      ...expiry,
    },
    [`${prefix}${DEFAULT_THREADS_ACCOUNT.channel}`]: {
      threadsUserId: DEFAULT_THREADS_ACCOUNT.userId,
      accessToken: DEFAULT_THREADS_ACCOUNT.accessToken,
      ...expiry,
    },
  };
}
