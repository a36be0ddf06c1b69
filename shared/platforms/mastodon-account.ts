import * as z from 'zod';
import type { AccountGet, AccountPost, AccountSpec } from './account.ts';
import { firstLinkIn, hashtagsIn, withQuery } from './account.ts';
import { readAnswer } from './http.ts';
import { htmlToText, MastodonCredentials, normaliseStatus, Status, serverOf } from './mastodon.ts';

/**
 * Mastodon's account: `GET /api/v1/accounts/verify_credentials` (the account's id and
 * `followers_count`) and `GET /api/v1/accounts/:id/statuses` (newest first, 40 a page, paged
 * with `max_id`; reblogs left out, replies kept since they are the account's own posts).
 */
const PAGE_SIZE = 40;

const Me = z.looseObject({ id: z.string().min(1), followers_count: z.number().optional() });
const ListedStatus = Status.extend({
  media_attachments: z.array(z.looseObject({ type: z.string().optional() })).optional(),
  tags: z.array(z.looseObject({ name: z.string() })).optional(),
  card: z.looseObject({ url: z.string().optional() }).nullable().optional(),
  reblog: z.unknown().optional(),
});
type ListedStatus = z.infer<typeof ListedStatus>;

export const MASTODON_ACCOUNT: AccountSpec<z.infer<typeof MastodonCredentials>> = {
  platform: 'mastodon',
  platformName: 'Mastodon',
  credentials: MastodonCredentials,
  limitations: [
    'Mastodon reports no impressions, reach or clicks: engagement rate cannot be computed, only engagement counts',
    'Mastodon offers no audience breakdowns (countries, ages, active hours)',
  ],
  base: serverOf,
  authorise: (credentials) => ({ authorization: `Bearer ${credentials.accessToken}` }),
  async listPosts(get, { base, since, cursor }) {
    const me = await verifyCredentials(get, base);
    const body = await get(
      withQuery(`${base}/api/v1/accounts/${encodeURIComponent(me.id)}/statuses`, {
        limit: String(PAGE_SIZE),
        exclude_reblogs: 'true',
        max_id: cursor,
      }),
    );
    const statuses = readAnswer(
      'Mastodon',
      z.array(ListedStatus),
      body,
      'the account statuses',
      'unavailable',
    );
    const sinceMs = Date.parse(since);
    const posts = statuses
      .filter((status) => !status.reblog && Date.parse(status.created_at ?? '') >= sinceMs)
      .map((status) => accountPost(base, status));
    const last = statuses.at(-1);
    const reachedSince = !last || Date.parse(last.created_at ?? '') < sinceMs;
    return { posts, ...(reachedSince || statuses.length < PAGE_SIZE ? {} : { cursor: last.id }) };
  },
  async readAudience(get, { base }) {
    const me = await verifyCredentials(get, base);
    return { followers: me.followers_count ?? 0 };
  },
};

async function verifyCredentials(get: AccountGet, base: string): Promise<z.infer<typeof Me>> {
  return readAnswer(
    'Mastodon',
    Me,
    await get(`${base}/api/v1/accounts/verify_credentials`),
    'verify_credentials',
    'unavailable',
  );
}

function accountPost(base: string, status: ListedStatus): AccountPost {
  const text = htmlToText(status.content ?? '');
  const link = status.card?.url ?? firstLinkIn(text);
  return {
    platformPostId: status.id,
    platformUrl: status.url ?? `${base}/statuses/${status.id}`,
    publishedAt: new Date(status.created_at ?? 0).toISOString(),
    text,
    ...(link ? { link } : {}),
    media: (status.media_attachments ?? []).map((m) =>
      m.type === 'video' || m.type === 'gifv' ? 'video' : 'image',
    ),
    hashtags: status.tags ? status.tags.map((t) => t.name.toLowerCase()).sort() : hashtagsIn(text),
    metrics: normaliseStatus(status),
  };
}
