import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InsightsResponse, insightNumbers } from '../../shared/platforms/meta/graph.ts';
import { createThreadsAdapter, threadsMetrics } from '../../shared/platforms/meta/threads.ts';
import { makePost } from '../support/fixtures.ts';
import {
  type FetchRoute,
  graphErrorResponse,
  inTurn,
  platformError,
  respond,
  routedContract,
} from './helpers.ts';

// Contract tests: the adapter against answers shaped exactly like Meta's Threads documentation
// examples (test/fixtures/platforms/threads, sources in its README).

const NOW = new Date('2026-12-10T09:00:00.000Z');
const USER = '26014213178290321';
const TOKEN = 'THAA-threads-user-token-SECRET-9876543210';
const { fixture, adapterWith, channel, store } = routedContract('threads', createThreadsAdapter, NOW, {
  threadsUserId: USER,
  accessToken: TOKEN,
  expiresAt: '2027-01-20T00:00:00.000Z',
});

const happy: FetchRoute[] = [
  ['GET', /\/threads_publishing_limit\?/, () => respond(fixture('publishing-limit.200.json'))],
  ['POST', /\/threads$/, () => respond(fixture('threads-create.200.json'))],
  ['GET', /\/1254567890\?/, () => respond(fixture('container-status-finished.200.json'))],
  ['POST', /\/threads_publish$/, () => respond(fixture('threads-publish.200.json'))],
  ['GET', /\/1234567890\?fields=permalink/, () => respond(fixture('media-permalink.200.json'))],
];

describe('Threads metrics mapping', () => {
  it('maps views to impressions, replies to comments, and reposts + quotes + shares to shares', () => {
    const parsed = InsightsResponse.parse(fixture('media-insights.200.json').body);
    expect(threadsMetrics(insightNumbers(parsed.data))).toEqual({
      impressions: 4523,
      likes: 187,
      comments: 42,
      shares: 23 + 8 + 5,
      engagements: 187 + 42 + 23 + 8 + 5,
    });
  });
});

