import { z } from 'zod';
import type { Channel, NormalisedMetrics, Post } from '../domain/index.ts';
import {
  type AdapterOptions,
  beforePublishing,
  chunk,
  downloadMedia,
  type HttpRequest,
  type HttpResponse,
  isVideoMime,
  PlatformHttp,
  redact,
} from './http.ts';
import {
  type CredentialHealth,
  credentialSecrets,
  definedMetrics,
  earliestPublishInstant,
  REFRESH_WINDOW_MS,
  SingleFlight,
  sumDefined,
  toCredentials,
} from './meta-graph.ts';
import {
  type CredentialStore,
  type MetricsReading,
  type PlatformAdapter,
  type PlatformCapabilities,
  PlatformError,
  type PlatformErrorKind,
  type PublishContext,
  type PublishedRef,
} from './port.ts';
import { type PlatformFinding, validatePostForPlatform } from './rules.ts';

/**
 * LinkedIn organisation pages through the versioned Marketing APIs (`/rest/…`): the Posts API to
 * publish, the Images and Videos APIs to upload media, Organization Share Statistics for metrics,
 * OAuth 2.0 refresh tokens to stay connected.
 */

/**
 * The `LinkedIn-Version` header. Versions are monthly and each is supported for at least a year;
 * 202607 was the latest the versioning page listed when this was written (202505 and older are
 * sunset). A sunset version answers 426.
 */
export const LINKEDIN_VERSION = '202607';
export const LINKEDIN_API_BASE = 'https://api.linkedin.com';
/** The token endpoint lives on www.linkedin.com, not on the API host. */
export const LINKEDIN_OAUTH_BASE = 'https://www.linkedin.com';

export interface LinkedInAdapterOptions extends AdapterOptions {
  /** Overrides the `LinkedIn-Version` header (YYYYMM). */
  version?: string;
  /**
   * How long one publish may wait for LinkedIn to process a video. The publish step runs in a
   * Lambda function with a 30-second timeout; a video that takes longer is `unavailable` this
   * time, and the next attempt (in this process) waits for the same upload instead of repeating it.
   * @default 18000
   */
  processingBudgetMs?: number;
}

/** The channel secret: OAuth tokens of a page admin, and the page they post as. */
export const LinkedInCredentials = z.object({
  accessToken: z.string().min(1),
  /** Only partners approved for programmatic refresh get one (365 days). */
  refreshToken: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  /** ISO instant; access tokens last 60 days. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  refreshTokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
  organizationUrn: z.string().regex(/^urn:li:organization:\d+$/, 'must look like urn:li:organization:123'),
});
export type LinkedInCredentials = z.infer<typeof LinkedInCredentials>;

// ---------------------------------------------------------------------------------------------
// little text

/**
 * Characters the Posts API's "little" text format reserves. Unescaped, LinkedIn reads them as
 * markup and silently cuts the commentary at the first one it cannot parse, yet answers 201.
 */
export const LITTLE_RESERVED = '\\|{}@[]()<>#*_~';
/** `#word` at the start or after a non-word character: a hashtag element, left clickable. */
const HASHTAG_RE = /(^|[^\p{L}\p{N}_&\\])#(?=[\p{L}\p{N}])/u;

/**
 * Escapes text for the Posts API `commentary` (little text format): every reserved character
 * gets a backslash, except the `#` that starts a hashtag, which LinkedIn turns into a hashtag
 * link. URLs are plain text too and are escaped like the rest; LinkedIn stores the unescaped
 * characters, so the published text reads exactly as written.
 */
export function escapeLittleText(text: string): string {
  let out = '';
  let previous = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '#' && HASHTAG_RE.test(`${previous}#${text[i + 1] ?? ''}`)) {
      out += char;
    } else if (LITTLE_RESERVED.includes(char)) {
      out += `\\${char}`;
    } else {
      out += char;
    }
    previous = char;
  }
  return out;
}

