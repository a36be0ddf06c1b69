import { errorMessage, type HttpResponse, type PlatformHttp } from './http.ts';
import { PlatformError } from './port.ts';

/**
 * Downloads a post's media file so it can be uploaded to the platform. Nothing has been sent to
 * the platform yet, so every failure here is `unavailable` or `rejected`, never ambiguous.
 */
export async function downloadMedia(
  http: PlatformHttp,
  url: string,
): Promise<{ bytes: Uint8Array; mimeType: string; fileName: string }> {
  let response: HttpResponse & { body: Uint8Array };
  try {
    response = await http.getBytes(url);
  } catch (error) {
    const reason = errorMessage(error);
    throw new PlatformError('unavailable', `could not download the media '${shortUrl(url)}': ${reason}`, {
      platformCode: 'media-download',
    });
  }
  if (!response.ok) {
    throw new PlatformError(
      response.status >= 500 || response.status === 429 ? 'unavailable' : 'rejected',
      `could not download the media '${shortUrl(url)}': it answered ${response.status}`,
      { status: response.status, platformCode: 'media-download' },
    );
  }
  const bytes = response.body;
  const mimeType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() || mimeFromUrl(url);
  const fileName = new URL(url).pathname.split('/').pop() || 'media';
  return { bytes, mimeType: mimeType === 'application/octet-stream' ? mimeFromUrl(url) : mimeType, fileName };
}

const MIME_BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
};

export function mimeFromUrl(url: string): string {
  const extension = new URL(url).pathname.split('.').pop()?.toLowerCase() ?? '';
  return MIME_BY_EXTENSION[extension] ?? 'application/octet-stream';
}

export function isVideoMime(mimeType: string): boolean {
  return mimeType.startsWith('video/');
}

/** A media address for a message: no query string (signed URLs carry credentials there). */
function shortUrl(url: string): string {
  let shown = url;
  try {
    const parsed = new URL(url);
    shown = `${parsed.origin}${parsed.pathname}`;
  } catch {
    shown = url.split('?')[0] ?? url;
  }
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

/** A media address that names a video file (the platform decides by URL where it fetches itself). */
export function looksLikeVideo(url: string): boolean {
  return /\.(?:mp4|mov|m4v|webm)(?:$|[?#])/i.test(url);
}
