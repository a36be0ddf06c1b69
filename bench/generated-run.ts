import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type AdvanceResult, startLocalMode } from '../local/local-mode.ts';
import type { Usage } from '../local/usage.ts';
import { uploadCalendar } from '../shared/calendar/upload.ts';
import { runApart, serveApart } from './apart.ts';

/** Where a generated run starts: a Monday, local midnight in Berlin. */
export const GENERATED_START = Date.parse('2027-03-01T00:00:00.000Z');

/**
 * Local mode starts this long after {@link GENERATED_START}, so its rate schedules (the
 * Dispatcher's every minute) fire at :30 while the generated posts fall on whole minutes.
 * EventBridge Scheduler starts a run anywhere in its minute (60-second precision), so half a
 * minute is the expected time from a run to the whole minute after it: the Express time a post
 * waits for (a cost figure) is then the expected one, neither the best case (:00) nor the worst.
 */
export const SCHEDULE_PHASE_MS = 30_000;

/**
 * A calendar of `posts` posts over `days` days on the given channels: spread unevenly (a
 * pseudo-random minute from a fixed seed, so two runs get the same calendar), a few sharing a
 * minute, every third with a link.
 */
export function generatedCalendar(channels: readonly string[], posts: number, days: number): string {
  let seed = 20270301;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const lines = ['id,channel,scheduled_at,timezone,text,link,media,campaign,tags'];
  const minutes = days * 24 * 60;
  let lastMinute = 60;
  for (let i = 0; i < posts; i++) {
    // Starts an hour in (the upload's lead time), and every seventh post shares its
    // predecessor's minute.
    const minute = i % 7 === 6 ? undefined : 60 + Math.floor(random() * (minutes - 120));
    const at = new Date(GENERATED_START + (minute ?? lastMinute) * 60_000).toISOString().slice(0, 16);
    if (minute !== undefined) lastMinute = minute;
    const link = i % 3 === 0 ? `https://example.com/gen/${i}` : '';
    lines.push(
      `gen-${i},${channels[i % channels.length]},${at},UTC,Generated post ${i} for the run,${link},,gen,gen`,
    );
  }
  return lines.join('\n');
}

/** What a run left behind: every table item, every event on the bus, and the advance summary. */
export interface GeneratedRun {
  items: Record<string, unknown>[];
  events: { detailType: string; detail: unknown; time: string }[];
  result: AdvanceResult;
  wallMs: number;
  /** What the run would have been billed for on AWS. */
  usage: Usage;
}

export interface GeneratedRunOptions {
  root: string;
  posts: number;
  days: number;
  skipIdleSweeps: boolean;
}

/** {@link playGenerated} in a Node process of its own (bench/apart.ts says why). */
export const playGeneratedApart = (options: GeneratedRunOptions): Promise<GeneratedRun> =>
  runApart<GeneratedRun>(import.meta.url, options, options.root);

/**
 * Starts local mode on a fresh data folder (manual clock), uploads a generated calendar on the
 * demo channels, advances `days` days, and reads back everything it wrote.
 */
export async function playGenerated(options: GeneratedRunOptions): Promise<GeneratedRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-generated-'));
  const local = await startLocalMode({
    root: options.root,
    port: 0,
    dataDir,
    clockMode: 'manual',
    start: GENERATED_START + SCHEDULE_PHASE_MS,
    skipIdleSweeps: options.skipIdleSweeps,
  });
  try {
    // Instagram takes no text-only post; every other demo channel does.
    const channels = local.seededChannels.filter((id) => !/insta/i.test(id));
    if (options.posts > 0) {
      const body = new TextEncoder().encode(generatedCalendar(channels, options.posts, options.days));
      await uploadCalendar(
        { body, contentType: 'csv', dryRun: false },
        { store: local.store, now: () => local.clock.now() },
      );
    }
    const started = performance.now();
    const result = await local.advance(options.days * 24 * 3600_000);
    const wallMs = performance.now() - started;
    return {
      items: await scanTable(),
      events: readEvents(join(dataDir, 'events.jsonl')),
      result,
      wallMs,
      usage: local.usage(),
    };
  } finally {
    await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Every item of local mode's one table (local mode points the SDK's DynamoDB endpoint at it). */
async function scanTable(): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const documents = DynamoDBDocumentClient.from(client);
  const items: Record<string, unknown>[] = [];
  for (const TableName of TableNames) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  client.destroy();
  return items.sort((a, b) => key(a).localeCompare(key(b)));
}

const key = (item: Record<string, unknown>) => `${String(item.pk)}|${String(item.sk)}`;

function readEvents(path: string): GeneratedRun['events'] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { 'detail-type': string; detail: unknown; time: string })
    .map((event) => ({ detailType: event['detail-type'], detail: event.detail, time: event.time }));
}

await serveApart(import.meta.url, playGenerated);

/**
 * What two runs of the same calendar may differ in without a different outcome: the simulators'
 * ports (in URLs), the wall-clock times at which start-up saved the demo channels, and random
 * ids (upload ids, lease owners, the cursor-signing key made on first use).
 */
export function comparable(run: GeneratedRun): { items: unknown[]; events: unknown[] } {
  const scrub = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value)
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
        .replace(/upl-[a-z0-9]+-[0-9a-f]{8}/g, 'upl-ID')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID'),
    ) as unknown;
  const items = run.items
    .filter((item) => item.pk !== 'CONFIG#cursor-key')
    .map(withRawPayload)
    .map((item) => {
      if (!String(item.pk).startsWith('CHANNEL#')) return scrub(item);
      const { createdAt: _created, updatedAt: _updated, ...rest } = item;
      return scrub(rest);
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const events = run.events.map(scrub).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { items, events };
}

/** A snapshot's gzipped platform payload, opened (it holds the simulators' ports too). */
function withRawPayload(item: Record<string, unknown>): Record<string, unknown> {
  const { rawGzip, ...rest } = item;
  if (rawGzip === undefined) return item;
  const bytes = rawGzip instanceof Uint8Array ? rawGzip : Uint8Array.from(Object.values(rawGzip as object));
  return { ...rest, raw: JSON.parse(gunzipSync(bytes).toString('utf8')) as unknown };
}
