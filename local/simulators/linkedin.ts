// Over 500 lines on purpose: posts, uploads and statistics share the version check, error shape and account lookup.
import { createHash } from 'node:crypto';
import type { Engagement } from './audience.ts';
import { linkedInFollowerStatistics } from './audience-breakdowns.ts';
import { json, recentDuplicate, SimError, startSimulator } from './base.ts';
import { socialActionsComments } from './linkedin-conversation.ts';
import { networkSize } from './linkedin-followers.ts';
import {
  type AccountsSimulatorHandle,
  numberedAccounts,
  type OAuthSimulatorOptions,
  oauthSimTokens,
} from './setup.ts';
import type * as Sim from './sim.ts';

/**
 * A local stand-in for LinkedIn's versioned Marketing APIs as Pulsecast uses them, answering as
 * LinkedIn documents: `POST /rest/posts` (201 with the URN in `x-restli-id`, Rest.li 422 schema
 * errors, 403 for an author the token may not post as, `LinkedIn-Version` checked and 426 for a
 * sunset one), the little text format (an unescaped reserved character cuts the commentary there,
 * silently, as LinkedIn does), the Images and Videos upload flows, `GET /rest/posts?q=author`,
 * Organization Share Statistics with `shares=List(…)` / `ugcPosts=List(…)`, OAuth refresh at
 * `POST /oauth/v2/accessToken`, LinkedIn's error bodies, and 429s with no rate-limit headers.
 */

export interface LinkedInSimAccount {
  /** The Pulsecast channel this page stands for (its audience settings). */
  channel: string;
  organizationId: string;
  vanityName: string;
  accessToken: string;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
}

export type LinkedInSimulatorOptions = OAuthSimulatorOptions<LinkedInSimAccount>;

export type LinkedInSimulatorHandle = AccountsSimulatorHandle<LinkedInSimAccount>;

export const DEFAULT_LINKEDIN_ACCOUNT: LinkedInSimAccount = {
  channel: 'linkedin-page',
  organizationId: '2414183',
  vanityName: 'pulsecast',
  ...oauthSimTokens('li'),
  clientId: 'li-sim-client-id',
  clientSecret: 'li-sim-client-secret-0001',
};

const REFRESH_TTL_SECONDS = 365 * 24 * 3600;
const PART_BYTES = 4 * 1024 * 1024;
const MAX_COMMENTARY = 3000;

function liError(status: number, message: string, extra: Record<string, unknown> = {}): Sim.Response {
  return json(status, { status, ...extra, message });
}

const linkedInDialect: Sim.Dialect = {
  // LinkedIn documents no rate-limit headers: the budget shows only in the developer portal.
  rateLimitHeaders: () => ({}),
  tooManyRequests: () =>
    liError(429, 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.', {
      serviceErrorCode: 101,
      code: 'TOO_MANY_REQUESTS',
    }),
  serverError: (status) => liError(status, status === 504 ? 'Gateway Timeout' : 'Internal Server Error'),
  unauthorized: (reason) =>
    reason === 'expired'
      ? liError(401, 'The token used in the request has expired', {
          serviceErrorCode: 65602,
          code: 'EXPIRED_ACCESS_TOKEN',
        })
      : reason === 'missing'
        ? liError(401, 'Empty oauth2_access_token', { serviceErrorCode: 65604, code: 'EMPTY_ACCESS_TOKEN' })
        : liError(401, 'Invalid access token', { serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN' }),
  notFound: () => liError(404, 'No virtual resource found', { code: 'RESOURCE_NOT_FOUND' }),
};

interface Upload {
  urn: string;
  account: string;
  kind: 'image' | 'video';
  bytes: number;
  /** Video parts: expected size per part, ETag once received. */
  parts: { size: number; etag?: string }[];
  uploaded: boolean;
  finalized: boolean;
  pollsLeft: number;
}

/**
 * Reads little text as LinkedIn does: `\x` is a literal x; `#word` is a hashtag; `@[Name](urn)`
 * is a mention. Any other reserved character ends the commentary there — the silent truncation
 * that unescaped text suffers on LinkedIn.
 */
export function readLittleText(commentary: string): { text: string; truncated: boolean } {
  let out = '';
  for (let i = 0; i < commentary.length; i++) {
    const char = commentary[i] as string;
    if (char === '\\') {
      const next = commentary[i + 1];
      if (next === undefined) return { text: out, truncated: true };
      out += next;
      i += 1;
      continue;
    }
    if (
      char === '#' &&
      /[\p{L}\p{N}]/u.test(commentary[i + 1] ?? '') &&
      !/[\p{L}\p{N}_]/u.test(commentary[i - 1] ?? '')
    ) {
      out += char;
      continue;
    }
    if (char === '@') {
      const mention = /^@\[([^\]\\]*)\]\((urn:li:(?:person|organization):[^)\s]+)\)/.exec(
        commentary.slice(i),
      );
      if (mention) {
        out += `@${mention[1]}`;
        i += mention[0].length - 1;
        continue;
      }
    }
    if ('|{}@[]()<>#*_~'.includes(char)) return { text: out, truncated: true };
    out += char;
  }
  return { text: out, truncated: false };
}

