import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { tagLink } from '../../shared/calendar/utm.ts';
import type { Post } from '../../shared/domain/index.ts';
import { signConversion } from '../../shared/measuring/conversions.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { type ApiHandler, apiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read as loose JSON and checked by assertion
type Json = any;

const SECRET = 'whsec-test-0123456789abcdef';
const NOW = Date.parse('2026-12-08T12:00:00.000Z');
let dynamo: LocalDynamo;
let store: DynamoStore;
let conversions: ApiHandler;
let posts: ApiHandler;

beforeAll(async () => {
  ({ dynamo, store } = await startHandlerTable());
  process.env.PULSECAST_CONVERSIONS_SECRET = SECRET;
  installDeps({ now: () => new Date(NOW) });
  conversions = await apiHandler('conversions');
  posts = await apiHandler('posts');
  await store.putChannel(makeChannel({ id: 'x-main', platform: 'x' }));
  await store.putChannel(makeChannel({ id: 'bsky-main', platform: 'bluesky' }));
  for (const [id, channel, platform] of [
    ['launch-x', 'x-main', 'x'],
    ['launch-bsky', 'bsky-main', 'bluesky'],
  ] as const) {
    await store.createPosts([
      makePost({
        id,
        channel,
        campaign: 'winter',
        link: tagLink('https://shop.example/boots', { platform, campaign: 'winter', postId: id }),
        status: 'PUBLISHED',
        platformPostId: `pp-${id}`,
        publishedAt: '2026-12-07T09:00:00.000Z',
      }),
    ]);
  }
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

/** A shop signs with the real time, whatever the handler's (local mode's virtual) clock says. */
const realSeconds = () => Math.floor(Date.now() / 1000);

/** Sends a conversion as the shop would: signed with the secret at `at` (unix seconds). */
async function send(
  payload: unknown,
  options: { secret?: string; at?: number; signature?: string; raw?: string } = {},
): Promise<{ status: number; type: string; body: Json }> {
  const body = options.raw ?? JSON.stringify(payload);
  const at = String(options.at ?? realSeconds());
  const headers = {
    'content-type': 'application/json',
    'X-Pulsecast-Timestamp': at,
    'X-Pulsecast-Signature': options.signature ?? signConversion(options.secret ?? SECRET, at, body),
  };
  const result = await callApi(conversions, 'POST /v1/conversions', { body, headers });
  return {
    status: result.statusCode ?? 0,
    type: String(result.headers?.['content-type'] ?? ''),
    body: JSON.parse(result.body ?? 'null'),
  };
}

const purchase = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  occurredAt: '2026-12-08T11:58:00+01:00',
  value: 59.9,
  currency: 'EUR',
  kind: 'purchase',
  ...extra,
});

