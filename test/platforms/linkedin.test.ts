import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLittleText } from '../../local/simulators/linkedin.ts';
import {
  createLinkedInAdapter,
  linkedInMetrics,
  ShareStatisticsElement,
} from '../../shared/platforms/linkedin/adapter.ts';
import { LINKEDIN_VERSION, secondsUntilUtcMidnight } from '../../shared/platforms/linkedin/api.ts';
import { escapeLittleText, unescapeLittleText } from '../../shared/platforms/linkedin/little-text.ts';
import type { Credentials } from '../../shared/platforms/port.ts';
import { makePost } from '../support/fixtures.ts';
import { MemoryCredentialStore, platformError, type RoutedCall, respond, routedContract } from './helpers.ts';

// Contract tests: the adapter against answers shaped exactly like LinkedIn's documentation
// examples (test/fixtures/platforms/linkedin, sources in its README).

const NOW = new Date('2026-12-10T09:00:00.000Z');
const ACCESS = 'AQV-linkedin-access-token-SECRET-1234567890';
const REFRESH = 'AQW-linkedin-refresh-token-SECRET-0987654321';
const CLIENT_SECRET = 'li-client-secret-SECRET-55555';
const ORG = 'urn:li:organization:2414183';
const {
  fixture,
  adapterWith,
  channel,
  store: credentials,
} = routedContract('linkedin', createLinkedInAdapter, NOW, {
  accessToken: ACCESS,
  organizationUrn: ORG,
  expiresAt: '2027-01-30T00:00:00.000Z',
});

function refreshable(overrides: Partial<Credentials> = {}): MemoryCredentialStore {
  return credentials({
    refreshToken: REFRESH,
    clientId: 'li-client',
    clientSecret: CLIENT_SECRET,
    ...overrides,
  });
}

function everythingSaidAbout(error: unknown): string {
  return `${inspect(error, { depth: 6 })} ${JSON.stringify(error)} ${(error as Error).message}`;
}

describe('LinkedIn little text', () => {
  it('escapes every reserved character so LinkedIn does not cut the commentary', () => {
    expect(escapeLittleText('Our launch (finally) is here @ 9am')).toBe(
      'Our launch \\(finally\\) is here \\@ 9am',
    );
    expect(escapeLittleText('a|b{c}d[e]f<g>h*i_j~k\\l')).toBe(
      'a\\|b\\{c\\}d\\[e\\]f\\<g\\>h\\*i\\_j\\~k\\\\l',
    );
  });

  it('keeps hashtags clickable but escapes a # that is not one', () => {
    expect(escapeLittleText('#launch day, C# and issue #42')).toBe('#launch day, C\\# and issue #42');
    expect(escapeLittleText('price: # 5')).toBe('price: \\# 5');
  });

  it('escapes URLs like any other plain text', () => {
    expect(escapeLittleText('https://example.com/a_b(c)')).toBe('https://example.com/a\\_b\\(c\\)');
  });

  it('round-trips any text, and LinkedIn (the simulator) reads the escaped text back whole', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 120 }), (text) => {
        const escaped = escapeLittleText(text);
        expect(unescapeLittleText(escaped)).toBe(text);
        expect(readLittleText(escaped)).toEqual({ text, truncated: false });
      }),
    );
  });

  it('shows what happens without escaping: the text stops at the first reserved character', () => {
    expect(readLittleText('Big news (really) today')).toEqual({ text: 'Big news ', truncated: true });
  });
});

describe('LinkedIn metrics mapping', () => {
  it('maps Organization Share Statistics onto the vocabulary and leaves the rest absent', () => {
    const body = fixture('share-statistics-shares.200.json').body as { elements: unknown[] };
    const metrics = linkedInMetrics(ShareStatisticsElement.parse(body.elements[0]));
    expect(metrics).toEqual({
      impressions: 2064,
      reach: 1320,
      likes: 27,
      comments: 7,
      shares: 4,
      clicks: 51,
      engagements: 27 + 7 + 4 + 51,
    });
    expect(metrics).not.toHaveProperty('saves');
    expect(metrics).not.toHaveProperty('videoViews');
  });
});

describe('LinkedInAdapter.validate', () => {
  const adapter = createLinkedInAdapter();

  it('accepts 3,000 characters and refuses 3,001', () => {
    expect(adapter.validate({ text: 'a'.repeat(3000), media: [] })).toEqual([]);
    expect(adapter.validate({ text: 'a'.repeat(3001), media: [] })[0]).toMatchObject({
      column: 'text',
      severity: 'error',
    });
  });

  it('refuses a video mixed with images', () => {
    const findings = adapter.validate({
      text: 'x',
      media: ['https://cdn.example.com/a.mp4', 'https://cdn.example.com/b.jpg'],
    });
    expect(findings).toContainEqual(expect.objectContaining({ column: 'media', severity: 'error' }));
  });
});

