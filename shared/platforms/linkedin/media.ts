import * as z from 'zod';
import type { Channel } from '../../domain/index.ts';
import type { PlatformHttp } from '../http.ts';
import { downloadMedia, isVideoMime } from '../media.ts';
import { PlatformError, type PublishContext } from '../port.ts';
import { type LinkedInClient, parseOrUnavailable } from './api.ts';

/**
 * A LinkedIn post's media: images through the Images API, a video through the Videos API (in
 * parts, then processed by LinkedIn before a post may carry it).
 */

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
/** How often to ask whether an uploaded video is AVAILABLE. */
const VIDEO_POLL_MS = 3_000;
/** How long an uploaded video is remembered for a later attempt at the same post. */
const VIDEO_REUSE_MS = 20 * 3_600_000;

interface DownloadedMedia {
  url: string;
  bytes: Uint8Array;
  mimeType: string;
}

/** Videos uploaded for a post, by channel, idempotency key and URL: reused by a later attempt. */
function videoKey(channel: Channel, context: Pick<PublishContext, 'idempotencyKey'>, url: string): string {
  return `${channel.id}\u0000${context.idempotencyKey}\u0000${url}`;
}

export class LinkedInMedia {
  private readonly uploadedVideos = new Map<string, { urn: string; at: number }>();

  constructor(
    private readonly http: PlatformHttp,
    /** How long one publish may wait for LinkedIn to process a video. */
    private readonly processingBudgetMs: number,
  ) {}

  /**
   * The Posts API `content` for a post's media (undefined without media). A video an earlier
   * attempt uploaded is waited for rather than uploaded again.
   */
  async content(
    client: LinkedInClient,
    media: readonly string[],
    context: PublishContext,
  ): Promise<Record<string, unknown> | undefined> {
    let content: Record<string, unknown> | undefined;
    const reusable =
      media.length === 1 &&
      this.uploadedVideos.has(videoKey(client.session.channel, context, media[0] as string));
    if (reusable) {
      // An earlier attempt uploaded this video; wait for it rather than upload it again.
      const url = media[0] as string;
      content = {
        media: {
          id: await this.readyVideo(client, context, url, async () => ({
            url,
            ...(await downloadMedia(this.http, url)),
          })),
        },
      };
    } else if (media.length > 0) {
      // Downloaded first: the file's type decides between the Images and the Videos API.
      const files: DownloadedMedia[] = [];
      for (const url of media) files.push({ url, ...(await downloadMedia(this.http, url)) });
      const videos = files.filter((file) => isVideoMime(file.mimeType));
      if (videos.length > 0 && files.length > 1) {
        throw new PlatformError('rejected', 'LinkedIn posts take one video or up to 20 images, not both', {
          platformCode: 'media-mix',
        });
      }
      if (videos.length === 1) {
        const video = videos[0] as DownloadedMedia;
        content = {
          media: { id: await this.readyVideo(client, context, video.url, async () => video) },
        };
      } else {
        const images: string[] = [];
        for (const file of files) images.push(await this.uploadImage(client, file));
        content =
          images.length === 1
            ? { media: { id: images[0] } }
            : { multiImage: { images: images.map((id) => ({ id })) } };
      }
    }
    return content;
  }

  /** Forgets the uploads of a post that has been published. */
  published(channel: Channel, media: readonly string[], context: PublishContext): void {
    for (const url of media) this.uploadedVideos.delete(videoKey(channel, context, url));
  }

  private async uploadImage(client: LinkedInClient, media: DownloadedMedia): Promise<string> {
    const init = await uploadStep(client, 'images', 'initializeUpload', {
      initializeUploadRequest: { owner: client.organizationUrn },
    });
    const value = parseOrUnavailable(InitializeImageUpload, init.body, 'the image upload').value;
    const put = await client.upload(value.uploadUrl, media.mimeType, media.bytes);
    if (!put.ok) throw client.error(put, 'unavailable');
    return value.image;
  }

