import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createFacebookAdapter,
  FACEBOOK_POST_INSIGHTS,
  FacebookPostNode,
  facebookMetrics,
} from '../../shared/platforms/meta/facebook.ts';
import { GRAPH_API_VERSION, graphEndpoint } from '../../shared/platforms/meta/graph.ts';
import { makePost } from '../support/fixtures.ts';
import {
  graphErrorResponse,
  inTurn,
  platformError,
  type RoutedCall,
  respond,
  routedContract,
} from './helpers.ts';

// Contract tests: the adapter against answers shaped exactly like Meta's documentation examples
// (test/fixtures/platforms/facebook, sources in its README).

const NOW = new Date('2026-12-10T12:00:00.000Z');
const PAGE = '546349135390552';
const TOKEN = 'EAAG-page-access-token-SECRET-abcdef123456';
const { fixture, adapterWith, channel, store } = routedContract('facebook', createFacebookAdapter, NOW, {
  pageId: PAGE,
  pageAccessToken: TOKEN,
});

describe('graphEndpoint', () => {
  it('adds the current version to a host and keeps a version the channel pins', () => {
    expect(graphEndpoint(undefined, 'https://graph.facebook.com', GRAPH_API_VERSION)).toEqual({
      root: 'https://graph.facebook.com/v27.0',
      origin: 'https://graph.facebook.com',
    });
    expect(graphEndpoint('http://127.0.0.1:4000/', 'https://graph.facebook.com', 'v27.0').root).toBe(
      'http://127.0.0.1:4000/v27.0',
    );
    expect(graphEndpoint('https://graph.facebook.com/v26.0', 'x', 'v27.0')).toEqual({
      root: 'https://graph.facebook.com/v26.0',
      origin: 'https://graph.facebook.com',
    });
  });
});

describe('Facebook metrics mapping', () => {
  it('maps media views, viewers, clicks, reactions, comments and shares; absent stays absent', () => {
    const body = fixture('ids-post-metrics.200.json').body as Record<string, unknown>;
    const full = facebookMetrics(FacebookPostNode.parse(body['546349135390552_1116689038356556']));
    expect(full).toEqual({
      impressions: 1893,
      reach: 1207,
      clicks: 77,
      likes: 41,
      comments: 9,
      shares: 5,
      engagements: 41 + 9 + 5 + 77,
    });
    // No insights yet and nobody shared: shares is 0 (Facebook omits it), the insights are absent.
    const fresh = facebookMetrics(FacebookPostNode.parse(body['546349135390552_1116692661689527']));
    expect(fresh).toEqual({ likes: 0, comments: 0, shares: 0, engagements: 0 });
  });

  it('asks only for post metrics that survived the 2025 deprecations', () => {
    expect(FACEBOOK_POST_INSIGHTS).not.toContain('post_impressions');
    expect(FACEBOOK_POST_INSIGHTS).not.toContain('post_impressions_unique');
    expect(FACEBOOK_POST_INSIGHTS).toContain('post_media_view');
  });
});