describe('POST /v1/conversions', () => {
  it('rejects a request signed with another secret, and stores nothing', async () => {
    const response = await send(purchase('evt-bad-sig'), { secret: 'not-the-secret-at-all' });

    expect(response.status).toBe(401);
    expect(response.type).toContain('application/problem+json');
    expect(response.body.type).toBe('urn:pulsecast:problem:signature-invalid');
    expect(JSON.stringify(response.body)).not.toContain(SECRET);
    expect((await store.listConversions(null, { limit: 100 })).items).toEqual([]);
  });

  it('rejects a body changed after signing', async () => {
    const signed = JSON.stringify(purchase('evt-tampered'));
    const at = String(realSeconds());
    const response = await send(undefined, {
      raw: signed.replace('59.9', '5990'),
      signature: signConversion(SECRET, at, signed),
    });
    expect(response.status).toBe(401);
  });

  it('rejects a replayed request whose timestamp is more than 5 minutes old, though its signature is right', async () => {
    const response = await send(purchase('evt-replayed'), { at: realSeconds() - 301 });

    expect(response.status).toBe(401);
    expect(response.body.type).toBe('urn:pulsecast:problem:timestamp-out-of-range');
  });

  it('rejects a request without the signature headers', async () => {
    const result = await callApi(conversions, 'POST /v1/conversions', {
      body: JSON.stringify(purchase('evt-unsigned')),
      headers: {},
    });
    expect(result.statusCode).toBe(401);
  });

  it.each([
    ['not JSON', '{"id": "evt-1", value: 12', 400],
    ['not an object', '"evt-1"', 422],
    ['without an id', JSON.stringify({ value: 10, currency: 'EUR' }), 422],
    ['with a negative value', JSON.stringify(purchase('evt-neg', { value: -5 })), 422],
    ['with a currency that is no ISO code', JSON.stringify(purchase('evt-cur', { currency: 'euro' })), 422],
    ['with a time that is no date', JSON.stringify(purchase('evt-time', { occurredAt: 'yesterday' })), 422],
  ])('rejects a signed body %s with %i', async (_what, raw, status) => {
    const response = await send(undefined, { raw });
    expect(response.status).toBe(status);
    expect(response.type).toContain('application/problem+json');
  });

  it('attributes a conversion to the post its UTM fields name, and counts a re-sent event once', async () => {
    const event = purchase('evt-100', {
      landingUrl: tagLink('https://shop.example/boots?size=42', {
        platform: 'x',
        campaign: 'winter',
        postId: 'launch-x',
      }),
    });

    const first = await send(event);
    const again = await send(event);

    expect(first).toMatchObject({
      status: 201,
      body: { id: 'evt-100', created: true, attributed: true, postId: 'launch-x' },
    });
    expect(again).toMatchObject({
      status: 200,
      body: { id: 'evt-100', created: false, attributed: true, postId: 'launch-x' },
    });
    const recorded = (await store.listConversions('launch-x', { limit: 100 })).items;
    expect(recorded).toEqual([
      expect.objectContaining({
        eventId: 'evt-100',
        value: 59.9,
        currency: 'EUR',
        channel: 'x-main',
        campaign: 'winter',
        occurredAt: '2026-12-08T10:58:00.000Z',
      }),
    ]);
  });

  it('attributes each conversion to the right post by explicit UTM fields too', async () => {
    await send(purchase('evt-200', { utm: { source: 'bluesky', medium: 'social', content: 'launch-bsky' } }));
    await send(
      purchase('evt-201', {
        value: 10,
        utm: { source: 'bluesky', medium: 'social', content: 'launch-bsky' },
      }),
    );

    expect((await store.listConversions('launch-bsky', { limit: 100 })).items.map((c) => c.eventId)).toEqual([
      'evt-200',
      'evt-201',
    ]);
    expect((await store.listConversions('launch-x', { limit: 100 })).items.map((c) => c.eventId)).toEqual([
      'evt-100',
    ]);
  });

  it('keeps and counts conversions it cannot attribute, saying why', async () => {
    const responses = [
      await send(purchase('evt-300')),
      await send(purchase('evt-301', { utm: { content: 'no-such-post' } })),
      await send(purchase('evt-302', { utm: { source: 'newsletter', content: 'launch-x' } })),
      await send(purchase('evt-303', { utm: { medium: 'email', content: 'launch-x' } })),
    ];

    expect(responses.map((r) => [r.status, r.body.attributed])).toEqual([
      [201, false],
      [201, false],
      [201, false],
      [201, false],
    ]);
    const unattributed = (await store.listConversions(null, { limit: 100 })).items;
    expect(unattributed.map((c) => [c.eventId, c.unattributedReason])).toEqual([
      ['evt-300', expect.stringContaining('no utm_content')],
      ['evt-301', expect.stringContaining("'no-such-post' names no post")],
      ['evt-302', expect.stringContaining("utm_source 'newsletter' does not match")],
      ['evt-303', expect.stringContaining("utm_medium 'email' is not social")],
    ]);
  });
});

