/**
 * `npm run bench`: speed and memory of the paths whose size a user controls. Figures go in the
 * issue notes; nothing here asserts (the machines are shared and noisy).
 */

import { config } from '../functions/commons/config.ts';
import { startLocalDynamo } from '../local/dynamo.ts';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import { channelPolicyFrom, saveChannel } from '../shared/channels.ts';
import { createDocumentClient, DynamoStore } from '../shared/store/dynamo.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);

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

async function measure(label: string, work: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms   heap +${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB`,
  );
  return ms;
}

const dynamo = await startLocalDynamo();
const store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
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

const body = new TextEncoder().encode(calendar(ROWS, new Date(Date.now() + 7 * 24 * 3600 * 1000)));
console.log(`calendar upload, ${ROWS} rows, ${(body.length / 1e6).toFixed(2)} MB CSV, dynalite in-process`);
const dry = await measure('dry run (parse + validate + plan)', () =>
  uploadCalendar({ body, contentType: 'csv', dryRun: true }, { store, now }),
);
const write = await measure('first upload (creates every post)', () =>
  uploadCalendar({ body, contentType: 'csv', dryRun: false }, { store, now }),
);
const again = await measure('re-upload (all unchanged)', () =>
  uploadCalendar({ body, contentType: 'csv', dryRun: false }, { store, now }),
);
console.log(
  `per row: dry ${((dry / ROWS) * 1000).toFixed(0)} µs, write ${((write / ROWS) * 1000).toFixed(0)} µs, re-upload ${((again / ROWS) * 1000).toFixed(0)} µs`,
);
console.log(`peak RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
await dynamo.stop();
