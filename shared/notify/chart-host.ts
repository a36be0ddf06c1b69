import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ChartHost } from './port.ts';

/** Keys are `<digest id>/<chart name>.png`; anything else is refused (no path tricks). */
export const CHART_KEY = /^[A-Za-z0-9._-]{1,200}\/[A-Za-z0-9._-]{1,124}\.png$/;

function checkKey(key: string): string {
  if (!CHART_KEY.test(key) || key.includes('..')) throw new Error(`not a chart key: ${key}`);
  return key;
}

/**
 * Charts in the stack's private chart bucket, shown to Slack through presigned GET URLs. Slack
 * fetches an image when the message is posted and serves its own copy after that, so the URL
 * only has to live as long as a retried delivery might take: it is signed for a day (a
 * presigned URL also ends when the Lambda role's session credentials do, which is fine for the
 * same reason). The bucket's lifecycle rule deletes the objects after a few days.
 */
export class S3ChartHost implements ChartHost {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = new S3Client({}),
    private readonly expiresInSeconds = 24 * 3600,
  ) {}

  async publish(key: string, png: Buffer): Promise<string> {
    const Key = `charts/${checkKey(key)}`;
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key, Body: png, ContentType: 'image/png' }),
    );
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key }), {
      expiresIn: this.expiresInSeconds,
    });
  }
}

/** Local mode: the PNG in the outbox, served by local mode at `GET /_local/charts?key=…`. */
export class FileChartHost implements ChartHost {
  constructor(
    readonly dir: string,
    private readonly baseUrl: () => string,
  ) {}

  async publish(key: string, png: Buffer): Promise<string> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, png);
    return `${this.baseUrl()}/_local/charts?key=${encodeURIComponent(key)}`;
  }

  /** Where a key's file is; throws for anything that is not a chart key. */
  pathOf(key: string): string {
    return join(this.dir, checkKey(key));
  }
}
