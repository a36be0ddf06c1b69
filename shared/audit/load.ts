import type { Platform, Post } from '../domain/index.ts';
import { NotFoundError } from '../errors.ts';
import type { AccountReader } from '../platforms/account.ts';
import type { AuditStore } from '../store/audits.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { PostStore } from '../store/posts.ts';
import { everyChannel } from './audience.ts';
import { type AuditReport, auditReport } from './report.ts';

/** How far back a report looks when the channel was never audited. */
export const DEFAULT_AUDIT_DAYS = 90;

export interface ReportDeps {
  store: PostStore & ChannelStore;
  audits: AuditStore;
  readerFor: (platform: Platform) => AccountReader;
  now: () => Date;
}

/** Every post of a channel scheduled (or, imported, published) in [from, to). */
export async function channelPosts(
  store: PostStore,
  channel: string,
  from: string,
  to: string,
): Promise<Post[]> {
  const posts: Post[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPosts({ channel, from, to }, { limit: 1000, ...(cursor ? { cursor } : {}) });
    posts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return posts;
}

/** The channel's audit report over its latest audit's period (else the last 90 days). */
export async function loadAuditReport(deps: ReportDeps, channelId: string): Promise<AuditReport> {
  const channel = await deps.store.getChannel(channelId);
  if (!channel) throw new NotFoundError('channel', channelId);
  const now = deps.now();
  const audit = await deps.audits.latestAudit(channelId);
  const from = audit?.since ?? new Date(now.getTime() - DEFAULT_AUDIT_DAYS * 86_400_000).toISOString();
  const to = now.toISOString();
  const today = to.slice(0, 10);
  const weekAgo = new Date(now.getTime() - 8 * 86_400_000).toISOString().slice(0, 10);
  const others = (await everyChannel(deps)).filter((other) => other.id !== channelId);
  const [posts, audience, breakdown, otherData] = await Promise.all([
    channelPosts(deps.store, channelId, from, to),
    deps.audits.listAudience(channelId, weekAgo, today),
    deps.audits.latestAudienceBreakdown(channelId, today),
    Promise.all(
      others.map(async (other) => {
        const [otherPosts, otherAudience] = await Promise.all([
          channelPosts(deps.store, other.id, from, to),
          deps.audits.listAudience(other.id, weekAgo, today),
        ]);
        const followers = otherAudience.at(-1)?.followers;
        return { channel: other, posts: otherPosts, ...(followers !== undefined ? { followers } : {}) };
      }),
    ),
  ]);
  return auditReport({
    channel,
    posts,
    others: otherData,
    ...(audit ? { audit } : {}),
    audience,
    ...(breakdown ? { breakdown } : {}),
    limitations: audit?.limitations ?? [...deps.readerFor(channel.platform).limitations],
    from,
    to,
  });
}
