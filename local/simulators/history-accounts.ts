import type { SimulatorConfig } from './audience.ts';
import { type BlueskySimAccount, DEFAULT_BLUESKY_ACCOUNT } from './bluesky.ts';
import type { HistoryInput } from './history.ts';
import { type HistoryAccount, seedHistory, snowflakeAt, tidAt } from './history.ts';
import { DEFAULT_LINKEDIN_ACCOUNT } from './linkedin.ts';
import { DEFAULT_MASTODON_ACCOUNT } from './mastodon.ts';
import { shortcode } from './meta/containers.ts';
import { DEFAULT_FACEBOOK_PAGE } from './meta/facebook.ts';
import { DEFAULT_INSTAGRAM_ACCOUNT } from './meta/instagram.ts';
import { DEFAULT_THREADS_ACCOUNT } from './meta/threads.ts';
import type { SimContext } from './sim-types.ts';
import { DEFAULT_X_ACCOUNT } from './x.ts';

/**
 * How each simulator's default account keeps a history post: its account key, ids and URLs as
 * the platform makes them, and the fields its listing routes read.
 */
export const HISTORY_ACCOUNTS: Record<
  'x' | 'mastodon' | 'bluesky' | 'facebook' | 'instagram' | 'linkedin' | 'threads',
  (baseUrl: string) => HistoryAccount
> = {
  x: () => ({
    account: DEFAULT_X_ACCOUNT.userId,
    channel: DEFAULT_X_ACCOUNT.channel,
    id: snowflakeAt,
    url: (id) => `https://x.com/${DEFAULT_X_ACCOUNT.username}/status/${id}`,
  }),
  mastodon: (baseUrl) => ({
    account: DEFAULT_MASTODON_ACCOUNT.id,
    channel: DEFAULT_MASTODON_ACCOUNT.channel,
    id: snowflakeAt,
    url: (id) => `${baseUrl}/@${DEFAULT_MASTODON_ACCOUNT.username}/${id}`,
  }),
  bluesky: () => blueskyHistory(DEFAULT_BLUESKY_ACCOUNT),
  facebook: () => ({
    account: DEFAULT_FACEBOOK_PAGE.pageId,
    channel: DEFAULT_FACEBOOK_PAGE.channel,
    id: (at, n) => `${DEFAULT_FACEBOOK_PAGE.pageId}_${snowflakeAt(at, n)}`,
    url: (id) => `https://www.facebook.com/${DEFAULT_FACEBOOK_PAGE.pageId}/posts/${id.split('_')[1]}`,
    data: () => ({ link: null }),
  }),
  instagram: () => ({
    account: DEFAULT_INSTAGRAM_ACCOUNT.userId,
    channel: DEFAULT_INSTAGRAM_ACCOUNT.channel,
    id: snowflakeAt,
    url: (id) => `https://www.instagram.com/p/${Buffer.from(id).toString('base64url').slice(0, 11)}/`,
    data: () => ({ mediaType: 'IMAGE' }),
  }),
  linkedin: () => ({
    account: DEFAULT_LINKEDIN_ACCOUNT.organizationId,
    channel: DEFAULT_LINKEDIN_ACCOUNT.channel,
    id: (at, n) => `urn:li:share:${snowflakeAt(at, n)}`,
    url: (urn) => `https://www.linkedin.com/feed/update/${urn}/`,
    // The history's texts hold no reserved little-text characters but `#` before a tag.
    data: (urn, text, _at, planned) => ({
      commentary: text,
      content: planned.media
        ? { media: { id: `urn:li:image:${urn.split(':').at(-1)}` } }
        : planned.link
          ? { article: { source: planned.link, title: planned.link } }
          : null,
      visibility: 'PUBLIC',
    }),
  }),
  threads: () => ({
    account: DEFAULT_THREADS_ACCOUNT.userId,
    channel: DEFAULT_THREADS_ACCOUNT.channel,
    id: snowflakeAt,
    url: (id) =>
      `https://www.threads.net/@${DEFAULT_THREADS_ACCOUNT.username}/post/${shortcode(`threads:${id}`)}`,
    data: (id, _text, _at, planned) => ({
      mediaType: planned.media ? 'IMAGE' : 'TEXT_POST',
      shortcode: shortcode(`threads:${id}`),
    }),
  }),
};

function blueskyHistory(account: BlueskySimAccount): HistoryAccount {
  const rkeys = new Map<string, string>();
  return {
    account: account.did,
    channel: account.channel,
    id: (at, n) => {
      const rkey = tidAt(at, n);
      const uri = `at://${account.did}/app.bsky.feed.post/${rkey}`;
      rkeys.set(uri, rkey);
      return uri;
    },
    url: (uri) => `https://bsky.app/profile/${account.handle}/post/${rkeys.get(uri) ?? ''}`,
    data: (uri, text, at) => ({
      rkey: rkeys.get(uri),
      cid: `bafyreihistory${(rkeys.get(uri) ?? '').padEnd(13, 'a')}`,
      record: { $type: 'app.bsky.feed.post', text, createdAt: at.toISOString(), langs: ['en'] },
    }),
  };
}

/** Seeds the history the config asks for on each simulator that can serve it; returns posts added per channel. */
export function seedConfiguredHistory(
  simulators: Partial<Record<keyof typeof HISTORY_ACCOUNTS, { ctx: SimContext; url: string }>>,
  config: SimulatorConfig,
  now: Date,
): Record<string, number> {
  const added: Record<string, number> = {};
  for (const [platform, make] of Object.entries(HISTORY_ACCOUNTS)) {
    const sim = simulators[platform as keyof typeof HISTORY_ACCOUNTS];
    if (!sim) continue;
    const account = make(sim.url);
    const history = config.channels[account.channel]?.history;
    if (history) added[account.channel] = seedHistory(sim.ctx, account, history, now);
  }
  return added;
}

/** The config with `history` for every history-capable channel that does not set its own (the demo's). */
export function withDefaultHistory(config: SimulatorConfig, history: HistoryInput): SimulatorConfig {
  const channels = { ...config.channels };
  for (const make of Object.values(HISTORY_ACCOUNTS)) {
    const { channel } = make('');
    channels[channel] = { history, ...channels[channel] };
  }
  return { ...config, channels };
}

/** The channels whose simulators can serve a history (and whose history an audit can import). */
export const HISTORY_CHANNELS = Object.values(HISTORY_ACCOUNTS).map((make) => make('').channel);
