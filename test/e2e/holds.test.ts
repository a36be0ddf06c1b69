import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brandSpike } from '../holds/spike.ts';
import { callLocal, type LocalProcess, simulatorUrls, startLocalProcess } from '../support/local-process.ts';

/**
 * A crisis hold through local mode as a user runs it: only HTTP and the clock. A hold on one
 * channel stops its posts within one Dispatcher run while another channel's go out on time; the
 * release leaves the held posts HELD until a person reschedules them; a negative brand spike put
 * on the local bus starts one automatic hold per episode and tells the team; the next digest
 * lists the held posts.
 */
let local: LocalProcess;
let sims: Record<string, string>;

const T = (time: string) => `2027-06-07T${time}:00.000Z`;

interface Post {
  id: string;
  status: string;
  version: number;
  scheduledAt: string;
  publishedAt?: string;
  holdIds?: string[];
}
const call = (method: string, path: string, body?: unknown) => callLocal(local, method, path, body);

const post = async (id: string) => (await call('GET', `/v1/posts/${id}`)).json as unknown as Post;

async function advanceTo(time: string): Promise<void> {
  const now = Date.parse(((await call('GET', '/_local/clock')).json as { now: string }).now);
  const seconds = Math.max(1, Math.ceil((Date.parse(time) - now) / 1000));
  const { status, json } = await call('POST', '/_local/clock/advance', { by: `PT${seconds}S` });
  expect(status).toBe(200);
  expect(json.executions?.failed).toBe(0);
}

async function onPlatform(platform: string, text: string): Promise<unknown[]> {
  const posts = (await (await fetch(`${sims[platform]}/_sim/posts`)).json()) as { text: string }[];
  return posts.filter((p) => p.text === text);
}

function outbox(): string[] {
  const dir = join(local.dataDir, 'outbox');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') || name.endsWith('.eml'))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

beforeAll(async () => {
  local = await startLocalProcess({ env: { PULSECAST_CLOCK_START: T('08:00') } });
  sims = simulatorUrls(local);
  const upload = await call('POST', '/v1/calendars', {
    posts: [
      { id: 'x-0830', channel: 'x-main', scheduledAt: T('08:30'), text: 'Cheerful X post at 08:30' },
      { id: 'x-0845', channel: 'x-main', scheduledAt: T('08:45'), text: 'Cheerful X post at 08:45' },
      { id: 'bsky-0830', channel: 'bsky-main', scheduledAt: T('08:30'), text: 'Bluesky post at 08:30' },
      { id: 'x-1000', channel: 'x-main', scheduledAt: T('10:00'), text: 'X post at 10:00' },
      { id: 'bsky-1000', channel: 'bsky-main', scheduledAt: T('10:00'), text: 'Bluesky post at 10:00' },
    ],
  });
  expect(upload.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

describe('crisis holds, end to end', () => {
  it('holds one channel while another publishes on time; the release leaves held posts HELD', async () => {
    await advanceTo(T('08:20'));
    const created = await call('POST', '/v1/holds', {
      scope: { channels: ['x-main'] },
      reason: 'a false claim about the product is spreading on X',
    });
    expect(created.status).toBe(201);
    const holdId = created.json.id as string;
    const unknown = await call('POST', '/v1/holds', { scope: { channels: ['x-nope'] }, reason: 'typo' });
    expect(unknown.status).toBe(422);

    await advanceTo(T('08:50'));
    for (const id of ['x-0830', 'x-0845']) {
      expect(await post(id), id).toMatchObject({ status: 'HELD', holdIds: [holdId] });
    }
    const outside = await post('bsky-0830');
    expect(outside.status).toBe('PUBLISHED');
    expect(Date.parse(outside.publishedAt ?? '') - Date.parse(T('08:30'))).toBeLessThan(2_000);
    expect(await onPlatform('x', 'Cheerful X post at 08:30')).toHaveLength(0);

    expect((await call('DELETE', `/v1/holds/${holdId}`)).status).toBe(200);
    await advanceTo(T('09:10'));
    expect((await post('x-0830')).status).toBe('HELD');
    expect(await onPlatform('x', 'Cheerful X post at 08:45')).toHaveLength(0);

    // A person decides: one goes out later, the other is dropped.
    const held = await post('x-0830');
    expect(
      (await call('PATCH', '/v1/posts/x-0830', { scheduledAt: T('09:20'), version: held.version })).status,
    ).toBe(200);
    expect((await call('DELETE', '/v1/posts/x-0845')).json).toMatchObject({ status: 'CANCELLED' });
    await advanceTo(T('09:25'));
    expect(await onPlatform('x', 'Cheerful X post at 08:30')).toHaveLength(1);
    expect(await onPlatform('x', 'Cheerful X post at 08:45')).toHaveLength(0);

    // The team heard of the hold and of the held posts at once.
    const messages = outbox();
    expect(messages.some((text) => text.includes(holdId) && text.includes('Publishing is on hold'))).toBe(
      true,
    );
    expect(messages.some((text) => text.includes('x-0845') && text.includes('held by'))).toBe(true);
  }, 240_000);

  it('starts one hold of everything per negative brand spike episode put on the local bus', async () => {
    const spike = {
      detailType: 'Mention Spike Detected',
      detail: {
        ...brandSpike(),
        version: 1,
        eventId: 'spike-ep-1',
        occurredAt: T('09:30'),
        samples: [{ text: 'this product is a scam', url: 'https://bsky.app/profile/a/post/1' }],
      },
    };
    const calm = {
      ...spike,
      detail: { ...spike.detail, episodeId: 'brand-bluesky-ep-2', negativeShare: 0.2 },
    };
    const competitor = { ...spike, detail: { ...spike.detail, episodeId: 'rival-ep-1', subject: 'rival' } };
    // Delivered twice (at least once), plus two spikes that must not hold anything.
    for (const entries of [[spike], [spike, calm, competitor]]) {
      expect((await call('POST', '/_local/events', { entries })).status).toBe(200);
    }
    expect((await call('POST', '/_local/events', { entries: [{ detail: {} }] })).status).toBe(422);
    await advanceTo(T('09:35'));

    const active = (await call('GET', '/v1/holds?status=active')).json.items as {
      id: string;
      scope: unknown;
      createdBy: string;
      reason: string;
    }[];
    expect(active).toEqual([
      expect.objectContaining({
        id: 'auto-brand-bluesky-ep-1',
        scope: 'all',
        createdBy: 'autoHold',
        reason: expect.stringContaining('80 % negative'),
      }),
    ]);
    expect(
      outbox().filter(
        (text) => text.includes('auto-brand-bluesky-ep-1') && text.includes('Publishing is on hold'),
      ),
    ).toHaveLength(2); // one Slack message, one email

    await advanceTo(T('10:05'));
    expect((await post('x-1000')).status).toBe('HELD');
    expect((await post('bsky-1000')).status).toBe('HELD');
  }, 240_000);

  it('lists the held posts in the next digest', async () => {
    // The default daily digest runs at 09:00 UTC and covers the day before; the section lists
    // every post HELD when it is built.
    const tomorrow = '2027-06-08T09:05:00.000Z';
    await advanceTo(tomorrow);
    const digests = outbox().filter((text) => text.includes('Posts held by a crisis hold'));
    expect(digests.length).toBeGreaterThan(0);
    expect(digests.some((text) => text.includes('x-1000') && text.includes('bsky-1000'))).toBe(true);
  }, 240_000);
});
