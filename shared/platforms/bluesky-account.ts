import * as z from 'zod';
import type { AccountPost, AccountSpec } from './account.ts';
import { firstLinkIn, hashtagsIn, withQuery } from './account.ts';
import {
  BLUESKY_API_BASE,
  BlueskyCredentials,
  blueskyErrors,
  normalisePostView,
  PostView,
} from './bluesky.ts';
import { apiBase, readAnswer } from './http.ts';

/**
 * Bluesky's account: `app.bsky.feed.getAuthorFeed` (the account's posts newest first, 100 a
 * page, `cursor`; filter `posts_no_replies`, reposts recognised by their `reason` and left out)
 * and `app.bsky.actor.getProfile` (`followersCount`). Both with the session the adapter keeps
 * in the channel's secret; a channel that never signed in is signed in through the adapter first.
 */
const PAGE_SIZE = 100;

const FeedPost = PostView.extend({
  record: z.looseObject({
    text: z.string().optional(),
    createdAt: z.string().optional(),
    embed: z
      .looseObject({ $type: z.string().optional(), external: z.looseObject({ uri: z.string() }).optional() })
      .optional(),
    facets: z
      .array(
        z.looseObject({
          features: z.array(
            z.looseObject({
              $type: z.string().optional(),
              tag: z.string().optional(),
              uri: z.string().optional(),
            }),
          ),
        }),
      )
      .optional(),
  }),
  indexedAt: z.string().optional(),
});
const AuthorFeed = z.object({
  cursor: z.string().optional(),
  feed: z.array(z.looseObject({ post: FeedPost, reason: z.unknown().optional() })),
});
const Profile = z.looseObject({
  did: z.string(),
  handle: z.string().optional(),
  followersCount: z.number().optional(),
});

type Credentials = z.infer<typeof BlueskyCredentials>;

export const BLUESKY_ACCOUNT: AccountSpec<Credentials> = {
  platform: 'bluesky',
  platformName: 'Bluesky',
  credentials: BlueskyCredentials,
  limitations: [
    'Bluesky reports no impressions, reach or clicks: engagement rate cannot be computed, only engagement counts',
    'Bluesky offers no audience breakdowns (countries, ages, active hours)',
  ],
  base: (channel) => apiBase(channel, BLUESKY_API_BASE),
  authorise: (credentials) => ({ authorization: `Bearer ${credentials.accessJwt ?? ''}` }),
  classify: blueskyErrors,
  needsSignIn: (credentials) => !credentials.accessJwt || !credentials.did,
  async listPosts(get, { base, credentials, since, cursor }) {
    const body = await get(
      withQuery(`${base}/xrpc/app.bsky.feed.getAuthorFeed`, {
        actor: credentials.did ?? credentials.identifier,
        limit: String(PAGE_SIZE),
        filter: 'posts_no_replies',
        cursor,
      }),
    );
    const answer = readAnswer('Bluesky', AuthorFeed, body, 'getAuthorFeed', 'unavailable');
    const sinceMs = Date.parse(since);
    const own = answer.feed.filter((item) => item.reason === undefined).map((item) => item.post);
    const dated = own.map((post) => ({
      post,
      at: Date.parse(post.record.createdAt ?? post.indexedAt ?? ''),
    }));
    const posts = dated.filter(({ at }) => at >= sinceMs).map(({ post }) => accountPost(post, credentials));
    const oldest = Math.min(...dated.map(({ at }) => at));
    const reachedSince = dated.length > 0 && oldest < sinceMs;
    return {
      posts,
      ...(answer.cursor && !reachedSince && answer.feed.length > 0 ? { cursor: answer.cursor } : {}),
    };
  },
  async readAudience(get, { base, credentials }) {
    const profile = readAnswer(
      'Bluesky',
      Profile,
      await get(
        withQuery(`${base}/xrpc/app.bsky.actor.getProfile`, {
          actor: credentials.did ?? credentials.identifier,
        }),
      ),
      'getProfile',
      'unavailable',
    );
    return { followers: profile.followersCount ?? 0 };
  },
};

function accountPost(post: z.infer<typeof FeedPost>, credentials: Credentials): AccountPost {
  const text = post.record.text ?? '';
  const features = (post.record.facets ?? []).flatMap((facet) => facet.features);
  const tags = features.flatMap((f) => (f.tag ? [f.tag.toLowerCase()] : []));
  const link = post.record.embed?.external?.uri ?? features.find((f) => f.uri)?.uri ?? firstLinkIn(text);
  const embedType = post.record.embed?.$type ?? '';
  const rkey = post.uri.split('/').at(-1) ?? '';
  return {
    platformPostId: post.uri,
    platformUrl: `https://bsky.app/profile/${credentials.handle ?? credentials.did ?? credentials.identifier}/post/${rkey}`,
    publishedAt: new Date(post.record.createdAt ?? post.indexedAt ?? 0).toISOString(),
    text,
    ...(link ? { link } : {}),
    media: embedType.includes('video') ? ['video'] : embedType.includes('images') ? ['image'] : [],
    hashtags: tags.length > 0 ? [...new Set(tags)].sort() : hashtagsIn(text),
    metrics: normalisePostView(post),
  };
}
