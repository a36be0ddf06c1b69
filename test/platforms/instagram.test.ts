import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InsightsResponse, insightNumbers } from '../../shared/platforms/meta/graph.ts';
import {
  createInstagramAdapter,
  INSTAGRAM_MEDIA_INSIGHTS,
  instagramMetrics,
} from '../../shared/platforms/meta/instagram.ts';
import { makePost } from '../support/fixtures.ts';
import {
  type FetchRoute,
  graphErrorResponse,
  platformError,
  type RouteHandler,
  respond,
  routedContract,
} from './helpers.ts';

// Contract tests: the adapter against answers shaped exactly like Meta's Instagram Platform
// documentation examples (test/fixtures/platforms/instagram, sources in its README).

const NOW = new Date('2026-12-10T09:00:00.000Z');
const IG = '17841405822304914';
const TOKEN = 'IGAA-instagram-user-token-SECRET-0123456789';
const { fixture, adapterWith, channel, store } = routedContract('instagram', createInstagramAdapter, NOW, {
  igUserId: IG,
  accessToken: TOKEN,
  expiresAt: '2027-01-20T00:00:00.000Z',
});

/** Container status answers, in order: IN_PROGRESS until the list runs out, then FINISHED. */
function statuses(...names: string[]): RouteHandler {
  const queue = [...names];
  return () => respond(fixture(queue.shift() ?? 'container-finished.200.json'));
}

const limitOk: FetchRoute = [
  'GET',
  /\/content_publishing_limit\?/,
  () => respond(fixture('content-publishing-limit.200.json')),
];

describe('Instagram metrics mapping', () => {
  it('maps views to impressions (impressions itself is retired), saved to saves, total_interactions to engagements', () => {
    const parsed = InsightsResponse.parse(fixture('media-insights.200.json').body);
    expect(instagramMetrics(insightNumbers(parsed.data))).toEqual({
      impressions: 4210,
      reach: 2981,
      likes: 233,
      comments: 18,
      shares: 12,
      saves: 40,
      engagements: 303,
    });
    expect(INSTAGRAM_MEDIA_INSIGHTS).not.toContain('impressions');
  });

  it('leaves out what Instagram did not return instead of writing zeros', () => {
    expect(instagramMetrics({ reach: 10 })).toEqual({ reach: 10 });
  });
});

