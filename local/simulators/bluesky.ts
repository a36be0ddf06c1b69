import { createHash, randomBytes } from 'node:crypto';
import { json, SimError, startSimulator } from './base.ts';
import { blueskyConversationRoutes } from './bluesky-conversation.ts';
import { accountFollowers, authorFeedPage } from './history.ts';
import { type AccountsSimulatorHandle, type AccountsSimulatorOptions, numberedAccounts } from './setup.ts';
import type * as Sim from './sim.ts';

/**
 * A local stand-in for a Bluesky PDS (with the AppView's `getPosts`), speaking XRPC as atproto
 * documents it: app-password sign-in (`createSession`) handing out JWT access tokens that expire
 * (400 `ExpiredToken`) and refresh tokens that rotate (`refreshSession`), `uploadBlob`,
 * `createRecord` for `app.bsky.feed.post` with lexicon validation (300 graphemes, 3,000 bytes,
 * facet byte ranges, image blobs ≤ 1,000,000 bytes, 4 images or 1 video), `listRecords`
 * (newest first, cursor by record key), `getPosts` (≤ 25 uris; missing posts left out),
 * `RateLimit-*` headers (reset as epoch seconds, as the PDS sends them) and `{error, message}` errors.
 */

export interface BlueskySimAccount {
  channel: string;
  did: string;
  handle: string;
  email: string;
  /** The app password `createSession` accepts. */
  appPassword: string;
  displayName: string;
}

export interface BlueskySimulatorOptions extends AccountsSimulatorOptions<BlueskySimAccount> {
  /** @default 7200 */
  accessTokenTtlSeconds?: number;
  /** @default 90 days */
  refreshTokenTtlSeconds?: number;
}

export interface BlueskySimulatorHandle extends AccountsSimulatorHandle<BlueskySimAccount> {
  /** How many times each account signed in with its app password (Bluesky limits this tightly). */
  readonly sessionsCreated: ReadonlyMap<string, number>;
}

export const DEFAULT_BLUESKY_ACCOUNT: BlueskySimAccount = {
  channel: 'bsky-main',
  did: 'did:plc:pulsecastsim4x2q7m3vz5ka',
  handle: 'pulsecast.bsky.social',
  email: 'team@pulsecast.example',
  appPassword: 'sim1-app2-pass3-word',
  displayName: 'Pulsecast',
};

const POST = 'app.bsky.feed.post';
const MAX_IMAGE_BYTES = 1_000_000;

const blueskyDialect: Sim.Dialect = {
  rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, remaining)),
    'RateLimit-Reset': String(Math.floor(resetAt.getTime() / 1000)),
    'RateLimit-Policy': `${limit};w=300`,
  }),
  tooManyRequests: () => json(429, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }),
  serverError: (status) =>
    json(
      status,
      status === 502
        ? { error: 'UpstreamFailure', message: 'Upstream Failure' }
        : { error: 'InternalServerError', message: 'Internal Server Error' },
    ),
  unauthorized: (reason) =>
    reason === 'missing'
      ? json(401, { error: 'AuthMissing', message: 'Authentication Required' })
      : reason === 'expired'
        ? json(400, { error: 'ExpiredToken', message: 'Token has expired' })
        : json(400, { error: 'InvalidToken', message: 'Token could not be verified' }),
  notFound: () => json(501, { error: 'MethodNotImplemented', message: 'Method Not Implemented' }),
};

function invalid(message: string, error = 'InvalidRequest'): SimError {
  return new SimError(json(400, { error, message }));
}

