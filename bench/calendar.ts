/**
 * The calendar upload's speed: parse + validate + plan, the first write, and a re-upload of the
 * same file, on dynalite in-process.
 */

import { config } from '../functions/commons/config.ts';
import { startLocalDynamo } from '../local/dynamo.ts';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import { channelPolicyFrom, saveChannel } from '../shared/channels.ts';
import { createDocumentClient, DynamoStore } from '../shared/store/dynamo.ts';
import { runApart, serveApart } from './apart.ts';

export interface UploadBench {
  rows: number;
  csvBytes: number;
  dryMs: number;
  writeMs: number;
  reuploadMs: number;
  peakRssMb: number;
}

function calendar(rows: number, start: Date): string {
  const channels = ['x-main', 'bsky-main', 'mastodon-main', 'linkedin-page'];
  const lines = ['id,channel,scheduled_at,timezone,text,link,media,campaign,tags'];
  for (let i = 0; i < rows; i++) {
    const at = new Date(start.getTime() + i * 5 * 60_000).toISOString().slice(0, 16);
    lines.push(
      `bench-${i},${channels[i % 4]},${at},Europe/Berlin,"Benchmark post ${i} with some text, a link and 🎉",https://example.com/${i},,bench,tips;bench`,
    );
  }
  return lines.join('\n');
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export async function benchUpload(input: { rows: number }): Promise<UploadBench> {
  const dynamo = await startLocalDynamo();
  try {
    const store = new DynamoStore({
      tableName: dynamo.tableName,
      client: createDocumentClient(dynamo.client),
    });
    const now = () => new Date();
    for (const [id, platform] of [
      ['x-main', 'x'],
      ['bsky-main', 'bluesky'],
      ['mastodon-main', 'mastodon'],
      ['linkedin-page', 'linkedin'],
    ] as const) {
      await saveChannel(
        { id, platform, handle: id, timezone: 'Europe/Berlin', secretRef: `pulsecast/${id}` },
        { store, now, policy: channelPolicyFrom(config()) },
      );
    }
    const body = new TextEncoder().encode(calendar(input.rows, new Date(Date.now() + 7 * 24 * 3600 * 1000)));
    const upload = (dryRun: boolean) => () =>
      uploadCalendar({ body, contentType: 'csv', dryRun }, { store, now });
    return {
      rows: input.rows,
      csvBytes: body.length,
      dryMs: await timed(upload(true)),
      writeMs: await timed(upload(false)),
      reuploadMs: await timed(upload(false)),
      peakRssMb: process.memoryUsage().rss / 1e6,
    };
  } finally {
    await dynamo.stop();
  }
}

export const benchUploadApart = (input: { rows: number }): Promise<UploadBench> =>
  runApart<UploadBench>(import.meta.url, input);

await serveApart(import.meta.url, benchUpload);