describe('InstagramAdapter.publish', () => {
  it('creates an image container, waits until FINISHED, publishes it and reads its permalink', async () => {
    const { adapter, calls } = adapterWith([
      limitOk,
      ['POST', /\/media$/, () => respond(fixture('media-create.200.json'))],
      ['GET', /\/17889455560051444\?/, statuses('container-in-progress.200.json')],
      ['POST', /\/media_publish$/, () => respond(fixture('media-publish.200.json'))],
      ['GET', /\/17920238422030506\?fields=permalink/, () => respond(fixture('media-permalink.200.json'))],
    ]);
    const post = makePost({
      text: 'Winter collection is live ❄️ #newin',
      media: ['https://cdn.example.com/look.jpg'],
    });

    const ref = await adapter.publish(post, channel, store(), { idempotencyKey: 'k' });

    expect(ref).toEqual({
      platformPostId: '17920238422030506',
      platformUrl: 'https://www.instagram.com/p/B_6ZBJ7g3bd/',
      rateLimit: { remaining: 47, resetAt: '2026-12-11T09:00:00.000Z' },
    });
    expect(calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      `GET /v27.0/${IG}/content_publishing_limit`,
      `POST /v27.0/${IG}/media`,
      'GET /v27.0/17889455560051444',
      'GET /v27.0/17889455560051444',
      `POST /v27.0/${IG}/media_publish`,
      'GET /v27.0/17920238422030506',
    ]);
    expect(calls[0]?.url.origin).toBe('https://graph.instagram.com');
    expect(Object.fromEntries(calls[1]?.form ?? [])).toEqual({
      image_url: 'https://cdn.example.com/look.jpg',
      caption: 'Winter collection is live ❄️ #newin',
      access_token: TOKEN,
    });
    expect(calls[2]?.url.searchParams.get('fields')).toBe('status_code,status');
    expect(calls[4]?.form.get('creation_id')).toBe('17889455560051444');
  });

  it('publishes a single video as a reel', async () => {
    const { adapter, calls } = adapterWith([
      limitOk,
      ['POST', /\/media$/, () => respond(fixture('media-create.200.json'))],
      ['GET', /\/17889455560051444\?/, statuses()],
      ['POST', /\/media_publish$/, () => respond(fixture('media-publish.200.json'))],
      ['GET', /\/17920238422030506\?/, () => respond(fixture('media-permalink.200.json'))],
    ]);
    await adapter.publish(makePost({ media: ['https://cdn.example.com/clip.mp4'] }), channel, store(), {
      idempotencyKey: 'k',
    });
    expect(Object.fromEntries(calls[1]?.form ?? [])).toMatchObject({
      media_type: 'REELS',
      video_url: 'https://cdn.example.com/clip.mp4',
    });
  });

  it('builds a carousel from item containers, waiting for each, then the CAROUSEL container', async () => {
    let n = 0;
    const { adapter, calls } = adapterWith([
      limitOk,
      ['POST', /\/media$/, () => respond({ status: 200, body: { id: `1790000000000000${++n}` } })],
      ['GET', /\/1790000000000000\d\?/, statuses()],
      ['POST', /\/media_publish$/, () => respond(fixture('media-publish.200.json'))],
      ['GET', /\/17920238422030506\?/, () => respond(fixture('media-permalink.200.json'))],
    ]);
    const post = makePost({
      text: 'Swipe',
      media: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.mp4'],
    });

    await adapter.publish(post, channel, store(), { idempotencyKey: 'k' });

    const creates = calls.filter((c) => c.method === 'POST' && c.url.pathname.endsWith('/media'));
    expect(creates.map((c) => Object.fromEntries([...c.form].filter(([k]) => k !== 'access_token')))).toEqual(
      [
        { image_url: 'https://cdn.example.com/a.jpg', is_carousel_item: 'true' },
        { media_type: 'VIDEO', video_url: 'https://cdn.example.com/b.mp4', is_carousel_item: 'true' },
        { media_type: 'CAROUSEL', children: '17900000000000001,17900000000000002', caption: 'Swipe' },
      ],
    );
    expect(calls.find((c) => c.url.pathname.endsWith('/media_publish'))?.form.get('creation_id')).toBe(
      '17900000000000003',
    );
  });

  it('does not create anything when the 24-hour publishing quota is used up', async () => {
    const { adapter, calls } = adapterWith([
      [
        'GET',
        /\/content_publishing_limit\?/,
        () =>
          respond({
            status: 200,
            body: { data: [{ quota_usage: 50, config: { quota_total: 50, quota_duration: 86400 } }] },
          }),
      ],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost({ media: ['https://cdn.example.com/a.jpg'] }), channel, store(), {
        idempotencyKey: 'k',
      }),
    );
    expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 3600 } });
    expect(calls).toHaveLength(1);
  });

  it('calls a container Instagram could not process rejected, with the reason', async () => {
    const { adapter } = adapterWith([
      limitOk,
      ['POST', /\/media$/, () => respond(fixture('media-create.200.json'))],
      ['GET', /\/17889455560051444\?/, () => respond(fixture('container-error.200.json'))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost({ media: ['https://cdn.example.com/a.jpg'] }), channel, store(), {
        idempotencyKey: 'k',
      }),
    );
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('2207026');
  });

  it.each([
    ['error-media-not-ready.json', 'unavailable', '9007/2207027'],
    ['error-publishing-limit.json', 'rate-limited', '9/2207042'],
    ['error-190-expired-token.json', 'auth', '190/463'],
    ['error-80002-rate-limit.json', 'rate-limited', '80002'],
  ] as const)('classifies %s from media_publish as %s', async (name, kind, code) => {
    const { adapter } = adapterWith([
      limitOk,
      ['POST', /\/media$/, () => respond(fixture('media-create.200.json'))],
      ['GET', /\/17889455560051444\?/, statuses()],
      ['POST', /\/media_publish$/, () => respond(fixture(name))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost({ media: ['https://cdn.example.com/a.jpg'] }), channel, store(), {
        idempotencyKey: 'k',
      }),
    );
    expect(error.kind).toBe(kind);
    expect(error.details.platformCode).toBe(code);
    if (name === 'error-80002-rate-limit.json') expect(error.details.retryAfterSeconds).toBe(7 * 60);
    expect(inspect(error, { depth: 6 })).not.toContain(TOKEN);
  });

  it('calls a 5xx from media_publish ambiguous but one from container creation unavailable', async () => {
    const serverError = () =>
      graphErrorResponse(500, { message: 'An unexpected error has occurred.', is_transient: true, code: 2 });
    const atPublish = adapterWith([
      limitOk,
      ['POST', /\/media$/, () => respond(fixture('media-create.200.json'))],
      ['GET', /\/17889455560051444\?/, statuses()],
      ['POST', /\/media_publish$/, serverError],
    ]);
    const post = makePost({ media: ['https://cdn.example.com/a.jpg'] });
    expect(
      (await platformError(() => atPublish.adapter.publish(post, channel, store(), { idempotencyKey: 'k' })))
        .kind,
    ).toBe('ambiguous');

    const atCreate = adapterWith([limitOk, ['POST', /\/media$/, serverError]]);
    expect(
      (await platformError(() => atCreate.adapter.publish(post, channel, store(), { idempotencyKey: 'k' })))
        .kind,
    ).toBe('unavailable');
  });

  it('refreshes the long-lived token in its last week and stores the new one', async () => {
    const credentials = store({ expiresAt: '2026-12-14T00:00:00.000Z' });
    const { adapter, calls } = adapterWith([
      ['GET', /^\/refresh_access_token\?/, () => respond(fixture('refresh-access-token.200.json'))],
      limitOk,
      ['POST', /\/media$/, () => respond(fixture('media-create.200.json'))],
      ['GET', /\/17889455560051444\?/, statuses()],
      ['POST', /\/media_publish$/, () => respond(fixture('media-publish.200.json'))],
      ['GET', /\/17920238422030506\?/, () => respond(fixture('media-permalink.200.json'))],
    ]);

    await adapter.publish(makePost({ media: ['https://cdn.example.com/a.jpg'] }), channel, credentials, {
      idempotencyKey: 'k',
    });

    expect(`${calls[0]?.url.origin}${calls[0]?.url.pathname}`).toBe(
      'https://graph.instagram.com/refresh_access_token',
    );
    expect(calls[0]?.url.searchParams.get('grant_type')).toBe('ig_refresh_token');
    expect(credentials.puts[0]?.credentials).toEqual({
      igUserId: IG,
      accessToken: 'IGQVJXexample-not-a-real-token',
      expiresAt: new Date(NOW.getTime() + 5_183_944_000).toISOString(),
    });
    expect(calls[1]?.url.searchParams.get('access_token')).toBe('IGQVJXexample-not-a-real-token');
  });

  it('says auth before any call when the token has expired (it can no longer be refreshed)', async () => {
    const { adapter, calls } = adapterWith([]);
    const error = await platformError(() =>
      adapter.publish(
        makePost({ media: ['https://cdn.example.com/a.jpg'] }),
        channel,
        store({ expiresAt: '2026-12-01T00:00:00.000Z' }),
        {
          idempotencyKey: 'k',
        },
      ),
    );
    expect(error).toMatchObject({ kind: 'auth', details: { platformCode: 'token-expired' } });
    expect(calls).toHaveLength(0);
  });
});

