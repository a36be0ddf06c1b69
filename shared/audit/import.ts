import { createHash, randomBytes } from 'node:crypto';
import type { Channel, Platform, Post } from '../domain/index.ts';
import { NotFoundError } from '../errors.ts';
import { engagementRate } from '../measuring/snapshot.ts';
import type { AccountPost, AccountReader } from '../platforms/account.ts';
import { type CredentialStore, PlatformError } from '../platforms/port.ts';
import type { AuditStore } from '../store/audits.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { MeasurementStore } from '../store/measurements.ts';
import type { PostStore } from '../store/posts.ts';
import type { Audit } from './model.ts';

/**
 * The history import, one page per call (the Auditor state machine loops over it):
 * - each post the platform lists becomes a post in status IMPORTED, origin `imported`, with an id
 *   derived from the channel and the platform's id, written only if absent: a second run (or a
 *   retried step) stores nothing twice, and never touches a post Pulsecast published itself;
 * - each gets one metrics snapshot (checkpoint `import`, keyed by its publication time, so it too
 *   is written once);
 * - a 429 moves nothing on: the page is asked for again, with the same cursor, after the wait
 *   the platform named. An answer that did not come (a timeout, a 5xx) is waited on the same way,
 *   a few times; a refused token or request fails the audit with the platform's reason.
 */

export const IMPORTED_CHECKPOINT = 'import';
/** Waits longer than this are capped (Step Functions waits cost nothing; people do wait). */
export const MAX_WAIT_SECONDS = 900;
const TRANSIENT_WAIT_SECONDS = 30;
const MAX_TRANSIENT_WAITS = 5;

export interface AuditDeps {
  store: PostStore & ChannelStore & MeasurementStore;
  audits: AuditStore;
  readerFor: (platform: Platform) => AccountReader;
  credentials: CredentialStore;
  now: () => Date;
}

/** What the Auditor carries from one page to the next (small: ids and counts, never posts). */
export interface ImportState {
  auditId: string;
  channel: string;
  since: string;
  cursor?: string;
  pages: number;
  imported: number;
  alreadyKnown: number;
  rateLimitWaits: number;
  /** Transient failures in a row (reset by a page read). */
  transientWaits: number;
  /** Set when the Auditor should wait before asking again. */
  waitSeconds?: number;
  done: boolean;
}

/** A new audit id: sortable by time, unique. */
export function newAuditId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** The stored id of an imported post: the same platform post always maps to the same id. */
export function importedPostId(channel: string, platformPostId: string): string {
  return `imp-${createHash('sha256').update(`${channel}\u0000${platformPostId}`).digest('hex').slice(0, 24)}`;
}

/** Records a requested audit (RUNNING) and the state the Auditor starts from. */
export async function beginAudit(
  deps: Pick<AuditDeps, 'store' | 'audits' | 'readerFor' | 'now'>,
  request: { channel: string; since: string; auditId?: string },
): Promise<{ audit: Audit; state: ImportState }> {
  const channel = await deps.store.getChannel(request.channel);
  if (!channel) throw new NotFoundError('channel', request.channel);
  const now = deps.now();
  const reader = deps.readerFor(channel.platform);
  const audit: Audit = {
    id: request.auditId ?? newAuditId(now),
    channel: channel.id,
    since: request.since,
    status: 'RUNNING',
    requestedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    pages: 0,
    imported: 0,
    alreadyKnown: 0,
    rateLimitWaits: 0,
    limitations: [...reader.limitations],
  };
  await deps.audits.putAudit(audit);
  return {
    audit,
    state: {
      auditId: audit.id,
      channel: channel.id,
      since: request.since,
      pages: 0,
      imported: 0,
      alreadyKnown: 0,
      rateLimitWaits: 0,
      transientWaits: 0,
      done: false,
    },
  };
}

/** Reads and stores one page; returns the state for the next call. */
export async function importPage(deps: AuditDeps, state: ImportState): Promise<ImportState> {
  const { waitSeconds: _previousWait, ...current } = state;
  const channel = await deps.store.getChannel(state.channel);
  if (!channel) throw new NotFoundError('channel', state.channel);
  const reader = deps.readerFor(channel.platform);
  let page: Awaited<ReturnType<AccountReader['listPosts']>>;
  try {
    page = await reader.listPosts(channel, deps.credentials, {
      since: state.since,
      ...(state.cursor ? { cursor: state.cursor } : {}),
    });
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    if (error.kind === 'rate-limited') {
      const wait = Math.min(Math.max(Math.ceil(error.details.retryAfterSeconds ?? 60), 1), MAX_WAIT_SECONDS);
      return { ...current, rateLimitWaits: state.rateLimitWaits + 1, waitSeconds: wait };
    }
    if (
      (error.kind === 'unavailable' || error.kind === 'ambiguous') &&
      state.transientWaits < MAX_TRANSIENT_WAITS
    ) {
      return { ...current, transientWaits: state.transientWaits + 1, waitSeconds: TRANSIENT_WAIT_SECONDS };
    }
    throw error;
  }
  const { imported, alreadyKnown } = await storePage(deps, channel, page.posts);
  const { cursor: _cursor, ...rest } = current;
  const next: ImportState = {
    ...rest,
    ...(page.cursor ? { cursor: page.cursor } : {}),
    pages: state.pages + 1,
    imported: state.imported + imported,
    alreadyKnown: state.alreadyKnown + alreadyKnown,
    transientWaits: 0,
    done: !page.cursor,
  };
  await recordProgress(deps, next, 'RUNNING');
  return next;
}