describe('GET /v1/posts with measurements', () => {
  async function measured(post: Post, reach: number, checkpoints: [string, number][]): Promise<void> {
    for (const [checkpoint, likes] of checkpoints) {
      await store.putSnapshot({
        postId: post.id,
        checkpoint,
        dueAt: new Date(
          Date.parse(post.publishedAt ?? '') + (checkpoint === '1h' ? 1 : 2) * 3_600_000,
        ).toISOString(),
        collectedAt: new Date(
          Date.parse(post.publishedAt ?? '') + (checkpoint === '1h' ? 1 : 2) * 3_600_000,
        ).toISOString(),
        metrics: { reach, likes, engagements: likes },
        engagementRate: likes / reach,
        engagementRateBasis: 'reach',
        raw: { platform: 'payload' },
      });
    }
    const [last] = checkpoints.slice(-1);
    await store.replacePost(
      {
        ...post,
        latestMetrics: {
          checkpoint: last?.[0] ?? '1h',
          collectedAt: post.publishedAt ?? '',
          metrics: { reach, likes: last?.[1] ?? 0, engagements: last?.[1] ?? 0 },
          engagementRate: (last?.[1] ?? 0) / reach,
          engagementRateBasis: 'reach',
        },
        version: post.version + 1,
      },
      post.version,
    );
  }

  it('shows a post with its metric history, oldest first, and its conversions summed per currency', async () => {
    const post = (await store.getPost('launch-x')) as Post;
    await measured(post, 1000, [
      ['2h', 30],
      ['1h', 12],
    ]);

    const result = await callApi(posts, 'GET /v1/posts/{id}', { id: 'launch-x' });
    const body = JSON.parse(result.body ?? '{}') as Json;

    expect(result.statusCode).toBe(200);
    expect(body.metrics.map((s: Json) => [s.checkpoint, s.metrics.likes])).toEqual([
      ['1h', 12],
      ['2h', 30],
    ]);
    expect(body.metrics[0]).toMatchObject({ engagementRate: 0.012, engagementRateBasis: 'reach' });
    expect(body.metrics[0].raw).toBeUndefined();
    expect(body.conversions).toEqual({ count: 1, value: { EUR: 59.9 } });

    const withRaw = await callApi(posts, 'GET /v1/posts/{id}', { id: 'launch-x', query: { raw: 'true' } });
    expect(JSON.parse(withRaw.body ?? '{}').metrics[0].raw).toEqual({ platform: 'payload' });
  });

  it('sorts posts by a metric of their latest snapshot, unmeasured posts last, page by page', async () => {
    const bsky = (await store.getPost('launch-bsky')) as Post;
    await measured(bsky, 500, [['1h', 40]]);
    await store.createPosts([makePost({ id: 'unmeasured', scheduledAt: '2026-12-09T09:00:00.000Z' })]);

    const page = async (sort: string, cursor?: string) => {
      const result = await callApi(posts, 'GET /v1/posts', {
        query: { sort, limit: '2', ...(cursor ? { cursor } : {}) },
      });
      return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Json };
    };

    const byLikes = await page('-likes');
    expect(byLikes.body.items.map((p: Post) => p.id)).toEqual(['launch-bsky', 'launch-x']);
    const rest = await page('-likes', byLikes.body.nextCursor);
    expect(rest.body.items.map((p: Post) => p.id)).toEqual(['unmeasured']);
    expect(rest.body.nextCursor).toBeUndefined();

    const byRate = await page('engagementRate');
    expect(byRate.body.items.map((p: Post) => p.id)).toEqual(['launch-x', 'launch-bsky']);

    expect((await page('-likes', (await page('reach')).body.nextCursor)).status).toBe(400);
    expect((await page('-popularity')).status).toBe(400);
  });
});

describe('POST /v1/conversions in local mode', () => {
  it('checks freshness against the real time, not the virtual clock local mode runs on', async () => {
    // The handler's clock is 2026-12-08T12:00Z; the shop signs with the real time.
    const response = await send(purchase('evt-real-time'));
    expect(response.status).toBe(201);

    const signedAtVirtualTime = await send(purchase('evt-virtual-time'), { at: Math.floor(NOW / 1000) });
    expect(Math.abs(Date.now() - NOW)).toBeGreaterThan(301_000);
    expect(signedAtVirtualTime.status).toBe(401);
    expect(signedAtVirtualTime.body.type).toBe('urn:pulsecast:problem:timestamp-out-of-range');
  });
});