/** The inverse of `escapeLittleText` for plain text: what a reader sees. */
export function unescapeLittleText(text: string): string {
  return text.replace(/\\([\\|{}@[\]()<>#*_~])/g, '$1');
}

// ---------------------------------------------------------------------------------------------
// payload schemas (validated at the edge)

const InitializeImageUpload = z.object({
  value: z.object({ uploadUrl: z.string().url(), image: z.string().startsWith('urn:li:image:') }),
});
const InitializeVideoUpload = z.object({
  value: z.object({
    video: z.string().startsWith('urn:li:video:'),
    uploadInstructions: z.array(
      z.object({
        uploadUrl: z.string().url(),
        firstByte: z.number().int().min(0),
        lastByte: z.number().int().min(0),
      }),
    ),
    uploadToken: z.string().default(''),
  }),
});
const VideoStatus = z.object({ status: z.string() });
const PostsByAuthor = z.object({
  elements: z.array(
    z.object({
      id: z.string(),
      commentary: z.string().optional(),
      createdAt: z.number().optional(),
      publishedAt: z.number().optional(),
      lifecycleState: z.string().optional(),
    }),
  ),
});
export const ShareStatisticsElement = z.object({
  share: z.string().optional(),
  ugcPost: z.string().optional(),
  organizationalEntity: z.string().optional(),
  totalShareStatistics: z.object({
    uniqueImpressionsCount: z.number().optional(),
    shareCount: z.number().optional(),
    engagement: z.number().optional(),
    clickCount: z.number().optional(),
    likeCount: z.number().optional(),
    impressionCount: z.number().optional(),
    commentCount: z.number().optional(),
  }),
});
const ShareStatistics = z.object({ elements: z.array(ShareStatisticsElement) });
const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.number().positive().optional(),
});

/**
 * Organization Share Statistics → Pulsecast's vocabulary. `engagement` is LinkedIn's rate, not a
 * count, so `engagements` is the sum of the interactions it counts (clicks, likes, comments,
 * shares). LinkedIn reports no saves or video views here: those stay absent.
 */
export function linkedInMetrics(element: z.infer<typeof ShareStatisticsElement>): NormalisedMetrics {
  const s = element.totalShareStatistics;
  return definedMetrics({
    impressions: s.impressionCount,
    reach: s.uniqueImpressionsCount,
    likes: s.likeCount,
    comments: s.commentCount,
    shares: s.shareCount,
    clicks: s.clickCount,
    engagements: sumDefined(s.likeCount, s.commentCount, s.shareCount, s.clickCount),
  });
}

const CAPABILITIES: PlatformCapabilities = {
  idempotencyKey: false,
  lookup: true,
  // The statistics finder takes a List(...) of URNs; 20 keeps the URL well under limits.
  metricsBatchSize: 20,
  metrics: ['impressions', 'reach', 'likes', 'comments', 'shares', 'clicks', 'engagements'],
  media: { images: true, video: true },
};

const VIDEO_URL_RE = /\.(?:mp4|mov|m4v|webm)(?:$|[?#])/i;
/** How often to ask whether an uploaded video is AVAILABLE. */
const VIDEO_POLL_MS = 3_000;
/** How long an uploaded video is remembered for a later attempt at the same post. */
const VIDEO_REUSE_MS = 20 * 3_600_000;

export interface LinkedInAdapter extends PlatformAdapter {
  /** Checks (and refreshes, where allowed) the channel's token ahead of time. */
  checkCredentials(channel: Channel, credentials: CredentialStore): Promise<CredentialHealth>;
}

export function createLinkedInAdapter(options: LinkedInAdapterOptions = {}): LinkedInAdapter {
  const http = new PlatformHttp('LinkedIn', options);
  const version = options.version ?? LINKEDIN_VERSION;
  const refreshes = new SingleFlight<LinkedInCredentials>();
  const processingBudgetMs = options.processingBudgetMs ?? 18_000;
  /** Videos uploaded for a post, by channel, idempotency key and URL: reused by a later attempt. */
  const uploadedVideos = new Map<string, { urn: string; at: number }>();
  const videoKey = (channel: Channel, context: PublishContext, url: string) =>
    `${channel.id}\u0000${context.idempotencyKey}\u0000${url}`;

  /** One channel's session: its credentials, refreshed at most once per call chain. */
  class Session {
    private refreshed = false;

    private constructor(
      readonly channel: Channel,
      private readonly store: CredentialStore,
      public credentials: LinkedInCredentials,
      private secrets: string[],
    ) {}

    static async open(channel: Channel, store: CredentialStore): Promise<Session> {
      const raw = await store.get(channel.secretRef);
      const parsed = LinkedInCredentials.safeParse(raw);
      if (!parsed.success) {
        const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(secret)'))];
        throw new PlatformError(
          'auth',
          `the LinkedIn credentials of channel '${channel.id}' (secret '${channel.secretRef}') are incomplete or malformed: check ${fields.join(', ')}`,
          { platformCode: 'credentials' },
        );
      }
      return new Session(channel, store, parsed.data, credentialSecrets(raw));
    }

    get apiBase(): string {
      return (this.channel.apiBaseUrl ?? LINKEDIN_API_BASE).replace(/\/+$/, '');
    }

    /** A simulator serves the token endpoint on its own host; LinkedIn on www.linkedin.com. */
    get oauthBase(): string {
      return (this.channel.apiBaseUrl ?? LINKEDIN_OAUTH_BASE).replace(/\/+$/, '');
    }

    get canRefresh(): boolean {
      const c = this.credentials;
      if (!c.refreshToken || !c.clientId || !c.clientSecret) return false;
      if (c.refreshTokenExpiresAt && Date.parse(c.refreshTokenExpiresAt) <= http.now().getTime())
        return false;
      return true;
    }

    expiresWithin(ms: number): boolean {
      const at = this.credentials.expiresAt ? Date.parse(this.credentials.expiresAt) : Number.NaN;
      return !Number.isNaN(at) && at - http.now().getTime() <= ms;
    }

    /** Refreshes ahead of expiry when LinkedIn allows it; an expired, unrefreshable token is `auth`. */
    async ensureFresh(): Promise<void> {
      if (this.expiresWithin(REFRESH_WINDOW_MS) && this.canRefresh) {
        await this.refresh();
        return;
      }
      if (this.expiresWithin(0)) {
        throw new PlatformError(
          'auth',
          `the LinkedIn token of channel '${this.channel.id}' expired at ${this.credentials.expiresAt} and cannot be refreshed; reconnect the channel`,
          { platformCode: 'token-expired' },
        );
      }
    }

    /** Refreshes once per secret at a time (concurrent posts of a channel share the new token). */
    async refresh(): Promise<void> {
      const next = await refreshes.run(this.channel.secretRef, () => this.requestRefresh());
      this.credentials = next;
      this.secrets = [...new Set([...this.secrets, ...credentialSecrets(next)])];
      this.refreshed = true;
    }

    /** `POST /oauth/v2/accessToken` with `grant_type=refresh_token`; stores the new tokens. */
    private async requestRefresh(): Promise<LinkedInCredentials> {
      const c = this.credentials;
      if (!c.refreshToken || !c.clientId || !c.clientSecret) {
        throw new PlatformError(
          'auth',
          `the LinkedIn token of channel '${this.channel.id}' cannot be refreshed; reconnect the channel`,
        );
      }
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: c.refreshToken,
        client_id: c.clientId,
        client_secret: c.clientSecret,
      });
      let response: HttpResponse;
      try {
        response = await http.request({
          method: 'POST',
          url: `${this.oauthBase}/oauth/v2/accessToken`,
          form,
          secrets: this.secrets,
        });
      } catch (error) {
        throw toUnavailable(error);
      }
      if (!response.ok) {
        // 400 invalid_grant / 401 invalid_client: the refresh token is dead; a person must reconnect.
        const kind: PlatformErrorKind =
          response.status >= 500 ? 'unavailable' : response.status === 429 ? 'rate-limited' : 'auth';
        throw http.responseError(response, { secrets: this.secrets }, () => kind);
      }
      const parsed = TokenResponse.safeParse(response.body);
      if (!parsed.success) {
        throw new PlatformError('unavailable', 'LinkedIn answered the token refresh without a token', {
          platformCode: 'refresh',
        });
      }
      const now = http.now().getTime();
      const next: LinkedInCredentials = {
        ...c,
        accessToken: parsed.data.access_token,
        expiresAt: new Date(now + parsed.data.expires_in * 1000).toISOString(),
        ...(parsed.data.refresh_token ? { refreshToken: parsed.data.refresh_token } : {}),
        ...(parsed.data.refresh_token_expires_in
          ? {
              refreshTokenExpiresAt: new Date(
                now + parsed.data.refresh_token_expires_in * 1000,
              ).toISOString(),
            }
          : {}),
      };
      await this.store.put(this.channel.secretRef, toCredentials(next));
      return next;
    }

    /**
     * A Rest.li call with LinkedIn's headers. A 401 means the request was not processed, so one
     * refresh-and-repeat is safe even for the post itself.
     */
    async call(
      req: Omit<HttpRequest, 'secrets' | 'headers'> & { headers?: Record<string, string> },
    ): Promise<HttpResponse> {
      const send = () =>
        http.request({
          ...req,
          headers: {
            authorization: `Bearer ${this.credentials.accessToken}`,
            'linkedin-version': version,
            'x-restli-protocol-version': '2.0.0',
            ...req.headers,
          },
          secrets: this.secrets,
        });
      let response = await send();
      if (response.status === 401 && !this.refreshed && this.canRefresh) {
        await toUnavailableAsync(() => this.refresh());
        response = await send();
      }
      return response;
    }

    error(response: HttpResponse, afterSending: PlatformErrorKind): PlatformError {
      return linkedInError(http, response, this.secrets, afterSending);
    }

    redact(text: string): string {
      return redact(text, this.secrets);
    }
  }

  async function uploadImage(session: Session, media: DownloadedMedia): Promise<string> {
    const init = await session.call({
      method: 'POST',
      url: `${session.apiBase}/rest/images?action=initializeUpload`,
      json: { initializeUploadRequest: { owner: session.credentials.organizationUrn } },
    });
    if (!init.ok) throw session.error(init, 'unavailable');
    const value = parseOrUnavailable(InitializeImageUpload, init.body, 'the image upload').value;
    const put = await http.request({
      method: 'PUT',
      url: value.uploadUrl,
      headers: { ...uploadAuth(session, value.uploadUrl), 'content-type': media.mimeType },
      body: media.bytes,
      secrets: secretsOf(session),
    });
    if (!put.ok) throw session.error(put, 'unavailable');
    return value.image;
  }

  async function uploadVideo(session: Session, media: DownloadedMedia): Promise<string> {
    const init = await session.call({
      method: 'POST',
      url: `${session.apiBase}/rest/videos?action=initializeUpload`,
      json: {
        initializeUploadRequest: {
          owner: session.credentials.organizationUrn,
          fileSizeBytes: media.bytes.byteLength,
          uploadCaptions: false,
          uploadThumbnail: false,
        },
      },
    });
    if (!init.ok) throw session.error(init, 'unavailable');
    const value = parseOrUnavailable(InitializeVideoUpload, init.body, 'the video upload').value;
    const partIds: string[] = [];
    // Each instruction is one part of the file, in order; LinkedIn answers each PUT with an ETag
    // that finalizeUpload needs, in the same order.
    for (const part of value.uploadInstructions) {
      const put = await http.request({
        method: 'PUT',
        url: part.uploadUrl,
        headers: { ...uploadAuth(session, part.uploadUrl), 'content-type': 'application/octet-stream' },
        body: media.bytes.slice(part.firstByte, part.lastByte + 1),
        secrets: secretsOf(session),
      });
      if (!put.ok) throw session.error(put, 'unavailable');
      const etag = put.headers.get('etag');
      if (!etag)
        throw new PlatformError('unavailable', 'LinkedIn accepted a video part without an ETag', {
          platformCode: 'upload',
        });
      partIds.push(etag);
    }
    const finalize = await session.call({
      method: 'POST',
      url: `${session.apiBase}/rest/videos?action=finalizeUpload`,
      json: {
        finalizeUploadRequest: {
          video: value.video,
          uploadToken: value.uploadToken,
          uploadedPartIds: partIds,
        },
      },
    });
    if (!finalize.ok) throw session.error(finalize, 'unavailable');
    return value.video;
  }

  /**
   * Waits (within the budget) until LinkedIn has processed a video: a post may only carry an
   * AVAILABLE one. Still processing when the budget runs out: `unavailable`, the upload is kept.
   */
  async function waitForVideo(session: Session, urn: string, url: string): Promise<void> {
    let remainingMs = processingBudgetMs;
    for (;;) {
      const status = await session.call({
        method: 'GET',
        url: `${session.apiBase}/rest/videos/${encodeURIComponent(urn)}`,
      });
      if (!status.ok) throw session.error(status, 'unavailable');
      const state = parseOrUnavailable(VideoStatus, status.body, 'the video status').status;
      if (state === 'AVAILABLE') return;
      if (state === 'PROCESSING_FAILED') {
        throw new PlatformError('rejected', `LinkedIn could not process the video '${shortUrl(url)}'`, {
          platformCode: 'PROCESSING_FAILED',
        });
      }
      if (remainingMs < VIDEO_POLL_MS) break;
      remainingMs -= VIDEO_POLL_MS;
      await http.sleep(VIDEO_POLL_MS);
    }
    throw new PlatformError(
      'unavailable',
      `LinkedIn was still processing the video '${shortUrl(url)}'; nothing was published, and the next attempt waits for the same upload`,
      { platformCode: 'video-processing' },
    );
  }

  /** The video's URN, uploading it unless an earlier attempt at this post already did. */
  async function readyVideo(
    session: Session,
    channel: Channel,
    context: PublishContext,
    url: string,
    download: () => Promise<DownloadedMedia>,
  ): Promise<string> {
    const key = videoKey(channel, context, url);
    const now = http.now().getTime();
    for (const [k, entry] of uploadedVideos) if (now - entry.at > VIDEO_REUSE_MS) uploadedVideos.delete(k);
    let urn = uploadedVideos.get(key)?.urn;
    if (!urn) {
      urn = await uploadVideo(session, await download());
      uploadedVideos.set(key, { urn, at: now });
    }
    try {
      await waitForVideo(session, urn, url);
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'rejected') uploadedVideos.delete(key);
      throw error;
    }
    return urn;
  }

  /** The Posts API body for a post. The link becomes an article card unless media take that place. */
  async function postBody(
    session: Session,
    post: Post,
    channel: Channel,
    context: PublishContext,
  ): Promise<Record<string, unknown>> {
    const media = post.media;
    let content: Record<string, unknown> | undefined;
    let text = post.text;
    const reusable = media.length === 1 && uploadedVideos.has(videoKey(channel, context, media[0] as string));
    if (reusable) {
      // An earlier attempt uploaded this video; wait for it rather than upload it again.
      const url = media[0] as string;
      content = {
        media: {
          id: await readyVideo(session, channel, context, url, async () => ({
            url,
            ...(await downloadMedia(http, url)),
          })),
        },
      };
    } else if (media.length > 0) {
      // Downloaded first: the file's type decides between the Images and the Videos API.
      const files: DownloadedMedia[] = [];
      for (const url of media) files.push({ url, ...(await downloadMedia(http, url)) });
      const videos = files.filter((file) => isVideoMime(file.mimeType));
      if (videos.length > 0 && files.length > 1) {
        throw new PlatformError('rejected', 'LinkedIn posts take one video or up to 20 images, not both', {
          platformCode: 'media-mix',
        });
      }
      if (videos.length === 1) {
        const video = videos[0] as DownloadedMedia;
        content = {
          media: { id: await readyVideo(session, channel, context, video.url, async () => video) },
        };
      } else {
        const images: string[] = [];
        for (const file of files) images.push(await uploadImage(session, file));
        content =
          images.length === 1
            ? { media: { id: images[0] } }
            : { multiImage: { images: images.map((id) => ({ id })) } };
      }
    }
    if (media.length > 0) {
      // With media there is no room for an article card: the link goes into the text.
      if (post.link && !text.includes(post.link))
        text = text.trim() === '' ? post.link : `${text}\n\n${post.link}`;
    } else if (post.link) {
      // LinkedIn does not scrape link previews for API posts; an article needs its own title.
      content = { article: { source: post.link, title: articleTitle(post.link) } };
    }
    return {
      author: session.credentials.organizationUrn,
      commentary: escapeLittleText(text),
      visibility: 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
      ...(content ? { content } : {}),
    };
  }

  return {
    platform: 'linkedin',
    capabilities: CAPABILITIES,

    validate(post) {
      const findings: PlatformFinding[] = validatePostForPlatform('linkedin', {
        text: post.text,
        media: post.media,
        ...(post.link ? { link: post.link } : {}),
      });
      const videos = post.media.filter((url) => VIDEO_URL_RE.test(url));
      if (videos.length > 0 && post.media.length > 1) {
        findings.push({
          column: 'media',
          severity: 'error',
          message: 'LinkedIn posts take one video or up to 20 images, not both and not several videos',
        });
      }
      return findings;
    },

    async publish(post, channel, credentials, context: PublishContext): Promise<PublishedRef> {
      const { session, body } = await beforePublishing(async () => {
        const s = await Session.open(channel, credentials);
        await s.ensureFresh();
        return { session: s, body: await postBody(s, post, channel, context) };
      });
      const response = await session.call({
        method: 'POST',
        url: `${session.apiBase}/rest/posts`,
        json: body,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      if (!response.ok) throw session.error(response, 'ambiguous');
      const urn = response.headers.get('x-restli-id') ?? response.headers.get('x-linkedin-id');
      if (!urn) {
        // 201 without the id: it was created, but we cannot say which one it is. Lookup finds it.
        throw new PlatformError(
          'ambiguous',
          `LinkedIn answered ${response.status} without the new post's id`,
          {
            status: response.status,
            platformCode: 'missing-id',
          },
        );
      }
      for (const url of post.media) uploadedVideos.delete(videoKey(channel, context, url));
      return { platformPostId: urn, platformUrl: linkedInPostUrl(urn) };
    },

    async lookup(post, channel, credentials) {
      const session = await Session.open(channel, credentials);
      await session.ensureFresh();
      const query = new URLSearchParams({
        author: session.credentials.organizationUrn,
        q: 'author',
        count: '50',
        sortBy: 'LAST_MODIFIED',
      });
      const response = await session.call({ method: 'GET', url: `${session.apiBase}/rest/posts?${query}` });
      if (!response.ok) throw session.error(response, 'unavailable');
      const found = parseOrUnavailable(PostsByAuthor, response.body, 'the post list');
      const earliest = earliestPublishInstant(post);
      const expected = [post.text, post.link ? `${post.text}\n\n${post.link}` : undefined].filter(
        (t): t is string => t !== undefined,
      );
      const match = found.elements.find((element) => {
        const created = element.publishedAt ?? element.createdAt ?? 0;
        if (created < earliest) return false;
        const text = unescapeLittleText(element.commentary ?? '').trim();
        return expected.some((candidate) => candidate.trim() === text);
      });
      return match ? { platformPostId: match.id, platformUrl: linkedInPostUrl(match.id) } : undefined;
    },

    async fetchMetrics(posts, channel, credentials): Promise<MetricsReading[]> {
      if (posts.length === 0) return [];
      const session = await Session.open(channel, credentials);
      await session.ensureFresh();
      const org = encodeURIComponent(session.credentials.organizationUrn);
      const byUrn = new Map<string, z.infer<typeof ShareStatisticsElement>>();
      // Shares and UGC posts are asked for with different finder parameters.
      const groups: [string, readonly (typeof posts)[number][]][] = [
        ['shares', posts.filter((p) => p.platformPostId.startsWith('urn:li:share:'))],
        ['ugcPosts', posts.filter((p) => p.platformPostId.startsWith('urn:li:ugcPost:'))],
      ];
      for (const [parameter, group] of groups) {
        for (const batch of chunk(group, CAPABILITIES.metricsBatchSize)) {
          // Rest.li 2.0 lists: List(a,b) with each URN encoded and the syntax itself left as is.
          const list = `List(${batch.map((p) => encodeURIComponent(p.platformPostId)).join(',')})`;
          const url = `${session.apiBase}/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=${org}&${parameter}=${list}`;
          const response = await session.call({ method: 'GET', url });
          if (!response.ok) throw session.error(response, 'unavailable');
          const stats = parseOrUnavailable(ShareStatistics, response.body, 'the share statistics');
          for (const element of stats.elements) {
            const urn = element.share ?? element.ugcPost;
            if (urn) byUrn.set(urn, element);
          }
        }
      }
      return posts.map((p) => {
        const element = byUrn.get(p.platformPostId);
        // No statistics (too new, older than LinkedIn's 12-month window, or a member post):
        // nothing is known, so nothing is claimed.
        return {
          postId: p.id,
          platformPostId: p.platformPostId,
          status: 'ok' as const,
          metrics: element ? linkedInMetrics(element) : {},
          raw: element ?? null,
        };
      });
    },

    async checkCredentials(channel, credentials): Promise<CredentialHealth> {
      let session: Session;
      try {
        session = await Session.open(channel, credentials);
      } catch (error) {
        return { status: 'invalid', message: error instanceof Error ? error.message : String(error) };
      }
      const expiresAt = session.credentials.expiresAt;
      const at = expiresAt ? { expiresAt } : {};
      if (session.expiresWithin(REFRESH_WINDOW_MS)) {
        if (session.canRefresh) {
          try {
            await session.refresh();
            const fresh = session.credentials.expiresAt;
            return {
              status: 'refreshed',
              ...(fresh ? { expiresAt: fresh } : {}),
              message: `the LinkedIn token of channel '${channel.id}' was refreshed`,
            };
          } catch (error) {
            if (error instanceof PlatformError && error.kind !== 'auth') {
              return {
                status: 'expiring',
                ...at,
                message: session.redact(`could not refresh yet: ${error.message}`),
              };
            }
            return {
              status: 'invalid',
              ...at,
              message: session.redact(error instanceof Error ? error.message : String(error)),
            };
          }
        }
        const expired = session.expiresWithin(0);
        return {
          status: expired ? 'expired' : 'expiring',
          ...at,
          message: expired
            ? `the LinkedIn token of channel '${channel.id}' expired at ${expiresAt}; reconnect the channel`
            : `the LinkedIn token of channel '${channel.id}' expires at ${expiresAt} and cannot be refreshed automatically; reconnect the channel before then`,
        };
      }
      return { status: 'ok', ...at, message: `the LinkedIn token of channel '${channel.id}' is valid` };
    },
  };

  function secretsOf(session: Session): string[] {
    return [session.credentials.accessToken, ...credentialSecrets(session.credentials)];
  }

  /** The bearer token goes only to LinkedIn's own hosts (or the configured API host). */
  function uploadAuth(session: Session, uploadUrl: string): Record<string, string> {
    const host = new URL(uploadUrl).host;
    const apiHost = new URL(session.apiBase).host;
    const trusted = host === apiHost || host === 'linkedin.com' || host.endsWith('.linkedin.com');
    return trusted ? { authorization: `Bearer ${session.credentials.accessToken}` } : {};
  }
}

/**
 * LinkedIn's errors by status: 401 expired/revoked token → `auth`; 403 missing permission or
 * page role → `auth` (a person must fix the connection); 429 → `rate-limited` until midnight UTC
 * (LinkedIn's daily limits reset then and it sends no Retry-After); 426 sunset version and other
 * 4xx → `rejected`; 5xx → `ambiguous` for the post itself, `unavailable` for everything else.
 */
export function linkedInError(
  http: PlatformHttp,
  response: HttpResponse,
  secrets: readonly string[],
  afterSending: PlatformErrorKind,
): PlatformError {
  const status = response.status;
  const kind: PlatformErrorKind =
    status === 401 || status === 403
      ? 'auth'
      : status === 429
        ? 'rate-limited'
        : status >= 500
          ? afterSending
          : 'rejected';
  const base = http.responseError(response, { secrets }, () => kind);
  const code = linkedInCode(response.body);
  if (kind !== 'rate-limited') {
    return code
      ? new PlatformError(kind, base.message, { ...base.details, platformCode: code }, { cause: base })
      : base;
  }
  const retryAfterSeconds = base.details.retryAfterSeconds ?? secondsUntilUtcMidnight(http.now());
  const message = /retry in/.test(base.message)
    ? base.message
    : `${base.message.replace(/ \(rate limited\)$/, '')} (rate limited; LinkedIn's daily limits reset at midnight UTC, retry in ${retryAfterSeconds}s)`;
  return new PlatformError(
    'rate-limited',
    message,
    { ...base.details, retryAfterSeconds, ...(code ? { platformCode: code } : {}) },
    { cause: base },
  );
}

function linkedInCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.code === 'string') return record.code;
  if (typeof record.serviceErrorCode === 'number') return String(record.serviceErrorCode);
  return undefined;
}

export function secondsUntilUtcMidnight(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

export function linkedInPostUrl(urn: string): string {
  return `https://www.linkedin.com/feed/update/${urn}/`;
}

/** An article card's title when only a URL is known: its host and path, readable. */
function articleTitle(link: string): string {
  try {
    const url = new URL(link);
    const path = url.pathname === '/' ? '' : decodeURIComponent(url.pathname);
    return `${url.host}${path}`.slice(0, 200);
  } catch {
    return link.slice(0, 200);
  }
}

function parseOrUnavailable<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new PlatformError('unavailable', `LinkedIn answered ${what} in an unexpected shape`, {
      platformCode: 'shape',
    });
  }
  return parsed.data;
}

function toUnavailable(error: unknown): unknown {
  if (error instanceof PlatformError && error.kind === 'ambiguous') {
    return new PlatformError('unavailable', error.message, error.details, { cause: error });
  }
  return error;
}

async function toUnavailableAsync(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw toUnavailable(error);
  }
}

function shortUrl(url: string): string {
  return url.length > 80 ? `${url.slice(0, 77)}...` : url;
}

interface DownloadedMedia {
  url: string;
  bytes: Uint8Array;
  mimeType: string;
}