/** Writes the audit's counts as the state has them (a retried step writes the same numbers). */
export async function recordProgress(
  deps: Pick<AuditDeps, 'audits' | 'now'>,
  state: ImportState,
  status: Audit['status'],
  error?: string,
): Promise<Audit> {
  const existing = await deps.audits.getAudit(state.channel, state.auditId);
  if (!existing) throw new NotFoundError('audit', state.auditId);
  const now = deps.now().toISOString();
  const audit: Audit = {
    ...existing,
    status,
    updatedAt: now,
    pages: state.pages,
    imported: state.imported,
    alreadyKnown: state.alreadyKnown,
    rateLimitWaits: state.rateLimitWaits,
    ...(status !== 'RUNNING' ? { finishedAt: now } : {}),
    ...(error ? { error } : {}),
  };
  await deps.audits.putAudit(audit);
  return audit;
}

async function storePage(
  deps: AuditDeps,
  channel: Channel,
  listed: readonly AccountPost[],
): Promise<{ imported: number; alreadyKnown: number }> {
  if (listed.length === 0) return { imported: 0, alreadyKnown: 0 };
  const now = deps.now().toISOString();
  // A post Pulsecast published itself is already stored under its own id: leave it alone.
  const published = await publishedIdsOf(deps, channel.id, listed);
  const fresh = listed.filter((post) => !published.has(post.platformPostId));
  const posts = fresh.map((post) => importedPost(channel, post, now));
  const outcomes = await deps.store.writePosts(posts.map((post) => ({ post })));
  for (const post of posts) {
    const rate = engagementRate(post.latestMetrics?.metrics ?? {});
    await deps.store.putSnapshot({
      postId: post.id,
      checkpoint: IMPORTED_CHECKPOINT,
      dueAt: post.publishedAt as string,
      collectedAt: now,
      metrics: post.latestMetrics?.metrics ?? {},
      ...(rate ?? {}),
      raw: null,
    });
  }
  const imported = outcomes.filter((outcome) => outcome.written).length;
  return { imported, alreadyKnown: listed.length - imported };
}

/** Platform ids of the channel's own PUBLISHED posts among `listed` (scheduled within the page's span). */
async function publishedIdsOf(
  deps: AuditDeps,
  channel: string,
  listed: readonly AccountPost[],
): Promise<Set<string>> {
  const times = listed.map((post) => Date.parse(post.publishedAt));
  // A post goes out at or after its scheduled time; a day's margin covers a late one.
  const from = new Date(Math.min(...times) - 86_400_000).toISOString();
  const to = new Date(Math.max(...times) + 1).toISOString();
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await deps.store.listPosts(
      { from, to, channel, status: 'PUBLISHED' },
      { limit: 500, ...(cursor ? { cursor } : {}) },
    );
    for (const post of page.items) if (post.platformPostId) ids.add(post.platformPostId);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** An imported post as stored: IMPORTED from the start, measured once, never due for anything. */
export function importedPost(channel: Channel, listed: AccountPost, now: string): Post {
  const rate = engagementRate(listed.metrics);
  return {
    id: importedPostId(channel.id, listed.platformPostId),
    status: 'IMPORTED',
    origin: 'imported',
    version: 1,
    createdAt: now,
    updatedAt: now,
    channel: channel.id,
    scheduledAt: listed.publishedAt,
    timezone: channel.timezone,
    text: listed.text,
    ...(listed.link && /^https?:\/\//.test(listed.link) ? { link: listed.link } : {}),
    media: [],
    ...(listed.media.length > 0 ? { importedMedia: [...listed.media] } : {}),
    tags: listed.hashtags.slice(0, 30).map((tag) => tag.slice(0, 64)),
    platformPostId: listed.platformPostId,
    platformUrl: listed.platformUrl,
    publishedAt: listed.publishedAt,
    latestMetrics: {
      checkpoint: IMPORTED_CHECKPOINT,
      collectedAt: now,
      metrics: listed.metrics,
      ...(rate ?? {}),
    },
  };
}