export async function startLinkedInSimulator(
  options: LinkedInSimulatorOptions = {},
): Promise<LinkedInSimulatorHandle> {
  const accounts = numberedAccounts('linkedin', options.accounts, DEFAULT_LINKEDIN_ACCOUNT, (n) => ({
    organizationId: String(2414183 + n - 1),
    vanityName: `pulsecast${n}`,
    ...oauthSimTokens('li', n),
  }));
  const ttl = options.accessTokenTtlSeconds ?? 5_184_000;
  const uploads = new Map<string, Upload>();
  const orgUrn = (account: LinkedInSimAccount) => `urn:li:organization:${account.organizationId}`;
  const accountByOrg = (id: string) => accounts.find((a) => a.organizationId === id);
  let uploadSeq = 0;

  const routes: Sim.Route[] = [
    { method: 'POST', path: '/oauth/v2/accessToken', handle: (req, ctx) => refresh(req, ctx) },
    { method: 'POST', path: '/rest/posts', auth: true, handle: (req, ctx) => createPost(req, ctx) },
    { method: 'GET', path: '/rest/posts', auth: true, handle: (req, ctx) => postsByAuthor(req, ctx) },
    { method: 'POST', path: '/rest/images', auth: true, handle: (req, ctx) => imagesAction(req, ctx) },
    { method: 'POST', path: '/rest/videos', auth: true, handle: (req, ctx) => videosAction(req, ctx) },
    { method: 'GET', path: '/rest/videos/:urn', auth: true, handle: (req) => getVideo(req) },
    { method: 'PUT', path: '/dms-uploads/image/:id', auth: true, handle: (req) => putImage(req) },
    { method: 'PUT', path: '/dms-uploads/video/:id/:part', auth: true, handle: (req) => putVideoPart(req) },
    {
      method: 'GET',
      path: '/rest/organizationalEntityShareStatistics',
      auth: true,
      handle: (req, ctx) => shareStatistics(req, ctx),
    },
    versionedRead('/rest/networkSizes/:urn', networkSize),
    versionedRead('/rest/socialActions/:urn/comments', socialActionsComments),
    versionedRead('/rest/organizationalEntityFollowerStatistics', (req, ctx, account) =>
      linkedInFollowerStatistics(req, ctx, { id: account.organizationId, channel: account.channel }),
    ),
  ];

  /** A GET on a versioned resource, answered for the token's organisation. */
  function versionedRead(
    path: string,
    answer: (req: Sim.Request, ctx: Sim.Context, account: LinkedInSimAccount) => Sim.Response,
  ): Sim.Route {
    return {
      method: 'GET',
      path,
      auth: true,
      handle: (req, ctx) => {
        checkVersion(req, ctx);
        return answer(req, ctx, accountOf(req));
      },
    };
  }

  /** Every versioned call must say which version; a sunset one answers 426. */
  function checkVersion(req: Sim.Request, ctx: Sim.Context): void {
    const version = String(req.headers['linkedin-version'] ?? '');
    if (!version) {
      throw new SimError(
        liError(
          400,
          'A version must be present. Please specify a version by adding the LinkedIn-Version header.',
          {
            code: 'VERSION_MISSING',
          },
        ),
      );
    }
    const m = /^(\d{4})(\d{2})(?:\.\d{2})?$/.exec(version);
    const now = ctx.now();
    const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
    const asked = m ? Number(m[1]) * 12 + Number(m[2]) - 1 : Number.NaN;
    if (Number.isNaN(asked) || asked > current) {
      throw new SimError(
        liError(400, `Requested version ${version} is not active`, { code: 'NONEXISTENT_VERSION' }),
      );
    }
    if (current - asked >= 12) {
      throw new SimError(
        liError(426, `Requested version ${version} is not active`, { code: 'NONEXISTENT_VERSION' }),
      );
    }
    if (req.method === 'POST' && req.headers['x-restli-protocol-version'] !== '2.0.0') {
      // Rest.li 1.0 bodies differ; LinkedIn answers a schema error for them.
      throw new SimError(
        liError(400, 'Request body could not be converted to data map', { code: 'ILLEGAL_ARGUMENT' }),
      );
    }
  }

  function accountOf(req: Sim.Request): LinkedInSimAccount {
    const account = accountByOrg(req.auth?.account ?? '');
    if (!account) throw new SimError(linkedInDialect.unauthorized('invalid'));
    return account;
  }

  function refresh(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const form = (req.body ?? {}) as Record<string, string>;
    if (form.grant_type !== 'refresh_token') {
      return json(400, {
        error: 'invalid_request',
        error_description: 'A required parameter "grant_type" is missing',
      });
    }
    const client = accounts.find((a) => a.clientId === form.client_id);
    if (!client || client.clientSecret !== form.client_secret) {
      return json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const checked = ctx.tokens.check(form.refresh_token ?? '', 'refresh');
    if (!checked.ok || checked.account !== client.organizationId) {
      return json(400, {
        error: 'invalid_grant',
        error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked',
      });
    }
    // LinkedIn keeps the refresh token (its 365 days run from the first grant) and issues a new
    // access token for 60 days.
    const accessToken = ctx.tokens.issue(checked.account, { ttlSeconds: ttl });
    return json(200, {
      access_token: accessToken,
      expires_in: ttl,
      refresh_token: form.refresh_token,
      refresh_token_expires_in: REFRESH_TTL_SECONDS,
    });
  }

  function createPost(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    checkVersion(req, ctx);
    const account = accountOf(req);
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') {
      throw new SimError(
        liError(400, 'Request body could not be converted to data map', { code: 'ILLEGAL_ARGUMENT' }),
      );
    }
    const missing = ['author', 'commentary', 'visibility', 'distribution', 'lifecycleState'].filter(
      (field) => body[field] === undefined,
    );
    if (missing.length > 0) {
      throw new SimError(
        liError(
          422,
          missing
            .map((f) => `ERROR :: /${f} :: field is required but not found and has no default value\n`)
            .join(''),
        ),
      );
    }
    if (body.author !== orgUrn(account)) {
      throw new SimError(
        liError(
          403,
          `Not enough permissions to access: partnerApiPostsExternal.CREATE.${String(req.headers['linkedin-version'])}`,
          {
            serviceErrorCode: 100,
            code: 'ACCESS_DENIED',
          },
        ),
      );
    }
    if (typeof body.commentary !== 'string') {
      throw new SimError(liError(422, 'ERROR :: /commentary :: not a string\n'));
    }
    const { text } = readLittleText(body.commentary);
    if (text.length > MAX_COMMENTARY) {
      throw new SimError(
        liError(422, `ERROR :: /commentary :: length of commentary exceeds ${MAX_COMMENTARY}\n`),
      );
    }
    if (body.lifecycleState !== 'PUBLISHED') {
      throw new SimError(liError(422, 'ERROR :: /lifecycleState :: only PUBLISHED is simulated\n'));
    }
    const content = (body.content ?? undefined) as Record<string, unknown> | undefined;
    const media: Sim.Media[] = [];
    let link: string | undefined;
    let ugc = false;
    if (content) {
      const single = content.media as { id?: unknown } | undefined;
      const multi = content.multiImage as { images?: { id?: unknown }[] } | undefined;
      const article = content.article as { source?: unknown; title?: unknown } | undefined;
      if (single) {
        const upload = usableUpload(String(single.id ?? ''), account);
        media.push({
          id: upload.urn,
          kind: upload.kind,
          mimeType: upload.kind === 'video' ? 'video/mp4' : 'image/jpeg',
          bytes: upload.bytes,
        });
        ugc = upload.kind === 'video';
      } else if (multi) {
        const images = multi.images ?? [];
        if (images.length < 2 || images.length > 20) {
          throw new SimError(
            liError(422, 'ERROR :: /content/multiImage/images :: must have between 2 and 20 images\n'),
          );
        }
        for (const image of images) {
          const upload = usableUpload(String(image.id ?? ''), account);
          if (upload.kind !== 'image')
            throw new SimError(liError(422, 'ERROR :: /content/multiImage :: only images\n'));
          media.push({ id: upload.urn, kind: 'image', mimeType: 'image/jpeg', bytes: upload.bytes });
        }
        ugc = true;
      } else if (article) {
        if (typeof article.source !== 'string' || typeof article.title !== 'string') {
          throw new SimError(
            liError(
              422,
              'ERROR :: /content/article/title :: field is required but not found and has no default value\n',
            ),
          );
        }
        link = article.source;
      } else {
        throw new SimError(liError(422, 'ERROR :: /content :: unrecognized content type\n'));
      }
    }
    const duplicate = recentDuplicate(
      ctx,
      account.organizationId,
      body.commentary,
      24,
      (p) => p.data.commentary,
    );
    if (duplicate && text !== '') {
      throw new SimError(
        liError(422, `Content is a duplicate of ${duplicate.id}`, { code: 'DUPLICATE_POST' }),
      );
    }
    const urn = `urn:li:${ugc ? 'ugcPost' : 'share'}:${ctx.nextId()}`;
    ctx.addPost({
      id: urn,
      channel: account.channel,
      account: account.organizationId,
      text,
      media,
      publishedAt: ctx.now(),
      url: `https://www.linkedin.com/feed/update/${urn}/`,
      ...(link ? { link } : {}),
      data: {
        commentary: body.commentary,
        content: content ?? null,
        visibility: body.visibility,
        distribution: body.distribution,
      },
    });
    return { status: 201, headers: { 'x-restli-id': urn, 'x-linkedin-id': urn }, text: '' };
  }

  function usableUpload(urn: string, account: LinkedInSimAccount): Upload {
    const upload = uploads.get(urn);
    if (!upload || upload.account !== account.organizationId) {
      throw new SimError(
        liError(422, `ERROR :: /content/media/id :: ${urn} does not exist or is not owned by the author\n`),
      );
    }
    if (!upload.uploaded || (upload.kind === 'video' && (!upload.finalized || upload.pollsLeft > 0))) {
      throw new SimError(liError(422, `ERROR :: /content/media/id :: ${urn} is not AVAILABLE\n`));
    }
    return upload;
  }

  function postsByAuthor(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    checkVersion(req, ctx);
    if (req.query.get('q') !== 'author')
      throw new SimError(liError(400, 'Invalid query parameter q', { code: 'ILLEGAL_ARGUMENT' }));
    const author = req.query.get('author') ?? '';
    const account = accountOf(req);
    if (author !== orgUrn(account)) {
      throw new SimError(
        liError(403, 'Not enough permissions to access: partnerApiPostsExternal.FINDER-author', {
          code: 'ACCESS_DENIED',
        }),
      );
    }
    const count = Math.min(Number(req.query.get('count') ?? 10) || 10, 100);
    const start = Number(req.query.get('start') ?? 0) || 0;
    const mine = ctx.posts
      .filter((p) => p.account === account.organizationId && !p.deleted)
      .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
    const page = mine.slice(start, start + count);
    return json(200, {
      paging: {
        start,
        count,
        links:
          start + count < mine.length
            ? [
                {
                  type: 'application/json',
                  rel: 'next',
                  href: `/rest/posts?author=${encodeURIComponent(author)}&count=${count}&q=author&start=${start + count}`,
                },
              ]
            : [],
        total: mine.length,
      },
      elements: page.map((p) => ({
        isReshareDisabledByAuthor: false,
        createdAt: p.publishedAt.getTime(),
        lifecycleState: 'PUBLISHED',
        lastModifiedAt: p.publishedAt.getTime(),
        visibility: p.data.visibility ?? 'PUBLIC',
        publishedAt: p.publishedAt.getTime(),
        author,
        id: p.id,
        distribution: p.data.distribution ?? {
          feedDistribution: 'MAIN_FEED',
          thirdPartyDistributionChannels: [],
        },
        ...(p.data.content ? { content: p.data.content } : {}),
        // LinkedIn answers commentary in little text, as it was sent (minus what it cut).
        commentary: p.data.commentary,
        lifecycleStateInfo: { isEditedByAuthor: false },
      })),
    });
  }

  function imagesAction(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    checkVersion(req, ctx);
    if (req.query.get('action') !== 'initializeUpload')
      throw new SimError(linkedInDialect.notFound('POST', req.path));
    const account = accountOf(req);
    const owner = (req.body as { initializeUploadRequest?: { owner?: unknown } } | undefined)
      ?.initializeUploadRequest?.owner;
    if (owner !== orgUrn(account)) {
      throw new SimError(
        liError(403, 'Not enough permissions to access: images.ACTION-initializeUpload', {
          code: 'ACCESS_DENIED',
        }),
      );
    }
    const id = `C4E10AQ${shortId(`image-${++uploadSeq}`)}`;
    const urn = `urn:li:image:${id}`;
    uploads.set(urn, {
      urn,
      account: account.organizationId,
      kind: 'image',
      bytes: 0,
      parts: [],
      uploaded: false,
      finalized: true,
      pollsLeft: 0,
    });
    return json(200, {
      value: {
        uploadUrlExpiresAt: ctx.now().getTime() + 24 * 3_600_000,
        uploadUrl: `${ctx.baseUrl}/dms-uploads/image/${id}`,
        image: urn,
      },
    });
  }

  function putImage(req: Sim.Request): Sim.Response {
    const upload = uploads.get(`urn:li:image:${req.params.id}`);
    if (!upload || upload.account !== req.auth?.account)
      throw new SimError(linkedInDialect.notFound('PUT', req.path));
    if (req.raw.length === 0) throw new SimError(liError(400, 'Empty upload'));
    upload.bytes = req.raw.length;
    upload.uploaded = true;
    return { status: 201, text: '' };
  }

  function videosAction(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    checkVersion(req, ctx);
    const account = accountOf(req);
    const action = req.query.get('action');
    if (action === 'initializeUpload') {
      const request = (
        req.body as { initializeUploadRequest?: { owner?: unknown; fileSizeBytes?: unknown } } | undefined
      )?.initializeUploadRequest;
      if (request?.owner !== orgUrn(account)) {
        throw new SimError(
          liError(403, 'Not enough permissions to access: videos.ACTION-initializeUpload', {
            code: 'ACCESS_DENIED',
          }),
        );
      }
      const size = request.fileSizeBytes;
      if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
        throw new SimError(
          liError(
            422,
            'ERROR :: /initializeUploadRequest/fileSizeBytes :: field is required but not found and has no default value\n',
          ),
        );
      }
      const id = `C5F10AQ${shortId(`video-${++uploadSeq}`)}`;
      const urn = `urn:li:video:${id}`;
      const parts: { size: number }[] = [];
      const instructions: { uploadUrl: string; firstByte: number; lastByte: number }[] = [];
      for (let first = 0, n = 0; first < size; first += PART_BYTES, n++) {
        const last = Math.min(first + PART_BYTES, size) - 1;
        parts.push({ size: last - first + 1 });
        instructions.push({
          uploadUrl: `${ctx.baseUrl}/dms-uploads/video/${id}/${n}`,
          firstByte: first,
          lastByte: last,
        });
      }
      uploads.set(urn, {
        urn,
        account: account.organizationId,
        kind: 'video',
        bytes: size,
        parts,
        uploaded: false,
        finalized: false,
        pollsLeft: options.videoProcessingPolls ?? 1,
      });
      return json(200, {
        value: {
          uploadUrlsExpireAt: ctx.now().getTime() + 24 * 3_600_000,
          video: urn,
          uploadInstructions: instructions,
          uploadToken: '',
        },
      });
    }
    if (action === 'finalizeUpload') {
      const request = (
        req.body as { finalizeUploadRequest?: { video?: unknown; uploadedPartIds?: unknown } } | undefined
      )?.finalizeUploadRequest;
      const upload = uploads.get(String(request?.video ?? ''));
      if (!upload || upload.account !== account.organizationId) {
        throw new SimError(liError(404, 'Video not found', { code: 'RESOURCE_NOT_FOUND' }));
      }
      const ids = Array.isArray(request?.uploadedPartIds) ? request.uploadedPartIds.map(String) : [];
      const expected = upload.parts.map((p) => p.etag);
      if (ids.length !== expected.length || ids.some((id, i) => id !== expected[i])) {
        throw new SimError(
          liError(400, 'The uploaded part ids do not match the parts received', { code: 'ILLEGAL_ARGUMENT' }),
        );
      }
      upload.uploaded = true;
      upload.finalized = true;
      return { status: 200, text: '' };
    }
    throw new SimError(linkedInDialect.notFound('POST', req.path));
  }

  function putVideoPart(req: Sim.Request): Sim.Response {
    const upload = uploads.get(`urn:li:video:${req.params.id}`);
    const part = upload?.parts[Number(req.params.part)];
    if (!upload || !part || upload.account !== req.auth?.account)
      throw new SimError(linkedInDialect.notFound('PUT', req.path));
    if (req.raw.length !== part.size) {
      throw new SimError(
        liError(400, `Part size mismatch: expected ${part.size} bytes, received ${req.raw.length}`),
      );
    }
    part.etag = `/ambry-video/signedId/${shortId(`${upload.urn}-${req.params.part}`)}`;
    return { status: 200, headers: { etag: part.etag }, text: '' };
  }

  function getVideo(req: Sim.Request): Sim.Response {
    const upload = uploads.get(req.params.urn ?? '');
    if (!upload || upload.account !== req.auth?.account)
      throw new SimError(liError(404, 'Video not found', { code: 'RESOURCE_NOT_FOUND' }));
    let status = 'WAITING_UPLOAD';
    if (upload.finalized) {
      if (upload.pollsLeft > 0) {
        upload.pollsLeft -= 1;
        status = 'PROCESSING';
      } else {
        status = 'AVAILABLE';
      }
    }
    return json(200, {
      duration: 12033,
      aspectRatioWidth: 16,
      id: upload.urn,
      aspectRatioHeight: 9,
      status,
      owner: `urn:li:organization:${upload.account}`,
      mediaLibraryStatus: 'NOT_IN_LIBRARY',
    });
  }

  function shareStatistics(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    checkVersion(req, ctx);
    if (req.query.get('q') !== 'organizationalEntity') {
      throw new SimError(liError(400, 'Invalid query parameter q', { code: 'ILLEGAL_ARGUMENT' }));
    }
    const account = accountOf(req);
    const entity = req.query.get('organizationalEntity');
    if (entity !== orgUrn(account)) {
      throw new SimError(
        liError(
          403,
          'Not enough permissions to access: organizationalEntityShareStatistics.FINDER-organizationalEntity',
          { code: 'ACCESS_DENIED' },
        ),
      );
    }
    const now = ctx.now();
    const element = (post: Sim.Post, key: 'share' | 'ugcPost') => ({
      totalShareStatistics: statistics(ctx.audience.engagementAt(post, now)),
      [key]: post.id,
      organizationalEntity: entity,
    });
    const shares = listParam(req, 'shares');
    const ugcPosts = listParam(req, 'ugcPosts');
    // Only posts of the last 12 months (a rolling window), and never deleted ones.
    const visible = (urn: string) => {
      const post = ctx.findPost(urn);
      return post &&
        !post.deleted &&
        post.account === account.organizationId &&
        now.getTime() - post.publishedAt.getTime() < 365 * 24 * 3_600_000
        ? post
        : undefined;
    };
    const elements: unknown[] = [];
    if (shares || ugcPosts) {
      for (const urn of shares ?? []) {
        const post = visible(urn);
        if (post && urn.startsWith('urn:li:share:')) elements.push(element(post, 'share'));
      }
      for (const urn of ugcPosts ?? []) {
        const post = visible(urn);
        if (post && urn.startsWith('urn:li:ugcPost:')) elements.push(element(post, 'ugcPost'));
      }
    } else {
      // Lifetime totals for the organisation.
      const total = ctx.posts
        .filter((p) => p.account === account.organizationId && !p.deleted)
        .map((p) => ctx.audience.engagementAt(p, now))
        .reduce<Engagement | undefined>((sum, e) => (sum ? addEngagement(sum, e) : e), undefined);
      elements.push({ totalShareStatistics: statistics(total), organizationalEntity: entity });
    }
    return json(200, { paging: { count: 10, start: 0, links: [] }, elements });
  }

  const sim = await startSimulator(
    {
      platform: 'linkedin',
      dialect: linkedInDialect,
      routes,
      rateLimit: { limit: 100_000, windowSeconds: 86_400 },
    },
    options,
  );
  for (const account of accounts) {
    sim.ctx.tokens.issue(account.organizationId, { value: account.accessToken, ttlSeconds: ttl });
    sim.ctx.tokens.issue(account.organizationId, {
      value: account.refreshToken,
      kind: 'refresh',
      ttlSeconds: REFRESH_TTL_SECONDS,
    });
  }
  return Object.assign(sim, { accounts });
}