describe('InstagramAdapter.validate', () => {
  const adapter = createInstagramAdapter();

  it('needs media and warns about non-JPEG images and links', () => {
    expect(adapter.validate({ text: 'hi', media: [] })).toContainEqual(
      expect.objectContaining({ column: 'media', severity: 'error' }),
    );
    const findings = adapter.validate({
      text: 'hi',
      link: 'https://x.example',
      media: ['https://cdn.example.com/a.png'],
    });
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(findings.map((f) => f.column).sort()).toEqual(['link', 'media']);
  });

  it('refuses a caption over 2,200 characters and more than 10 carousel items', () => {
    expect(
      adapter.validate({ text: 'a'.repeat(2201), media: ['https://cdn.example.com/a.jpg'] })[0],
    ).toMatchObject({ column: 'text', severity: 'error' });
    const eleven = Array.from({ length: 11 }, (_, i) => `https://cdn.example.com/${i}.jpg`);
    expect(adapter.validate({ text: 'x', media: eleven })).toContainEqual(
      expect.objectContaining({ column: 'media', severity: 'error' }),
    );
  });
});

describe('InstagramAdapter.lookup', () => {
  it('finds the media by caption among the account media since the post was due', async () => {
    const { adapter } = adapterWith([
      ['GET', new RegExp(`/${IG}/media\\?`), () => respond(fixture('user-media.200.json'))],
    ]);
    const post = makePost({
      text: 'Winter collection is live ❄️ #newin',
      scheduledAt: '2026-12-10T09:00:00.000Z',
    });
    expect(await adapter.lookup?.(post, channel, store())).toEqual({
      platformPostId: '17920238422030506',
      platformUrl: 'https://www.instagram.com/p/B_6ZBJ7g3bd/',
    });
    const older = makePost({ text: 'Behind the scenes', scheduledAt: '2026-12-10T09:00:00.000Z' });
    expect(await adapter.lookup?.(older, channel, store())).toBeUndefined();
  });
});

