import { describe, expect, it } from 'vitest';
import {
  createFacebookListening,
  createInstagramListening,
} from '../../shared/platforms/meta/comments-listening.ts';
import {
  type FetchRoute,
  MemoryCredentialStore,
  noSleep,
  platformError,
  type RouteHandler,
  routedFetch,
} from '../platforms/helpers.ts';
import { makeChannel } from '../support/fixtures.ts';

const NOW = new Date('2027-03-01T12:00:00.000Z');
const FROM = { since: '2027-02-22T12:00:00.000Z' };
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('Instagram comments as listening', () => {
  const IG = '17841405822304914';
  const credentials = MemoryCredentialStore.holding({ igUserId: IG, accessToken: 'ig-token-123456' });
  const channel = makeChannel({ id: 'instagram-main', platform: 'instagram', handle: '@pulsecast' });
  const reply = (id: string, minute: number, username: string, fromId: string) => ({
    id,
    text: `${id} text`,
    timestamp: `2027-03-01T08:${minute}:00+0000`,
    username,
    from: { id: fromId, username },
    parent_id: 'c1',
  });
  const routes: FetchRoute[] = [
    [
      'GET',
      new RegExp(`/v27\\.0/${IG}/media\\?`),
      () =>
        json({ data: [{ id: 'm1', timestamp: '2027-03-01T08:00:00+0000', permalink: 'https://ig/p/m1' }] }),
    ],
    [
      'GET',
      /\/v27\.0\/m1\/comments\?/,
      () =>
        json({
          data: [
            {
              id: 'c1',
              text: 'Does it work offline?',
              timestamp: '2027-03-01T08:10:00+0000',
              username: 'fan',
              from: { id: '901', username: 'fan' },
              // Only the first reply is expanded; the rest are on the comment's replies edge.
              replies: {
                data: [reply('r1', 20, 'pulsecast', IG)],
                paging: {
                  cursors: { after: 'QVFI' },
                  next: 'https://graph.instagram.com/c1/replies?after=QVFI',
                },
              },
            },
          ],
        }),
    ],
    [
      'GET',
      /\/v27\.0\/c1\/replies\?/,
      () => json({ data: [reply('r1', 20, 'pulsecast', IG), reply('r2', 30, 'fan', '901')] }),
    ],
  ];

  it('reads others’ comments and replies as inbound and ours as answers, following a replies edge', async () => {
    const { fetch, calls } = routedFetch(routes);
    const adapter = createInstagramListening({ fetch, now: () => NOW, sleep: noSleep });

    const inbound = await adapter.inbound(channel, credentials, FROM);
    const own = await adapter.ownReplies(channel, credentials, FROM);

    expect(inbound.posts.map((p) => [p.id, p.kind, p.replyTo, p.threadRoot, p.author.handle])).toEqual([
      ['c1', 'comment', 'm1', 'm1', 'fan'],
      ['r2', 'comment', 'c1', 'm1', 'fan'],
    ]);
    expect(inbound.position).toBe('2027-03-01T08:30:00.000Z');
    expect(own.posts).toEqual([expect.objectContaining({ id: 'r1', replyTo: 'c1', threadRoot: 'c1' })]);
    // One read served both: the media list, the comments and the replies edge, once each.
    expect(calls.map((c) => c.url.pathname)).toEqual([
      `/v27.0/${IG}/media`,
      '/v27.0/m1/comments',
      '/v27.0/c1/replies',
    ]);
    expect(calls[1]?.url.searchParams.get('fields')).toBe(
      'id,text,timestamp,username,from,parent_id,replies{id,text,timestamp,username,from,parent_id}',
    );
  });
});

describe('Facebook comments as listening', () => {
  const PAGE = '546349135390552';
  const credentials = MemoryCredentialStore.holding({
    pageId: PAGE,
    pageAccessToken: 'fb-page-token-123456',
  });
  const channel = makeChannel({ id: 'facebook-page', platform: 'facebook', handle: '@pulsecast' });
  const posts: FetchRoute = [
    'GET',
    new RegExp(`/v27\\.0/${PAGE}/posts\\?`),
    () => json({ data: [{ id: `${PAGE}_1`, created_time: '2027-03-01T08:00:00+0000' }] }),
  ];
  /** The Page's one post, its comments answered by `comments`. */
  const pageWith = (comments: RouteHandler) => routedFetch([posts, ['GET', /\/comments\?/, comments]]);

  it('names a commenter Graph does not show as unknown, and reads the stream of replies', async () => {
    const { fetch, calls } = pageWith(() =>
      json({
        data: [
          { id: '1_11', message: 'Hello?', created_time: '2027-03-01T09:00:00+0000' },
          {
            id: '1_12',
            message: 'Hi! How can we help?',
            created_time: '2027-03-01T09:30:00+0000',
            from: { id: PAGE, name: 'Pulsecast' },
            parent: { id: '1_11' },
          },
        ],
      }),
    );
    const adapter = createFacebookListening({ fetch, now: () => NOW, sleep: noSleep });

    const inbound = await adapter.inbound(channel, credentials, FROM);
    const own = await adapter.ownReplies(channel, credentials, FROM);

    expect(inbound.posts).toEqual([
      expect.objectContaining({ id: '1_11', author: { handle: 'unknown' }, replyTo: `${PAGE}_1` }),
    ]);
    expect(own.posts).toEqual([expect.objectContaining({ id: '1_12', replyTo: '1_11', threadRoot: '1_11' })]);
    const query = calls[1]?.url.searchParams;
    expect([query?.get('filter'), query?.get('order'), query?.get('limit')]).toEqual([
      'stream',
      'chronological',
      '100',
    ]);
  });

  it('reports Graph throttling as rate-limited with its wait, and asks nothing more until the wait is over', async () => {
    const { fetch, calls } = pageWith(
      () =>
        new Response(JSON.stringify({ error: { message: '(#32) Page request limit reached', code: 32 } }), {
          status: 400,
          headers: {
            'content-type': 'application/json',
            'x-business-use-case-usage': JSON.stringify({
              [PAGE]: [{ type: 'pages', call_count: 100, estimated_time_to_regain_access: 7 }],
            }),
          },
        }),
    );
    let now = NOW;
    const adapter = createFacebookListening({ fetch, now: () => now, sleep: noSleep });

    const throttled = await platformError(() => adapter.inbound(channel, credentials, FROM));
    expect(throttled).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 420 } });
    expect(throttled.message).not.toContain('fb-page-token-123456');
    const asked = calls.length;

    now = new Date(NOW.getTime() + 5 * 60_000);
    const waiting = await platformError(() => adapter.ownReplies(channel, credentials, FROM));
    expect(waiting).toMatchObject({ kind: 'rate-limited', details: { retryAfterSeconds: 120 } });
    expect(calls).toHaveLength(asked);

    now = new Date(NOW.getTime() + 8 * 60_000);
    await platformError(() => adapter.inbound(channel, credentials, FROM));
    expect(calls.length).toBeGreaterThan(asked);
  });
});