describe('LinkedInAdapter.publish', () => {
  it('creates an organisation post with the versioned headers and returns the URN from x-restli-id', async () => {
    const { adapter, calls } = adapterWith([
      ['POST', /^\/rest\/posts$/, () => respond(fixture('posts-create.201.json'))],
    ]);
    const post = makePost({ channel: 'linkedin-page', text: 'Our launch (finally) is here! #launch' });

    const ref = await adapter.publish(post, channel, credentials(), { idempotencyKey: 'k' });

    expect(ref).toEqual({
      platformPostId: 'urn:li:share:6844785523593134080',
      platformUrl: 'https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/',
    });
    const call = calls[0] as RoutedCall;
    expect(call.url.origin).toBe('https://api.linkedin.com');
    expect(call.headers).toMatchObject({
      authorization: `Bearer ${ACCESS}`,
      'linkedin-version': LINKEDIN_VERSION,
      'x-restli-protocol-version': '2.0.0',
      'content-type': 'application/json',
    });
    expect(JSON.parse(String(call.body))).toEqual({
      author: ORG,
      commentary: 'Our launch \\(finally\\) is here! #launch',
      visibility: 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
    });
  });

  it('turns the link into an article card with a title', async () => {
    const { adapter, calls } = adapterWith([
      ['POST', /^\/rest\/posts$/, () => respond(fixture('posts-create.201.json'))],
    ]);
    const post = makePost({ text: 'Read this', link: 'https://www.example.com/launch' });

    await adapter.publish(post, channel, credentials(), { idempotencyKey: 'k' });

    expect(JSON.parse(String(calls[0]?.body)).content).toEqual({
      article: { source: 'https://www.example.com/launch', title: 'www.example.com/launch' },
    });
  });

  it('uploads an image through the Images API before the post, and keeps the link in the text', async () => {
    const init = fixture('images-initialize-upload.200.json');
    const { adapter, calls } = adapterWith([
      [
        'GET',
        /^\/photo\.jpg$/,
        () =>
          new Response(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), {
            headers: { 'content-type': 'image/jpeg' },
          }),
      ],
      ['POST', /^\/rest\/images\?action=initializeUpload$/, () => respond(init)],
      ['PUT', /^\/dms-uploads\//, () => new Response(null, { status: 201 })],
      ['POST', /^\/rest\/posts$/, () => respond(fixture('posts-create.201.json'))],
    ]);
    const post = makePost({
      text: 'New photo',
      link: 'https://www.example.com/p',
      media: ['https://cdn.example.com/photo.jpg'],
    });

    await adapter.publish(post, channel, credentials(), { idempotencyKey: 'k' });

    expect(calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      'GET /photo.jpg',
      'POST /rest/images',
      `PUT ${new URL((init.body as { value: { uploadUrl: string } }).value.uploadUrl).pathname}`,
      'POST /rest/posts',
    ]);
    expect(JSON.parse(String(calls[1]?.body))).toEqual({ initializeUploadRequest: { owner: ORG } });
    expect(calls[2]?.headers.authorization).toBe(`Bearer ${ACCESS}`);
    const body = JSON.parse(String(calls[3]?.body));
    expect(body.content).toEqual({ media: { id: 'urn:li:image:C4E10AQFoyyAjHPMQuQ' } });
    expect(body.commentary).toBe('New photo\n\nhttps://www.example.com/p');
  });

  it('refreshes an expired token once and repeats the refused request (a 401 was not processed)', async () => {
    let posts = 0;
    const store = refreshable();
    const { adapter, calls } = adapterWith([
      [
        'POST',
        /^\/rest\/posts$/,
        () =>
          posts++ === 0
            ? respond(fixture('error-401-expired-token.json'))
            : respond(fixture('posts-create.201.json')),
      ],
      ['POST', /^\/oauth\/v2\/accessToken$/, () => respond(fixture('token-refresh.200.json'))],
    ]);

    const ref = await adapter.publish(makePost(), channel, store, { idempotencyKey: 'k' });

    expect(ref.platformPostId).toBe('urn:li:share:6844785523593134080');
    const refresh = calls.find((c) => c.url.pathname === '/oauth/v2/accessToken') as RoutedCall;
    expect(refresh.url.origin).toBe('https://www.linkedin.com');
    expect(Object.fromEntries(new URLSearchParams(String(refresh.body)))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: REFRESH,
      client_id: 'li-client',
      client_secret: CLIENT_SECRET,
    });
    const saved = store.puts[0]?.credentials as Credentials;
    expect(saved.accessToken).toBe('AQXNnd2kXITHELmWblJigyGAzlXCpw-example-not-a-real-token');
    expect(saved.expiresAt).toBe(new Date(NOW.getTime() + 5_184_000_000).toISOString());
    expect(saved.organizationUrn).toBe(ORG);
    expect(calls.at(-1)?.headers.authorization).toBe(
      'Bearer AQXNnd2kXITHELmWblJigyGAzlXCpw-example-not-a-real-token',
    );
  });

  it('refreshes ahead of time when the token expires within a week', async () => {
    const store = refreshable({ expiresAt: '2026-12-14T00:00:00.000Z' });
    const { adapter, calls } = adapterWith([
      ['POST', /^\/oauth\/v2\/accessToken$/, () => respond(fixture('token-refresh.200.json'))],
      ['POST', /^\/rest\/posts$/, () => respond(fixture('posts-create.201.json'))],
    ]);

    await adapter.publish(makePost(), channel, store, { idempotencyKey: 'k' });

    expect(calls.map((c) => c.url.pathname)).toEqual(['/oauth/v2/accessToken', '/rest/posts']);
  });

  it('says auth without sending anything when the token expired and cannot be refreshed', async () => {
    const { adapter, calls } = adapterWith([]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, credentials({ expiresAt: '2026-12-01T00:00:00.000Z' }), {
        idempotencyKey: 'k',
      }),
    );
    expect(error.kind).toBe('auth');
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['error-401-expired-token.json', 'auth', 'EXPIRED_ACCESS_TOKEN'],
    ['error-401-revoked-token.json', 'auth', 'REVOKED_ACCESS_TOKEN'],
    ['error-422-validation.json', 'rejected', undefined],
    ['error-500.json', 'ambiguous', undefined],
  ] as const)('classifies %s on the post as %s', async (name, kind, code) => {
    const { adapter } = adapterWith([['POST', /^\/rest\/posts$/, () => respond(fixture(name))]]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe(kind);
    expect(error.details.status).toBe(fixture(name).status);
    if (code) expect(error.details.platformCode).toBe(code);
    expect(everythingSaidAbout(error)).not.toContain(ACCESS);
  });

  it('waits until midnight UTC after a 429, since LinkedIn sends no Retry-After', async () => {
    const { adapter } = adapterWith([
      ['POST', /^\/rest\/posts$/, () => respond(fixture('error-429-throttled.json'))],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('rate-limited');
    expect(error.details.retryAfterSeconds).toBe(15 * 3600);
    expect(secondsUntilUtcMidnight(NOW)).toBe(15 * 3600);
  });

  it('treats a failed refresh (invalid_grant) as a channel that needs a person', async () => {
    const { adapter } = adapterWith([
      ['POST', /^\/rest\/posts$/, () => respond(fixture('error-401-revoked-token.json'))],
      [
        'POST',
        /^\/oauth\/v2\/accessToken$/,
        () =>
          respond({
            status: 400,
            body: {
              error: 'invalid_grant',
              error_description:
                'The provided authorization grant or refresh token is invalid, expired or revoked',
            },
          }),
      ],
    ]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, refreshable(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('auth');
    expect(everythingSaidAbout(error)).not.toContain(REFRESH);
    expect(everythingSaidAbout(error)).not.toContain(CLIENT_SECRET);
  });

  it('calls a failure before the post itself (image upload) unavailable, never ambiguous', async () => {
    const { adapter } = adapterWith([
      [
        'GET',
        /^\/photo\.jpg$/,
        () => new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'image/jpeg' } }),
      ],
      ['POST', /^\/rest\/images/, () => respond(fixture('error-500.json'))],
    ]);
    const post = makePost({ media: ['https://cdn.example.com/photo.jpg'] });
    const error = await platformError(() =>
      adapter.publish(post, channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('unavailable');
  });

  it('calls a 201 without the new id ambiguous (the post exists; lookup finds it)', async () => {
    const { adapter } = adapterWith([['POST', /^\/rest\/posts$/, () => new Response(null, { status: 201 })]]);
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, credentials(), { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('ambiguous');
  });

  it('tells a secret that lacks the organisation apart (auth), naming the field but no value', async () => {
    const { adapter } = adapterWith([]);
    const store = MemoryCredentialStore.holding({ accessToken: ACCESS });
    const error = await platformError(() =>
      adapter.publish(makePost(), channel, store, { idempotencyKey: 'k' }),
    );
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('organizationUrn');
    expect(everythingSaidAbout(error)).not.toContain(ACCESS);
  });
});

describe('LinkedInAdapter.lookup', () => {
  it('finds the post among the organisation posts by its unescaped text and time', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', /^\/rest\/posts\?/, () => respond(fixture('posts-by-author.200.json'))],
    ]);
    const post = makePost({
      text: 'Our launch (finally) is here @ 9am #launch',
      link: 'https://www.example.com/launch',
      scheduledAt: '2026-12-09T10:00:00.000Z',
    });

    const ref = await adapter.lookup?.(post, channel, credentials());

    expect(ref).toEqual({
      platformPostId: 'urn:li:share:6970446134389465088',
      platformUrl: 'https://www.linkedin.com/feed/update/urn:li:share:6970446134389465088/',
    });
    const url = calls[0]?.url as URL;
    expect(Object.fromEntries(url.searchParams)).toEqual({
      author: ORG,
      q: 'author',
      count: '50',
      sortBy: 'LAST_MODIFIED',
    });
  });

  it('finds nothing for a post scheduled after everything listed', async () => {
    const { adapter } = adapterWith([
      ['GET', /^\/rest\/posts\?/, () => respond(fixture('posts-by-author.200.json'))],
    ]);
    const post = makePost({ text: 'An older post', scheduledAt: '2026-12-09T12:00:00.000Z' });
    expect(await adapter.lookup?.(post, channel, credentials())).toBeUndefined();
  });
});

