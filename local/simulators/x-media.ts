import { json, SimError } from './base.ts';
import type * as Sim from './sim.ts';

/**
 * X's media uploads as the X simulator serves them: the simple upload for images
 * (`POST /2/media/upload`), and the chunked one (`initialize`, `append`, `finalize`, then
 * `GET …?command=STATUS` while a video processes).
 */

export interface XMediaUpload {
  id: string;
  account: string;
  mimeType: string;
  kind: 'image' | 'video';
  totalBytes: number;
  received: number;
  finalized: boolean;
  pollsLeft: number;
}

const INVALID_REQUEST = 'https://api.twitter.com/2/problems/invalid-request';

/** X's problem-details answer to a bad parameter. */
export function invalidRequest(message: string, parameter?: string, values: string[] = []): SimError {
  return new SimError(
    json(400, {
      errors: [{ ...(parameter ? { parameters: { [parameter]: values } } : {}), message }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: INVALID_REQUEST,
    }),
  );
}

export function mediaKey(media: { id: string; kind: 'image' | 'video' }): string {
  return `${media.kind === 'video' ? 7 : 3}_${media.id}`;
}

export class XMediaUploads {
  private readonly uploads = new Map<string, XMediaUpload>();

  /** `videoProcessingPolls`: STATUS polls a video needs before it is ready. */
  constructor(private readonly videoProcessingPolls: number) {}

  readonly routes: Sim.Route[] = [
    {
      method: 'POST',
      path: '/2/media/upload',
      auth: true,
      handle: (req, ctx) => this.simpleUpload(req, ctx),
    },
    { method: 'GET', path: '/2/media/upload', auth: true, handle: (req) => this.uploadStatus(req) },
    {
      method: 'POST',
      path: '/2/media/upload/initialize',
      auth: true,
      handle: (req, ctx) => this.initializeUpload(req, ctx),
    },
    {
      method: 'POST',
      path: '/2/media/upload/:id/append',
      auth: true,
      handle: (req) => this.appendUpload(req),
    },
    {
      method: 'POST',
      path: '/2/media/upload/:id/finalize',
      auth: true,
      handle: (req) => this.finalizeUpload(req),
    },
  ];

  find(id: string): XMediaUpload | undefined {
    return this.uploads.get(id);
  }

  private simpleUpload(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const file = req.form?.get('media');
    if (!file || typeof file === 'string') throw invalidRequest('The media field is required.', 'media');
    const category = String(req.form?.get('media_category') ?? 'tweet_image');
    const mimeType = file.type || 'application/octet-stream';
    if (mimeType.startsWith('video/') || category === 'tweet_video') {
      throw invalidRequest(
        'Video must be uploaded with the chunked upload (initialize, append, finalize).',
        'media',
      );
    }
    const limit = mimeType === 'image/gif' ? 15 * 1024 * 1024 : 5 * 1024 * 1024;
    if (file.size > limit) throw invalidRequest(`Image file size must be <= ${limit} bytes.`, 'media');
    const id = ctx.nextId();
    this.uploads.set(id, {
      id,
      account: req.auth?.account ?? '',
      mimeType,
      kind: 'image',
      totalBytes: file.size,
      received: file.size,
      finalized: true,
      pollsLeft: 0,
    });
    return json(200, {
      data: {
        id,
        media_key: `3_${id}`,
        size: file.size,
        expires_after_secs: 86400,
        image: { image_type: mimeType, w: 1, h: 1 },
      },
    });
  }

  private initializeUpload(req: Sim.Request, ctx: Sim.Context): Sim.Response {
    const body = (req.body ?? {}) as {
      media_type?: unknown;
      total_bytes?: unknown;
      media_category?: unknown;
    };
    if (
      typeof body.media_type !== 'string' ||
      typeof body.total_bytes !== 'number' ||
      body.total_bytes <= 0
    ) {
      throw invalidRequest('media_type and total_bytes are required.', 'total_bytes');
    }
    const id = ctx.nextId();
    const kind = body.media_type.startsWith('video/') ? 'video' : 'image';
    this.uploads.set(id, {
      id,
      account: req.auth?.account ?? '',
      mimeType: body.media_type,
      kind,
      totalBytes: body.total_bytes,
      received: 0,
      finalized: false,
      pollsLeft: kind === 'video' ? this.videoProcessingPolls : 0,
    });
    return json(200, {
      data: { id, media_key: `${kind === 'video' ? 7 : 3}_${id}`, expires_after_secs: 86399 },
    });
  }

  private ownUpload(req: Sim.Request, id: string | undefined): XMediaUpload {
    const upload = id ? this.uploads.get(id) : undefined;
    if (!upload || upload.account !== req.auth?.account) {
      throw invalidRequest(`The media_id [${id}] was not found.`, 'id', [String(id)]);
    }
    return upload;
  }

  private appendUpload(req: Sim.Request): Sim.Response {
    const upload = this.ownUpload(req, req.params.id);
    const segment = req.form?.get('media');
    const index = Number(req.form?.get('segment_index'));
    if (!segment || typeof segment === 'string' || !Number.isInteger(index) || index < 0) {
      throw invalidRequest('media and segment_index are required.', 'segment_index');
    }
    upload.received += segment.size;
    return json(200, { data: { expires_at: Math.floor(Date.now() / 1000) + 86400 } });
  }

  private finalizeUpload(req: Sim.Request): Sim.Response {
    const upload = this.ownUpload(req, req.params.id);
    if (upload.received !== upload.totalBytes) {
      throw invalidRequest(
        `File size mismatch: expected ${upload.totalBytes} bytes, received ${upload.received}.`,
        'id',
        [upload.id],
      );
    }
    upload.finalized = true;
    return json(200, {
      data: {
        id: upload.id,
        media_key: mediaKey(upload),
        size: upload.totalBytes,
        expires_after_secs: 86400,
        ...(upload.kind === 'video' ? { processing_info: { state: 'pending', check_after_secs: 1 } } : {}),
      },
    });
  }

  private uploadStatus(req: Sim.Request): Sim.Response {
    if (req.query.get('command') !== 'STATUS') throw invalidRequest('command must be STATUS.', 'command');
    const upload = this.ownUpload(req, req.query.get('media_id') ?? undefined);
    if (upload.pollsLeft > 0) upload.pollsLeft -= 1;
    const done = upload.pollsLeft === 0;
    return json(200, {
      data: {
        id: upload.id,
        media_key: mediaKey(upload),
        processing_info: done
          ? { state: 'succeeded', progress_percent: 100 }
          : { state: 'in_progress', check_after_secs: 1, progress_percent: 50 },
      },
    });
  }
}
