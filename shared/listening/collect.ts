import type { Channel, Platform } from '../domain/index.ts';
import {
  LISTENING_CAPABILITIES,
  type ListeningAbility,
  type ListeningAdapter,
  type Read,
  type ReadFrom,
} from '../platforms/listening.ts';
import { type CredentialStore, PlatformError } from '../platforms/port.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { ListeningStore } from '../store/listening.ts';
import type { Mention } from './model.ts';
import { sentimentOf } from './sentiment.ts';
import { queriesOf, type Subject, subjectsIn, subjectsOf } from './settings.ts';

/**
 * The Listener's work (one run every 5 minutes): per platform listened on, read what is new since
 * the last run — mentions of every subject, what was addressed to our channels, our own replies —
 * and store each post once. Where a platform cannot do something, the run says so.
 */

/** How far back a first read goes: the week the spike baseline needs. */
export const FIRST_READ_DAYS = 7;

export interface ListenPlan {
  platforms: { platform: Platform; channels: string[] }[];
  /** What cannot be listened for, and why. */
  unsupported: { platform: Platform; ability: ListeningAbility; reason: string }[];
}

export interface ListenDeps {
  listening: ListeningStore;
  channels: ChannelStore;
  listeningFor: (platform: Platform) => ListeningAdapter | undefined;
  credentials: CredentialStore;
  now: () => Date;
}

async function allChannels(store: ChannelStore): Promise<Channel[]> {
  const channels: Channel[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listChannels({ limit: 100, ...(cursor ? { cursor } : {}) });
    channels.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return channels;
}

/** Which platforms to read this run, with our channels on each (their credentials do the reading). */
export async function planListening(deps: Pick<ListenDeps, 'listening' | 'channels'>): Promise<ListenPlan> {
  const stored = await deps.listening.getListeningSettings();
  if (!stored) return { platforms: [], unsupported: [] };
  const channels = await allChannels(deps.channels);
  const plan: ListenPlan = { platforms: [], unsupported: [] };
  for (const platform of stored.settings.platforms) {
    const capabilities = LISTENING_CAPABILITIES[platform];
    for (const [ability, support] of Object.entries(capabilities)) {
      if (!support.supported) {
        plan.unsupported.push({ platform, ability: ability as ListeningAbility, reason: support.reason });
      }
    }
    const ours = channels.filter((channel) => channel.platform === platform).map((channel) => channel.id);
    if (ours.length === 0) {
      plan.unsupported.push({
        platform,
        ability: 'search',
        reason: `no ${platform} channel is connected: listening on a platform reads with a channel's credentials`,
      });
      continue;
    }
    if (Object.values(capabilities).some((support) => support.supported))
      plan.platforms.push({ platform, channels: ours });
  }
  return plan;
}

export interface ListenSummary {
  platform: Platform;
  stored: number;
  alreadyStored: number;
  /** Stored mentions (found by a search first) that the inbound read showed were addressed to us. */
  markedInbound: number;
  ownReplies: number;
  /** Reads that failed this run (their positions stay, so the next run tries again). */
  problems: string[];
}

/** One platform's run: read, store, move the positions on. */
export async function listenOnPlatform(
  work: { platform: Platform; channels: readonly string[] },
  deps: ListenDeps,
): Promise<ListenSummary> {
  const summary: ListenSummary = {
    platform: work.platform,
    stored: 0,
    alreadyStored: 0,
    markedInbound: 0,
    ownReplies: 0,
    problems: [],
  };
  const stored = await deps.listening.getListeningSettings();
  const adapter = deps.listeningFor(work.platform);
  if (!stored || !adapter) return summary;
  const subjects = subjectsOf(stored.settings);
  const channels = [...(await deps.channels.getChannels(work.channels)).values()];
  const first = channels[0];
  if (!first) return summary;
  const now = deps.now();
  const since = new Date(now.getTime() - FIRST_READ_DAYS * 86_400_000).toISOString();
  const cursors = (await deps.listening.getListenerCursors(work.platform)) ?? {
    platform: work.platform,
    positions: {},
    updatedAt: now.toISOString(),
  };
  const ourHandles = new Set(channels.map((channel) => normaliseHandle(channel.handle)));
  const collectedAt = now.toISOString();

  /** One read from its position; a platform failure is reported and leaves the position alone. */
  async function read<T>(key: string, run: (from: ReadFrom) => Promise<Read<T>>): Promise<T[]> {
    const position = cursors.positions[key];
    try {
      const answer = await run({ since, ...(position ? { position } : {}) });
      if (answer.position) cursors.positions[key] = answer.position;
      return answer.posts;
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      summary.problems.push(`${key}: ${error.message}`);
      return [];
    }
  }

  async function keep(mention: Mention): Promise<void> {
    if (await deps.listening.putMention(mention)) summary.stored++;
    // Already there: a search may have stored it before this read saw it was addressed to us
    // (a search can run first after a failed or first inbound read); the flag is added once.
    else if (mention.inbound && (await deps.listening.markInbound(mention))) summary.markedInbound++;
    else summary.alreadyStored++;
  }

  // Inbound first: a post both addressed to us and found by a search is stored with its channel.
  if (adapter.capabilities.inbound.supported) {
    for (const channel of channels) {
      for (const post of await read(`inbound:${channel.id}`, (from) =>
        adapter.inbound(channel, deps.credentials, from),
      )) {
        if (ourHandles.has(normaliseHandle(post.author.handle))) continue;
        const { kind, ...rest } = post;
        await keep({
          ...rest,
          platform: work.platform,
          subjects: subjectsIn(post.text, subjects),
          inbound: { channel: channel.id, kind },
          sentiment: sentimentOf(post.text),
          collectedAt,
        });
      }
    }
  }
  if (adapter.capabilities.search.supported) {
    for (const subject of subjects) {
      for (const query of queriesOf(subject)) {
        for (const post of await read(`search:${query}`, (from) =>
          adapter.search(query, first, deps.credentials, from),
        )) {
          if (ourHandles.has(normaliseHandle(post.author.handle))) continue;
          await keep({
            ...post,
            platform: work.platform,
            subjects: mentionSubjects(post.text, subjects, subject),
            sentiment: sentimentOf(post.text),
            collectedAt,
          });
        }
      }
    }
  }
  if (adapter.capabilities.ownReplies.supported) {
    for (const channel of channels) {
      for (const post of await read(`own:${channel.id}`, (from) =>
        adapter.ownReplies(channel, deps.credentials, from),
      )) {
        if (!post.replyTo) continue;
        const created = await deps.listening.putOwnReply({
          platform: work.platform,
          id: post.id,
          channel: channel.id,
          createdAt: post.createdAt,
          replyTo: post.replyTo,
          ...(post.threadRoot ? { threadRoot: post.threadRoot } : {}),
          ...(post.ancestors?.length ? { ancestors: post.ancestors } : {}),
        });
        if (created) summary.ownReplies++;
      }
    }
  }
  // Written last: a run that fails before this reads the same posts again, and the conditional
  // puts keep each of them once.
  await deps.listening.putListenerCursors({ ...cursors, updatedAt: collectedAt });
  return summary;
}

/** The subjects of a post a search for `found` returned: those its text names, and `found` itself. */
function mentionSubjects(text: string, subjects: readonly Subject[], found: Subject): string[] {
  const named = subjectsIn(text, subjects);
  return named.includes(found.id) ? named : [...named, found.id];
}

/** `@Acme@mastodon.social`, `acme.bsky.social`, `@acme` → a comparable form. */
function normaliseHandle(handle: string): string {
  return handle.trim().replace(/^@/, '').toLowerCase();
}