describe('InstagramAdapter.fetchMetrics', () => {
  it('reads each media object’s insights and keeps the raw payload', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', /\/insights\?/, () => respond(fixture('media-insights.200.json'))],
    ]);
    const readings = await adapter.fetchMetrics(
      [{ id: 'p1', platformPostId: '17920238422030506' }],
      channel,
      store(),
    );
    expect(calls[0]?.url.searchParams.get('metric')).toBe(
      'views,reach,likes,comments,shares,saved,total_interactions',
    );
    expect(readings[0]).toMatchObject({
      postId: 'p1',
      status: 'ok',
      metrics: { impressions: 4210, saves: 40 },
    });
    expect(readings[0]?.raw).toEqual(fixture('media-insights.200.json').body);
  });

  it('reports "not enough viewers" as no numbers yet, and a missing media as deleted', async () => {
    const { adapter } = adapterWith([
      ['GET', /\/111\/insights\?/, () => respond(fixture('error-not-enough-viewers.json'))],
      [
        'GET',
        /\/222\/insights\?/,
        () =>
          respond({
            status: 400,
            body: {
              error: {
                message:
                  "Unsupported get request. Object with ID '222' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
                type: 'GraphMethodException',
                code: 100,
                error_subcode: 33,
                fbtrace_id: 'AkIO8k5Nn6mZcRR2uG4MK5W',
              },
            },
          }),
      ],
    ]);
    const readings = await adapter.fetchMetrics(
      [
        { id: 'young', platformPostId: '111' },
        { id: 'gone', platformPostId: '222' },
      ],
      channel,
      store(),
    );
    expect(readings.map((r) => [r.postId, r.status, r.metrics])).toEqual([
      ['young', 'ok', {}],
      ['gone', 'deleted', {}],
    ]);
  });
});