export async function startBlueskySimulator(
  options: BlueskySimulatorOptions = {},
): Promise<BlueskySimulatorHandle> {
  const accounts = numberedAccounts('bsky', options.accounts, DEFAULT_BLUESKY_ACCOUNT, (n) => ({
    did: `did:plc:pulsecastsim${n}x2q7m3vz5ka`,
    handle: `pulsecast${n}.bsky.social`,
  }));
  const accessTtl = options.accessTokenTtlSeconds ?? 7200;
  const refreshTtl = options.refreshTokenTtlSeconds ?? 90 * 86400;
  const blobs = new Map<string, { account: string; mimeType: string; size: number }>();
  const sessionsCreated = new Map<string, number>();
  let tidClock = 0n;
  const byDid = (did: string) => accounts.find((a) => a.did === did);

  function issueSession(account: BlueskySimAccount, ctx: Sim.Context) {
    const now = Math.floor(ctx.now().getTime() / 1000);
    const accessJwt = ctx.tokens.issue(account.did, {
      ttlSeconds: accessTtl,
      value: jwt({
        scope: 'com.atproto.appPass',
        sub: account.did,
        iat: now,
        exp: now + accessTtl,
        aud: 'did:web:bsky.social',
      }),
    });
    const refreshJwt = ctx.tokens.issue(account.did, {
      kind: 'refresh',
      ttlSeconds: refreshTtl,
      value: jwt({
        scope: 'com.atproto.refresh',
        sub: account.did,
        iat: now,
        exp: now + refreshTtl,
        jti: randomBytes(16).toString('base64url'),
        aud: 'did:web:bsky.social',
      }),
    });
    return {
      did: account.did,
      didDoc: {
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: account.did,
        alsoKnownAs: [`at://${account.handle}`],
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: ctx.baseUrl }],
      },
      handle: account.handle,
      email: account.email,
      emailConfirmed: true,
      emailAuthFactor: false,
      accessJwt,
      refreshJwt,
      active: true,
    };
  }

  /** A TID record key: 53 bits of microseconds and 10 bits of clock id, base32-sortable. */
  function nextTid(ctx: Sim.Context): string {
    const micros = BigInt(ctx.now().getTime()) * 1000n;
    tidClock = micros > tidClock ? micros : tidClock + 1n;
    const value = (tidClock << 10n) | 0x1fn;
    const alphabet = '234567abcdefghijklmnopqrstuvwxyz';
    let out = '';
    for (let i = 0; i < 13; i++) out = alphabet[Number((value >> BigInt(5 * i)) & 31n)] + out;
    return out;
  }

  const routes: Sim.Route[] = [
    {
      method: 'POST',
      path: '/xrpc/com.atproto.server.createSession',
      handle: (req, ctx) => {
        const body = (req.body ?? {}) as { identifier?: unknown; password?: unknown };
        if (typeof body.identifier !== 'string' || typeof body.password !== 'string') {
          throw invalid('Input must have the properties "identifier", "password"');
        }
        const id = body.identifier.replace(/^@/, '').toLowerCase();
        const account = accounts.find((a) => a.handle === id || a.did === id || a.email.toLowerCase() === id);
        if (!account || account.appPassword !== body.password) {
          return json(401, { error: 'AuthenticationRequired', message: 'Invalid identifier or password' });
        }
        sessionsCreated.set(account.did, (sessionsCreated.get(account.did) ?? 0) + 1);
        return json(200, issueSession(account, ctx));
      },
    },
    {
      method: 'POST',
      path: '/xrpc/com.atproto.server.refreshSession',
      handle: (req, ctx) => {
        const token = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
        if (!token) return json(401, { error: 'AuthMissing', message: 'Authentication Required' });
        const checked = ctx.tokens.check(token, 'refresh');
        if (!checked.ok) return blueskyDialect.unauthorized(checked.reason);
        const account = byDid(checked.account);
        if (!account) return blueskyDialect.unauthorized('invalid');
        // Refresh tokens rotate; the old one stops working.
        ctx.tokens.revoke(token);
        const { accessJwt, refreshJwt, did, handle, didDoc } = issueSession(account, ctx);
        return json(200, { accessJwt, refreshJwt, handle, did, didDoc, active: true });
      },
    },
    {
      method: 'GET',
      path: '/xrpc/com.atproto.server.getSession',
      auth: true,
      handle: (req) => {
        const account = byDid(req.auth?.account ?? '');
        if (!account) return blueskyDialect.unauthorized('invalid');
        return json(200, {
          handle: account.handle,
          did: account.did,
          email: account.email,
          emailConfirmed: true,
          active: true,
        });
      },
    },
    {
      method: 'POST',
      path: '/xrpc/com.atproto.repo.uploadBlob',
      auth: true,
      handle: (req) => {
        const mimeType = String(req.headers['content-type'] ?? '*/*').split(';')[0] ?? '*/*';
        if (req.raw.length === 0) throw invalid('Request body is empty');
        if (req.raw.length > 50 * 1024 * 1024) throw invalid('This file is too large', 'BlobTooLarge');
        const link = cid('bafkrei', req.raw);
        blobs.set(link, { account: req.auth?.account ?? '', mimeType, size: req.raw.length });
        return json(200, { blob: { $type: 'blob', ref: { $link: link }, mimeType, size: req.raw.length } });
      },
    },
    {
      method: 'POST',
      path: '/xrpc/com.atproto.repo.createRecord',
      auth: true,
      handle: (req, ctx) => createRecord(req, ctx),
    },
    {
      method: 'GET',
      path: '/xrpc/com.atproto.repo.listRecords',
      handle: (req, ctx) => listRecords(req, ctx),
    },
    {
      method: 'GET',
      path: '/xrpc/app.bsky.feed.getPosts',
      auth: true,
      handle: (req, ctx) => getPosts(req, ctx),
    },
    ...blueskyConversationRoutes(accounts),
    {
      method: 'GET',
      path: '/xrpc/app.bsky.feed.getAuthorFeed',
      auth: true,
      handle: (req, ctx) => {
        const account = actorOf(req);
        const page = authorFeedPage(ctx.posts, account.did, req.query, (post) => String(post.data.rkey));
        return json(200, { ...page, feed: page.feed.map((post) => ({ post: postView(post, ctx) })) });
      },
    },
    {
      method: 'GET',
      path: '/xrpc/app.bsky.actor.getProfile',
      auth: true,
      handle: (req, ctx) => {
        const account = actorOf(req);
        const followersCount = accountFollowers(ctx, account.did, account.channel);
        return json(200, {
          did: account.did,
          handle: account.handle,
          displayName: account.displayName,
          followersCount,
        });
      },
    },
  ];

  /** The account an app.bsky read names in `actor` (its DID or handle). */
  function actorOf(req: Sim.Request): BlueskySimAccount {
    const actor = req.query.get('actor') ?? '';
    const account = byDid(actor) ?? accounts.find((a) => a.handle === actor);
    if (!account) throw invalid('Profile not found');
    return account;
  }

  function createRecord(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const account = byDid(req.auth?.account ?? '');
    if (!account) throw new SimError(blueskyDialect.unauthorized('invalid'));
    const input = (req.body ?? {}) as {
      repo?: unknown;
      collection?: unknown;
      record?: unknown;
      rkey?: unknown;
    };
    if (input.repo !== account.did && input.repo !== account.handle) {
      throw invalid('Input/repo must be the DID or handle of the authenticated account');
    }
    if (input.collection !== POST) throw invalid(`Simulator only stores ${POST} records`);
    const record = input.record as Record<string, unknown> | undefined;
    if (!record || typeof record !== 'object') throw invalid('Input must have the property "record"');
    if (record.$type !== POST) throw invalid(`Invalid ${POST} record: Record/$type must be ${POST}`);
    if (typeof record.text !== 'string')
      throw invalid(`Invalid ${POST} record: Record must have the property "text"`);
    const text = record.text;
    if (graphemes(text) > 300) {
      throw invalid(`Invalid ${POST} record: Record/text must not be longer than 300 graphemes`);
    }
    const byteLength = Buffer.byteLength(text, 'utf8');
    if (byteLength > 3000)
      throw invalid(`Invalid ${POST} record: Record/text must not be longer than 3000 characters`);
    if (typeof record.createdAt !== 'string' || Number.isNaN(Date.parse(record.createdAt))) {
      throw invalid(`Invalid ${POST} record: Record/createdAt must be an valid atproto datetime`);
    }
    const links = checkFacets(record.facets, byteLength);
    const media = checkEmbed(record.embed, account);

    const rkey = typeof input.rkey === 'string' ? input.rkey : nextTid(ctx);
    const uri = `at://${account.did}/${POST}/${rkey}`;
    if (ctx.findPost(uri)) throw invalid(`Record already exists at ${uri}`);
    const recordCid = cid('bafyrei', Buffer.from(JSON.stringify(record)));
    ctx.addPost({
      id: uri,
      channel: account.channel,
      account: account.did,
      text,
      media,
      publishedAt: ctx.now(),
      url: `https://bsky.app/profile/${account.handle}/post/${rkey}`,
      ...(links[0] ? { link: links[0] } : {}),
      data: { rkey, cid: recordCid, record },
    });
    return json(200, {
      uri,
      cid: recordCid,
      commit: { cid: cid('bafyrei', Buffer.from(`commit:${uri}`)), rev: nextTid(ctx) },
      validationStatus: 'valid',
    });
  }

  function checkFacets(facets: unknown, byteLength: number): string[] {
    if (facets === undefined) return [];
    if (!Array.isArray(facets)) throw invalid(`Invalid ${POST} record: Record/facets must be an array`);
    const links: string[] = [];
    facets.forEach((facet, i) => {
      const index = (facet as { index?: { byteStart?: unknown; byteEnd?: unknown } }).index;
      const start = index?.byteStart;
      const end = index?.byteEnd;
      if (
        typeof start !== 'number' ||
        typeof end !== 'number' ||
        start < 0 ||
        end <= start ||
        end > byteLength
      ) {
        throw invalid(
          `Invalid ${POST} record: Record/facets/${i}/index must be a byte range inside the text`,
        );
      }
      const features = (facet as { features?: unknown }).features;
      if (!Array.isArray(features) || features.length === 0) {
        throw invalid(`Invalid ${POST} record: Record/facets/${i}/features must not be empty`);
      }
      for (const feature of features as Record<string, unknown>[]) {
        if (feature.$type === 'app.bsky.richtext.facet#link') {
          if (typeof feature.uri !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(feature.uri)) {
            throw invalid(`Invalid ${POST} record: Record/facets/${i}/features/0/uri must be a valid uri`);
          }
          links.push(feature.uri);
        }
      }
    });
    return links;
  }

  function checkEmbed(embed: unknown, account: BlueskySimAccount): Sim.Media[] {
    if (embed === undefined) return [];
    const e = embed as Record<string, unknown>;
    const blobOf = (ref: unknown, path: string) => {
      const link = (ref as { ref?: { $link?: unknown } } | undefined)?.ref?.$link;
      const stored = typeof link === 'string' ? blobs.get(link) : undefined;
      if (!stored || stored.account !== account.did)
        throw invalid(`Could not find blob: ${String(link)} (${path})`, 'InvalidRequest');
      return { link: link as string, ...stored };
    };
    if (e.$type === 'app.bsky.embed.images') {
      const images = e.images;
      if (!Array.isArray(images) || images.length === 0 || images.length > 4) {
        throw invalid(`Invalid ${POST} record: Record/embed/images must have 1 to 4 elements`);
      }
      return images.map((image: Record<string, unknown>, i) => {
        if (typeof image.alt !== 'string')
          throw invalid(`Invalid ${POST} record: Record/embed/images/${i} must have the property "alt"`);
        const blob = blobOf(image.image, `embed/images/${i}`);
        if (!blob.mimeType.startsWith('image/'))
          throw invalid(`Invalid ${POST} record: Record/embed/images/${i}/image mimeType is not accepted`);
        if (blob.size > MAX_IMAGE_BYTES)
          throw invalid(`Invalid ${POST} record: Record/embed/images/${i}/image file is too large`);
        return { id: blob.link, kind: 'image' as const, mimeType: blob.mimeType, bytes: blob.size };
      });
    }
    if (e.$type === 'app.bsky.embed.video') {
      const blob = blobOf(e.video, 'embed/video');
      if (!blob.mimeType.startsWith('video/'))
        throw invalid(`Invalid ${POST} record: Record/embed/video mimeType is not accepted`);
      return [{ id: blob.link, kind: 'video', mimeType: blob.mimeType, bytes: blob.size }];
    }
    if (e.$type === 'app.bsky.embed.external' || e.$type === 'app.bsky.embed.record') return [];
    throw invalid(`Invalid ${POST} record: Record/embed has an unknown $type`);
  }

  function listRecords(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const repo = req.query.get('repo') ?? '';
    const account = accounts.find((a) => a.did === repo || a.handle === repo);
    if (!account) throw invalid(`Could not find repo: ${repo}`, 'RepoNotFound');
    if (req.query.get('collection') !== POST) return json(200, { records: [] });
    const limit = Number(req.query.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw invalid('limit must be between 1 and 100');
    const reverse = req.query.get('reverse') === 'true';
    const cursor = req.query.get('cursor');
    const mine = ctx.posts
      .filter((p) => p.account === account.did && !p.deleted)
      .sort((a, b) => rkeyOf(b).localeCompare(rkeyOf(a)));
    if (reverse) mine.reverse();
    const after = cursor ? mine.filter((p) => (reverse ? rkeyOf(p) > cursor : rkeyOf(p) < cursor)) : mine;
    const page = after.slice(0, limit);
    const last = page.at(-1);
    return json(200, {
      ...(last && after.length > limit ? { cursor: rkeyOf(last) } : {}),
      records: page.map((p) => ({ uri: p.id, cid: p.data.cid, value: p.data.record })),
    });
  }

  function getPosts(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const uris = req.query.getAll('uris');
    if (uris.length === 0) throw invalid('Error: Params must have the property "uris"');
    if (uris.length > 25) throw invalid('Error: uris must not have more than 25 elements');
    const posts = uris.flatMap((uri) => {
      const post = ctx.findPost(uri);
      return post && !post.deleted ? [postView(post, ctx)] : [];
    });
    return json(200, { posts });
  }

  function postView(post: Sim.Post, ctx: Sim.Context) {
    const account = byDid(post.account);
    const e = ctx.audience.engagementAt(post, ctx.now());
    const quotes = Math.ceil(e.shares / 4);
    return {
      uri: post.id,
      cid: post.data.cid,
      author: {
        did: post.account,
        handle: account?.handle ?? 'handle.invalid',
        displayName: account?.displayName ?? '',
        labels: [],
        createdAt: '2023-04-12T04:53:57.057Z',
      },
      record: post.data.record,
      replyCount: e.comments,
      repostCount: e.shares - quotes,
      likeCount: e.likes,
      quoteCount: quotes,
      bookmarkCount: e.saves,
      indexedAt: post.publishedAt.toISOString(),
      viewer: { threadMuted: false, embeddingDisabled: false },
      labels: [],
    };
  }

  const sim = await startSimulator(
    { platform: 'bluesky', dialect: blueskyDialect, routes, rateLimit: { limit: 3000, windowSeconds: 300 } },
    options,
  );
  return Object.assign(sim, { accounts, sessionsCreated });
}

function rkeyOf(post: Sim.Post): string {
  return String(post.data.rkey);
}

const graphemeSegmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
function graphemes(text: string): number {
  let n = 0;
  for (const _ of graphemeSegmenter.segment(text)) n += 1;
  return n;
}

/** A CID-shaped identifier (multibase base32, like a real CIDv1) derived from the content. */
function cid(prefix: 'bafyrei' | 'bafkrei', bytes: Buffer): string {
  const digest = createHash('sha256').update(bytes).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return prefix + out.slice(0, 52);
}

/** An unsigned JWT-shaped token carrying real `exp` claims (clients read them to refresh early). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'at+jwt', alg: 'ES256K' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
}
