import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProcess, sendJson, startLocalProcess } from '../support/local-process.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read as loose JSON and checked by assertion
type Json = any;

/** End to end through local mode, over HTTP, as a user or the CLI would. */
let local: LocalProcess;

// Start-up time is a benchmark figure (npm run bench), not a timed assertion: it fails under load.
beforeAll(async () => {
  local = await startLocalProcess();
  const health = await fetch(`${local.url}/health`);
  expect(health.status).toBe(200);
}, 90_000);

afterAll(async () => {
  expect(await local?.stop()).toBe(0);
});

/** Future local times so the calendars never fall into the past, whatever day the tests run. */
const base = new Date(Date.now() + 30 * 24 * 3600 * 1000);
const day = (offset: number) =>
  new Date(base.getTime() + offset * 24 * 3600 * 1000).toISOString().slice(0, 10);

function nativeCsv(rows: number, tag = 'launch'): string {
  const header = 'id,channel,scheduled_at,timezone,text,link,media,campaign,tags';
  const channels = ['x-main', 'bsky-main', 'linkedin-page', 'mastodon-main'];
  const lines = Array.from({ length: rows }, (_, i) => {
    const channel = channels[i % channels.length];
    const text = `"Post ${i + 1} for ${tag}: ""quoted"", commas, and 🎉 emoji"`;
    return `${tag}-${i + 1},${channel},${day(i)}T09:${String(i % 60).padStart(2, '0')},Europe/Berlin,${text},https://example.com/p/${i + 1},,spring,${tag};social`;
  });
  return [header, ...lines].join('\n');
}