describe('FacebookAdapter.publish', () => {
  it('posts text with the link as a feed post, the token in the form, and returns the post id and URL', async () => {
    const { adapter, calls } = adapterWith([
      ['POST', /\/feed$/, () => respond(fixture('feed-create.200.json'))],
    ]);
    const post = makePost({
      text: 'Smart video calling to fit every family',
      link: 'https://portal.example.com/',
    });

    const ref = await adapter.publish(post, channel, store(), { idempotencyKey: 'k' });

    expect(ref).toEqual({
      platformPostId: '546349135390552_1116689038356556',
      platformUrl: 'https://www.facebook.com/546349135390552/posts/1116689038356556',
    });
    const call = calls[0] as RoutedCall;
    expect(`${call.url.origin}${call.url.pathname}`).toBe(`https://graph.facebook.com/v27.0/${PAGE}/feed`);
    expect(call.url.search).toBe('');
    expect(Object.fromEntries(call.form)).toEqual({
      message: 'Smart video calling to fit every family',
      link: 'https://portal.example.com/',
      access_token: TOKEN,
    });
  });

  it('posts one photo through /photos and answers with its post_id', async () => {
    const { adapter, calls } = adapterWith([
      ['POST', /\/photos$/, () => respond(fixture('photos-create.200.json'))],
    ]);
    const post = makePost({
      text: 'New in',
      link: 'https://shop.example.com',
      media: ['https://cdn.example.com/a.jpg'],
    });

    const ref = await adapter.publish(post, channel, store(), { idempotencyKey: 'k' });

    expect(ref.platformPostId).toBe('546349135390552_1116692661689527');
    expect(Object.fromEntries(calls[0]?.form ?? [])).toMatchObject({
      url: 'https://cdn.example.com/a.jpg',
      message: 'New in\n\nhttps://shop.example.com',
    });
  });

  it('uploads several photos unpublished, then attaches them to one feed post', async () => {
    let n = 0;
    const { adapter, calls } = adapterWith([
      ['POST', /\/photos$/, () => respond({ status: 200, body: { id: `9990${++n}` } })],
      ['POST', /\/feed$/, () => respond(fixture('feed-create.200.json'))],
    ]);
    const post = makePost({
      text: 'Two',
      media: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg'],
    });

    await adapter.publish(post, channel, store(), { idempotencyKey: 'k' });

    expect(calls.map((c) => c.url.pathname.split('/').pop())).toEqual(['photos', 'photos', 'feed']);
    expect(calls[0]?.form.get('published')).toBe('false');
    expect(calls[2]?.form.get('attached_media[0]')).toBe('{"media_fbid":"99901"}');
    expect(calls[2]?.form.get('attached_media[1]')).toBe('{"media_fbid":"99902"}');
  });

  it.each([
    ['error-190-expired-token.json', 'auth', '190/463'],
    ['error-506-duplicate.json', 'rejected', '506'],
    ['error-2-transient.json', 'ambiguous', '2'],
  ] as const)('classifies %s on the post as %s', async (name, kind, code) => {
    const { adapter } = adapterWith([['POST', /\/feed$/, () => respond(fixture(name))]]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, store(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe(kind);
    expect(error.details.platformCode).toBe(code);
    expect(`${inspect(error, { depth: 6 })} ${error.message}`).not.toContain(TOKEN);
  });

  it('reads throttling (HTTP 400, code 32) as rate-limited with the BUC header minutes', async () => {
    const { adapter } = adapterWith([
      ['POST', /\/feed$/, () => respond(fixture('error-32-page-rate-limit.json'))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, store(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('rate-limited');
    expect(error.details.retryAfterSeconds).toBe(19 * 60);
  });

  it('reads the app limit (code 4, X-App-Usage only) as rate-limited for a quarter hour', async () => {
    const { adapter } = adapterWith([
      ['POST', /\/feed$/, () => respond(fixture('error-4-app-rate-limit.json'))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, store(), { idempotencyKey: 'k' }),
    );
    expect(error).toMatchObject({
      kind: 'rate-limited',
      details: { retryAfterSeconds: 900, platformCode: '4' },
    });
  });

  it('calls a failed unpublished photo upload unavailable (nothing was published)', async () => {
    const { adapter } = adapterWith([
      ['POST', /\/photos$/, () => respond(fixture('error-2-transient.json'))],
    ]);
    const post = makePost({ media: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg'] });
    const error = await platformError(() => adapter.publish(post, channel, store(), { idempotencyKey: 'k' }));
    expect(error.kind).toBe('unavailable');
  });

  it('refuses videos in validation and in publish', async () => {
    const { adapter, calls } = adapterWith([]);
    const post = makePost({ media: ['https://cdn.example.com/clip.mp4'] });
    expect(adapter.validate(post)).toContainEqual(
      expect.objectContaining({ column: 'media', severity: 'error' }),
    );
    expect(
      (await platformError(() => adapter.publish(post, channel, store(), { idempotencyKey: 'k' }))).kind,
    ).toBe('rejected');
    expect(calls).toHaveLength(0);
  });
});

describe('FacebookAdapter.lookup', () => {
  it('finds the post in the Page feed by message and time', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', /\/feed\?/, () => respond(fixture('page-feed.200.json'))],
    ]);
    const post = makePost({
      text: 'Smart video calling to fit every family',
      scheduledAt: '2026-12-10T09:00:00.000Z',
    });

    const ref = await adapter.lookup?.(post, channel, store());

    expect(ref).toEqual({
      platformPostId: '546349135390552_1116689038356556',
      platformUrl: 'https://www.facebook.com/546349135390552/posts/1116689038356556',
    });
    expect(calls[0]?.url.searchParams.get('since')).toBe(
      String(Date.parse('2026-12-10T08:45:00.000Z') / 1000),
    );
  });
});

describe('FacebookAdapter.fetchMetrics', () => {
  const posts = [
    { id: 'p1', platformPostId: '546349135390552_1116689038356556' },
    { id: 'p2', platformPostId: '546349135390552_1116692661689527' },
  ];

  it('reads many posts in one multiple-ID request with field expansion', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', /^\/v27\.0\/\?/, () => respond(fixture('ids-post-metrics.200.json'))],
    ]);

    const readings = await adapter.fetchMetrics(posts, channel, store());

    expect(calls).toHaveLength(1);
    const url = calls[0]?.url as URL;
    expect(url.searchParams.get('ids')).toBe(posts.map((p) => p.platformPostId).join(','));
    expect(url.searchParams.get('fields')).toBe(
      'id,created_time,permalink_url,shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),insights.metric(post_media_view,post_total_media_view_unique,post_clicks)',
    );
    expect(url.searchParams.get('access_token')).toBe(TOKEN);
    expect(readings[0]).toMatchObject({
      postId: 'p1',
      status: 'ok',
      metrics: { impressions: 1893, reach: 1207 },
    });
    expect(readings[0]?.raw).toMatchObject({ id: '546349135390552_1116689038356556' });
  });

  it('marks a post whose id no longer exists deleted and still reads the others (#803)', async () => {
    const body = fixture('ids-post-metrics.200.json').body as Record<string, unknown>;
    const { adapter, calls } = adapterWith([
      [
        'GET',
        /^\/v27\.0\/\?/,
        inTurn(
          () => respond(fixture('error-100-ids-missing.json')),
          () =>
            respond({
              status: 200,
              body: { [posts[0]?.platformPostId as string]: body[posts[0]?.platformPostId as string] },
            }),
        ),
      ],
    ]);

    const readings = await adapter.fetchMetrics(
      [posts[0] as (typeof posts)[number], { id: 'gone', platformPostId: '546349135390552_999' }],
      channel,
      store(),
    );

    expect(calls).toHaveLength(2);
    expect(calls[1]?.url.searchParams.get('ids')).toBe(posts[0]?.platformPostId);
    expect(readings.map((r) => [r.postId, r.status])).toEqual([
      ['p1', 'ok'],
      ['gone', 'deleted'],
    ]);
  });

  it('marks a single deleted post deleted (#100, subcode 33)', async () => {
    const { adapter } = adapterWith([
      ['GET', /^\/v27\.0\/\?/, () => respond(fixture('error-100-object-missing.json'))],
    ]);
    const readings = await adapter.fetchMetrics(
      [{ id: 'gone', platformPostId: '546349135390552_999' }],
      channel,
      store(),
    );
    expect(readings).toEqual([
      { postId: 'gone', platformPostId: '546349135390552_999', status: 'deleted', metrics: {}, raw: null },
    ]);
  });

  it('drops the insights and keeps counting when Meta retires a metric', async () => {
    const { adapter, calls } = adapterWith([
      [
        'GET',
        /^\/v27\.0\/\?/,
        inTurn(
          () =>
            graphErrorResponse(400, {
              message: '(#100) The value must be a valid insights metric',
              code: 100,
            }),
          () => respond(fixture('ids-post-metrics.200.json')),
        ),
      ],
    ]);
    await adapter.fetchMetrics(posts, channel, store());
    expect(calls[1]?.url.searchParams.get('fields')).not.toContain('insights');
  });
});