describe('LinkedInAdapter.fetchMetrics', () => {
  it('asks for shares and UGC posts in batched Rest.li lists and keeps the raw payload', async () => {
    const { adapter, calls } = adapterWith([
      ['GET', /shares=List/, () => respond(fixture('share-statistics-shares.200.json'))],
      ['GET', /ugcPosts=List/, () => respond(fixture('share-statistics-ugcposts.200.json'))],
    ]);
    const posts = [
      { id: 'p1', publishedAt: NOW.toISOString(), platformPostId: 'urn:li:share:1000000' },
      { id: 'p2', publishedAt: NOW.toISOString(), platformPostId: 'urn:li:share:1000001' },
      { id: 'p3', publishedAt: NOW.toISOString(), platformPostId: 'urn:li:ugcPost:7000000000000000001' },
      { id: 'p4', publishedAt: NOW.toISOString(), platformPostId: 'urn:li:share:1000002' },
    ];

    const readings = await adapter.fetchMetrics(posts, channel, credentials());

    expect(calls).toHaveLength(2);
    expect(calls[0]?.url.search).toBe(
      '?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&shares=List(urn%3Ali%3Ashare%3A1000000,urn%3Ali%3Ashare%3A1000001,urn%3Ali%3Ashare%3A1000002)',
    );
    expect(calls[1]?.url.search).toContain('&ugcPosts=List(urn%3Ali%3AugcPost%3A7000000000000000001)');
    expect(readings.map((r) => [r.postId, r.status, r.metrics.impressions])).toEqual([
      ['p1', 'ok', 2064],
      ['p2', 'ok', 0],
      ['p3', 'ok', 1102],
      ['p4', 'ok', undefined],
    ]);
    expect(readings[3]?.metrics).toEqual({});
    expect(readings[0]?.raw).toMatchObject({
      share: 'urn:li:share:1000000',
      totalShareStatistics: { clickCount: 51 },
    });
  });

  it('reads statistics failures as unavailable (nothing is published by reading)', async () => {
    const { adapter } = adapterWith([['GET', /shares=List/, () => respond(fixture('error-500.json'))]]);
    const error = await platformError(() =>
      adapter.fetchMetrics([{ id: 'p1', platformPostId: 'urn:li:share:1' }], channel, credentials()),
    );
    expect(error.kind).toBe('unavailable');
  });
});

describe('LinkedInAdapter.checkCredentials', () => {
  it('refreshes a token about to expire and reports it', async () => {
    const store = refreshable({ expiresAt: '2026-12-12T00:00:00.000Z' });
    const { adapter } = adapterWith([
      ['POST', /^\/oauth\/v2\/accessToken$/, () => respond(fixture('token-refresh.200.json'))],
    ]);
    const health = await adapter.checkCredentials(channel, store);
    expect(health.status).toBe('refreshed');
    expect(JSON.stringify(health)).not.toContain('AQXNnd2kXITHELmWblJigyGAzlXCpw');
  });

  it('warns ahead of expiry when the token cannot be refreshed', async () => {
    const { adapter } = adapterWith([]);
    const health = await adapter.checkCredentials(
      channel,
      credentials({ expiresAt: '2026-12-12T00:00:00.000Z' }),
    );
    expect(health).toMatchObject({ status: 'expiring', expiresAt: '2026-12-12T00:00:00.000Z' });
  });
});