describe('ThreadsAdapter.publish', () => {
  it('publishes a text post with the link at the end of the text', async () => {
    const { adapter, calls } = adapterWith(happy);
    const post = makePost({ text: 'First thread of the season', link: 'https://example.com/s' });

    const ref = await adapter.publish(post, channel, store(), { idempotencyKey: 'k' });

    expect(ref).toEqual({
      platformPostId: '1234567890',
      platformUrl: 'https://www.threads.net/@pulsecast/post/C6P7MfvvVkT',
      rateLimit: { remaining: 245, resetAt: '2026-12-11T09:00:00.000Z' },
    });
    expect(calls.map((c) => `${c.method} ${c.url.origin}${c.url.pathname}`)).toEqual([
      `GET https://graph.threads.net/v1.0/${USER}/threads_publishing_limit`,
      `POST https://graph.threads.net/v1.0/${USER}/threads`,
      'GET https://graph.threads.net/v1.0/1254567890',
      `POST https://graph.threads.net/v1.0/${USER}/threads_publish`,
      'GET https://graph.threads.net/v1.0/1234567890',
    ]);
    expect(Object.fromEntries(calls[1]?.form ?? [])).toEqual({
      media_type: 'TEXT',
      text: 'First thread of the season https://example.com/s',
      access_token: TOKEN,
    });
    expect(calls[2]?.url.searchParams.get('fields')).toBe('status,error_message');
    expect(calls[3]?.form.get('creation_id')).toBe('1254567890');
  });

  it('creates IMAGE and VIDEO containers, and a CAROUSEL of items', async () => {
    let n = 0;
    const { adapter, calls } = adapterWith([
      happy[0] as FetchRoute,
      ['POST', /\/threads$/, () => respond({ status: 200, body: { id: `12545678${90 + ++n}` } })],
      ['GET', /\/125456789\d\?/, () => respond(fixture('container-status-finished.200.json'))],
      ...happy.slice(3),
    ]);
    await adapter.publish(
      makePost({ text: 'Look', media: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.mp4'] }),
      channel,
      store(),
      { idempotencyKey: 'k' },
    );
    const creates = calls.filter((c) => c.method === 'POST' && c.url.pathname.endsWith('/threads'));
    expect(creates.map((c) => Object.fromEntries([...c.form].filter(([k]) => k !== 'access_token')))).toEqual(
      [
        { media_type: 'IMAGE', image_url: 'https://cdn.example.com/a.jpg', is_carousel_item: 'true' },
        { media_type: 'VIDEO', video_url: 'https://cdn.example.com/b.mp4', is_carousel_item: 'true' },
        { media_type: 'CAROUSEL', children: '1254567891,1254567892', text: 'Look' },
      ],
    );
  });

  it('calls a container that failed to download rejected, with Threads’ error message', async () => {
    const { adapter } = adapterWith([
      happy[0] as FetchRoute,
      happy[1] as FetchRoute,
      ['GET', /\/1254567890\?/, () => respond(fixture('container-status-error.200.json'))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost({ media: ['https://cdn.example.com/clip.mp4'] }), channel, store(), {
        idempotencyKey: 'k',
      }),
    );
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('FAILED_DOWNLOADING_VIDEO');
  });

  it.each([
    ['error-190-expired-token.json', 'auth'],
    ['error-rate-limit.json', 'rate-limited'],
  ] as const)('classifies %s from threads_publish as %s', async (name, kind) => {
    const { adapter } = adapterWith([
      ...happy.slice(0, 3),
      ['POST', /\/threads_publish$/, () => respond(fixture(name))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, store(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe(kind);
    expect(inspect(error, { depth: 6 })).not.toContain(TOKEN);
  });

  it('calls a lost answer from threads_publish ambiguous', async () => {
    const { adapter } = adapterWith([
      ...happy.slice(0, 3),
      [
        'POST',
        /\/threads_publish$/,
        () => {
          throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
        },
      ],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, store(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('ambiguous');
  });

  it('refreshes the long-lived token with th_refresh_token in its last week', async () => {
    const credentials = store({ expiresAt: '2026-12-15T00:00:00.000Z' });
    const { adapter, calls } = adapterWith([
      ['GET', /^\/refresh_access_token\?/, () => respond(fixture('refresh-access-token.200.json'))],
      ...happy,
    ]);
    await adapter.publish(makePost(), channel, credentials, { idempotencyKey: 'k' });
    expect(calls[0]?.url.searchParams.get('grant_type')).toBe('th_refresh_token');
    expect(credentials.puts[0]?.credentials.accessToken).toBe('THAAexample-not-a-real-token');
  });
});

describe('ThreadsAdapter.validate', () => {
  it('counts emoji as UTF-8 bytes against the 500 limit and refuses more than 5 links', () => {
    const adapter = createThreadsAdapter();
    expect(adapter.validate({ text: '😀'.repeat(125), media: [] })).toEqual([]);
    expect(adapter.validate({ text: '😀'.repeat(126), media: [] })[0]).toMatchObject({
      column: 'text',
      severity: 'error',
    });
    const links = Array.from({ length: 6 }, (_, i) => `https://e${i}.example.com`).join(' ');
    expect(adapter.validate({ text: links, media: [] })[0]).toMatchObject({
      column: 'text',
      severity: 'error',
    });
  });
});

describe('ThreadsAdapter.lookup and fetchMetrics', () => {
  it('finds the thread by its published text (link included) and time', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', new RegExp(`/${USER}/threads\\?`), () => respond(fixture('user-threads.200.json'))],
    ]);
    const post = makePost({
      text: 'First thread of the season',
      link: 'https://example.com/s',
      scheduledAt: '2026-12-10T09:00:00.000Z',
    });
    expect(await adapter.lookup?.(post, channel, store())).toEqual({
      platformPostId: '1234567890',
      platformUrl: 'https://www.threads.net/@pulsecast/post/C6P7MfvvVkT',
    });
    expect(calls[0]?.url.searchParams.get('fields')).toBe('id,text,timestamp,permalink');
  });

  it('reads a thread’s insights and keeps the raw payload', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', /\/insights\?/, () => respond(fixture('media-insights.200.json'))],
    ]);
    const [reading] = await adapter.fetchMetrics(
      [{ id: 'p1', platformPostId: '1234567890' }],
      channel,
      store(),
    );
    expect(calls[0]?.url.searchParams.get('metric')).toBe('views,likes,replies,reposts,quotes,shares');
    expect(reading).toMatchObject({
      postId: 'p1',
      status: 'ok',
      metrics: { impressions: 4523, comments: 42 },
    });
    expect(reading?.metrics).not.toHaveProperty('reach');
    expect(reading?.raw).toEqual(fixture('media-insights.200.json').body);
  });

  it('asks again without the metrics still in development when Meta refuses one', async () => {
    const { adapter, calls } = adapterWith([
      [
        'GET',
        /\/insights\?/,
        inTurn(
          () =>
            graphErrorResponse(400, {
              message: '(#100) The value must be a valid insights metric: shares',
              code: 100,
            }),
          () => respond(fixture('media-insights.200.json')),
        ),
      ],
    ]);
    await adapter.fetchMetrics([{ id: 'p1', platformPostId: '1234567890' }], channel, store());
    expect(calls[1]?.url.searchParams.get('metric')).toBe('views,likes,replies,reposts,quotes');
  });
});