/** `shares=List(urn%3Ali%3Ashare%3A1,…)` → the URNs (the query string is already decoded once). */
function listParam(req: Sim.Request, name: string): string[] | undefined {
  const value = req.query.get(name);
  if (value === null) return undefined;
  const m = /^List\((.*)\)$/.exec(value);
  if (!m)
    throw new SimError(liError(400, `Invalid Rest.li list syntax for ${name}`, { code: 'ILLEGAL_ARGUMENT' }));
  return (m[1] ?? '')
    .split(',')
    .filter(Boolean)
    .map((urn) => decodeURIComponent(urn));
}

function statistics(e: Engagement | undefined) {
  const zero = !e;
  const impressions = e?.impressions ?? 0;
  const clicks = e?.clicks ?? 0;
  const likes = e?.likes ?? 0;
  const comments = e?.comments ?? 0;
  const shares = e?.shares ?? 0;
  return {
    uniqueImpressionsCount: e?.reach ?? 0,
    shareCount: shares,
    engagement:
      zero || impressions === 0
        ? 0
        : Math.round(((clicks + likes + comments + shares) / impressions) * 1e4) / 1e4,
    clickCount: clicks,
    likeCount: likes,
    impressionCount: impressions,
    commentCount: comments,
  };
}

function addEngagement(a: Engagement, b: Engagement): Engagement {
  return Object.fromEntries(
    Object.keys(a).map((k) => [k, a[k as keyof Engagement] + b[k as keyof Engagement]]),
  ) as unknown as Engagement;
}

function shortId(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, 'x').slice(0, 11);
}