  private async uploadVideo(client: LinkedInClient, media: DownloadedMedia): Promise<string> {
    const init = await uploadStep(client, 'videos', 'initializeUpload', {
      initializeUploadRequest: {
        owner: client.organizationUrn,
        fileSizeBytes: media.bytes.byteLength,
        uploadCaptions: false,
        uploadThumbnail: false,
      },
    });
    const value = parseOrUnavailable(InitializeVideoUpload, init.body, 'the video upload').value;
    const partIds: string[] = [];
    // Each instruction is one part of the file, in order; LinkedIn answers each PUT with an ETag
    // that finalizeUpload needs, in the same order.
    for (const part of value.uploadInstructions) {
      const put = await client.upload(
        part.uploadUrl,
        'application/octet-stream',
        media.bytes.slice(part.firstByte, part.lastByte + 1),
      );
      if (!put.ok) throw client.error(put, 'unavailable');
      const etag = put.headers.get('etag');
      if (!etag)
        throw new PlatformError('unavailable', 'LinkedIn accepted a video part without an ETag', {
          platformCode: 'upload',
        });
      partIds.push(etag);
    }
    await uploadStep(client, 'videos', 'finalizeUpload', {
      finalizeUploadRequest: { video: value.video, uploadToken: value.uploadToken, uploadedPartIds: partIds },
    });
    return value.video;
  }

  /**
   * Waits (within the budget) until LinkedIn has processed a video: a post may only carry an
   * AVAILABLE one. Still processing when the budget runs out: `unavailable`, the upload is kept.
   */
  private async waitForVideo(client: LinkedInClient, urn: string, url: string): Promise<void> {
    let remainingMs = this.processingBudgetMs;
    for (;;) {
      const status = await client.call({
        method: 'GET',
        url: `${client.apiBase}/rest/videos/${encodeURIComponent(urn)}`,
      });
      if (!status.ok) throw client.error(status, 'unavailable');
      const state = parseOrUnavailable(VideoStatus, status.body, 'the video status').status;
      if (state === 'AVAILABLE') return;
      if (state === 'PROCESSING_FAILED') {
        throw new PlatformError('rejected', `LinkedIn could not process the video '${shortUrl(url)}'`, {
          platformCode: 'PROCESSING_FAILED',
        });
      }
      if (remainingMs < VIDEO_POLL_MS) break;
      remainingMs -= VIDEO_POLL_MS;
      await this.http.sleep(VIDEO_POLL_MS);
    }
    throw new PlatformError(
      'unavailable',
      `LinkedIn was still processing the video '${shortUrl(url)}'; nothing was published, and the next attempt waits for the same upload`,
      { platformCode: 'video-processing' },
    );
  }

  /** The video's URN, uploading it unless an earlier attempt at this post already did. */
  private async readyVideo(
    client: LinkedInClient,
    context: PublishContext,
    url: string,
    download: () => Promise<DownloadedMedia>,
  ): Promise<string> {
    const key = videoKey(client.session.channel, context, url);
    const now = this.http.now().getTime();
    for (const [k, entry] of this.uploadedVideos)
      if (now - entry.at > VIDEO_REUSE_MS) this.uploadedVideos.delete(k);
    let urn = this.uploadedVideos.get(key)?.urn;
    if (!urn) {
      urn = await this.uploadVideo(client, await download());
      this.uploadedVideos.set(key, { urn, at: now });
    }
    try {
      await this.waitForVideo(client, urn, url);
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'rejected') this.uploadedVideos.delete(key);
      throw error;
    }
    return urn;
  }
}

function shortUrl(url: string): string {
  return url.length > 80 ? `${url.slice(0, 77)}...` : url;
}

/** One step of the Images or Videos API's upload (`POST /rest/images?action=…`); a refusal is `unavailable`. */
async function uploadStep(client: LinkedInClient, api: 'images' | 'videos', action: string, json: unknown) {
  const answer = await client.call({
    method: 'POST',
    url: `${client.apiBase}/rest/${api}?action=${action}`,
    json,
  });
  if (!answer.ok) throw client.error(answer, 'unavailable');
  return answer;
}