async function upload(body: string | Uint8Array, contentType: string, query = '') {
  const response = await fetch(`${local.url}/v1/calendars${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Json,
  };
}

async function countPosts(filter = ''): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const response = await fetch(
      `${local.url}/v1/posts?limit=500${filter}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    const page = (await response.json()) as { items: unknown[]; nextCursor?: string };
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

describe('local mode: the calendar API', () => {
  it('creates a 20-row native CSV calendar, and a re-upload of the same file changes nothing', async () => {
    const csv = nativeCsv(20);
    const first = await upload(csv, 'text/csv');
    expect(first.status).toBe(201);
    expect(first.body.summary).toEqual({ created: 20, updated: 0, unchanged: 0 });
    expect(first.body.posts[0]).toMatchObject({ row: 2, id: 'launch-1', action: 'created' });

    const again = await upload(csv, 'text/csv');
    expect(again.body.summary).toEqual({ created: 0, updated: 0, unchanged: 20 });
    expect(await countPosts('&campaign=spring')).toBe(20);
  });

  it('creates posts from a Hootsuite bulk CSV for the channel named in the query', async () => {
    const [y, m, d] = day(3).split('-');
    const csv = [
      `${d}/${m}/${y} 10:00,Hootsuite post one,https://example.com/a`,
      `${d}/${m}/${y} 11:30,"Hootsuite post two, with a comma",`,
      `${d}/${m}/${y} 12:45,Hootsuite post three,https://example.com/c`,
    ].join('\r\n');
    const result = await upload(
      csv,
      'text/csv',
      `?format=hootsuite&channel=x-main&dateFormat=${encodeURIComponent('dd/MM/yyyy HH:mm')}`,
    );
    expect(result.status).toBe(201);
    expect(result.body.summary.created).toBe(3);
    const post = (await (await fetch(`${local.url}/v1/posts/${result.body.posts[1].id}`)).json()) as Json;
    expect(post).toMatchObject({
      channel: 'x-main',
      text: 'Hootsuite post two, with a comma',
      status: 'SCHEDULED',
    });
  });

  it('rejects a file with bad rows with every row and column at fault, and writes nothing', async () => {
    const lines = nativeCsv(12, 'badbatch').split('\n');
    lines[5] = lines[5]!.replace(',x-main,', ',no-such-channel,');
    lines[7] = lines[7]!.replace(/T09:\d\d,/, 'T25:99,');
    const before = await countPosts();

    const result = await upload(lines.join('\n'), 'text/csv');

    expect(result.status).toBe(422);
    expect(result.type).toContain('application/problem+json');
    const columns = result.body.errors.map(
      (error: { row: number; column: string }) => `${error.row}:${error.column}`,
    );
    expect(columns).toEqual(['6:channel', '8:scheduled_at']);
    for (const error of result.body.errors) expect(error.message.length).toBeGreaterThan(10);
    expect(await countPosts()).toBe(before);
  });

  it('plans without writing on a dry run', async () => {
    const result = await upload(nativeCsv(5, 'dry'), 'text/csv', '?dryRun=true');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ dryRun: true, summary: { created: 5 } });
    expect(await countPosts('&campaign=spring&channel=x-main')).toBe(5); // only the first upload's
    const dry = await fetch(`${local.url}/v1/posts/dry-1`);
    expect(dry.status).toBe(404);
  });

  it('accepts a JSON calendar and reports each problem by post and field', async () => {
    const good = await upload(
      JSON.stringify({
        posts: [
          {
            id: 'json-1',
            channel: 'bsky-main',
            scheduledAt: `${day(5)}T08:00:00Z`,
            text: 'From JSON',
            tags: ['json'],
          },
        ],
      }),
      'application/json',
    );
    expect(good.status).toBe(201);

    const bad = await upload(
      JSON.stringify({ posts: [{ id: 'json-2', channel: 'bsky-main', scheduledAt: 'soon', text: 5 }] }),
      'application/json',
    );
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((error: { column: string }) => error.column).sort()).toEqual([
      'scheduledAt',
      'text',
    ]);
  });

  it('takes a CSV with a BOM, CRLF line ends, emoji and right-to-left text', async () => {
    const csv = `\uFEFFid,channel,scheduled_at,text\r\nrtl-1,mastodon-main,${day(6)}T10:00:00+02:00,مرحبا بالعالم 👋🏽 שלום\r\n`;
    const result = await upload(csv, 'text/csv');
    expect(result.status).toBe(201);
    const post = (await (await fetch(`${local.url}/v1/posts/rtl-1`)).json()) as Json;
    expect(post.text).toBe('مرحبا بالعالم 👋🏽 שלום');
  });

  it.each([
    ['binary bytes', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x00, 0x01]), 'text/csv'],
    ['a wrong content type', 'id,channel\n1,x', 'image/png'],
    ['no content type', 'id,channel', ''],
    [
      'broken CSV quoting',
      'id,channel,scheduled_at,text\n1,x-main,2030-01-01T10:00Z,"unclosed\n',
      'text/csv',
    ],
    ['malformed JSON', '{"posts": [', 'application/json'],
    ['JSON of the wrong shape', '[1,2,3]', 'application/json'],
    ['an empty body', '', 'text/csv'],
    ['a header only', 'id,channel,scheduled_at,text\n', 'text/csv'],
  ])('answers %s with a 4xx problem', async (_name, body, contentType) => {
    const response = await fetch(`${local.url}/v1/calendars`, {
      method: 'POST',
      headers: contentType ? { 'content-type': contentType } : {},
      body,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toMatch(/^urn:pulsecast:problem:/);
  });

  it('refuses a 50 MB body with 413 without hanging', async () => {
    const response = await fetch(`${local.url}/v1/calendars`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: new Uint8Array(50 * 1024 * 1024).fill(0x41),
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('edits and cancels a scheduled post, and refuses to edit a cancelled one', async () => {
    await upload(nativeCsv(1, 'edit'), 'text/csv');
    const patched = await sendJson(`${local.url}/v1/posts/edit-1`, 'PATCH', {
      text: 'Edited text',
      scheduledAt: `${day(9)}T15:00`,
      timezone: 'Asia/Kolkata',
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      text: 'Edited text',
      scheduledAt: `${day(9)}T09:30:00.000Z`,
      version: 2,
    });

    const cancelled = await fetch(`${local.url}/v1/posts/edit-1`, { method: 'DELETE' });
    expect(await cancelled.json()).toMatchObject({ status: 'CANCELLED', version: 3 });
    expect((await fetch(`${local.url}/v1/posts/edit-1`, { method: 'DELETE' })).status).toBe(200);

    const late = await sendJson(`${local.url}/v1/posts/edit-1`, 'PATCH', { text: 'Too late' });
    expect(late.status).toBe(409);
    expect((await fetch(`${local.url}/v1/posts/nope`)).status).toBe(404);
  });

  it('exports the calendar as ICS and as CSV', async () => {
    const ics = await fetch(`${local.url}/v1/calendar.ics?campaign=spring`);
    expect(ics.headers.get('content-type')).toContain('text/calendar');
    const icsText = await ics.text();
    expect(icsText.match(/^UID:launch-\d+@pulsecast/gm)).toHaveLength(20);
    expect(icsText).toMatch(/UID:edit-1@pulsecast[\s\S]*?STATUS:CANCELLED/);

    const csv = await fetch(`${local.url}/v1/calendar.csv?channel=x-main`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect((await csv.text()).split('\n')[0]).toContain('id,channel,scheduled_at');
  });

  it('creates and lists channels, rejecting an unknown platform with the field named', async () => {
    const created = await sendJson(`${local.url}/v1/channels`, 'POST', {
      id: 'threads-1',
      platform: 'threads',
      handle: '@brand',
      timezone: 'Asia/Kathmandu',
      secretRef: 'pulsecast/threads-1',
    });
    expect(created.status).toBe(201);
    const bad = await sendJson(`${local.url}/v1/channels`, 'POST', {
      id: 'myspace',
      platform: 'myspace',
      handle: 'x',
      timezone: 'UTC',
      secretRef: 'r',
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as Json).errors[0].column).toBe('platform');
    const list = (await (await fetch(`${local.url}/v1/channels`)).json()) as { items: { id: string }[] };
    expect(list.items.map((channel) => channel.id)).toContain('threads-1');
  });
});
