import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorUrls } from '../support/local-http.ts';
import { type LocalProcess, startLocalProcess } from '../support/local-process.ts';

/**
 * A person settles what the pipeline could not, through local mode as a user runs it: a post
 * that FAILED (the Threads simulator answering 503 to every call) is fixed and rescheduled and
 * then published once; a post whose outcome is UNKNOWN (the X simulator accepted it and never
 * answered, and its timeline cannot be read) is marked published by its URL and then measured like any other.
 */
let local: LocalProcess;
let sims: Record<string, string>;

const T = (time: string) => `2027-05-03T${time}:00.000Z`;

interface Post {
  id: string;
  status: string;
  version: number;
  scheduledAt: string;
  failureReason?: string;
  platformPostId?: string;
  platformUrl?: string;
  publishRound?: number;
  metrics?: unknown[];
}
interface SimPost {
  id: string;
  text: string;
  url: string;
}

/** An answer's JSON, read loosely: the assertions say what must be in it. */
type Json = Record<string, unknown> & { executions?: { failed: number } };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${local.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

async function post(id: string): Promise<Post> {
  return (await call('GET', `/v1/posts/${id}`)).json as unknown as Post;
}

async function advance(by: string): Promise<void> {
  const { status, json } = await call('POST', '/_local/clock/advance', { by });
  expect(status).toBe(200);
  expect(json.executions?.failed).toBe(0);
}

async function faults(platform: string, switches: unknown): Promise<void> {
  const response = await fetch(`${sims[platform]}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(switches),
  });
  expect(response.status).toBe(200);
}

async function onPlatform(platform: string, text: string): Promise<SimPost[]> {
  const posts = (await (await fetch(`${sims[platform]}/_sim/posts`)).json()) as SimPost[];
  return posts.filter((p) => p.text === text);
}

beforeAll(async () => {
  local = await startLocalProcess({ env: { PULSECAST_CLOCK_START: T('08:00') } });
  sims = simulatorUrls(local.output());
  const upload = await call('POST', '/v1/calendars', {
    posts: [
      {
        id: 'goes-wrong',
        channel: 'threads-main',
        scheduledAt: T('09:00'),
        text: 'A post that fails at first',
      },
      { id: 'lost-answer', channel: 'x-main', scheduledAt: T('11:00'), text: 'A post whose answer is lost' },
    ],
  });
  expect(upload.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

describe('settling posts, end to end', () => {
  it('reschedules a FAILED post, which is then published once', async () => {
    await faults('threads', { serverError: { count: 1000 } });
    await advance('PT1H15M');
    const failed = await post('goes-wrong');
    expect(failed).toMatchObject({ status: 'FAILED' });
    expect(failed.failureReason).toMatch(/gave up after 5 attempts/);
    // Refused while FAILED: an edit that does not say when to try again.
    expect((await call('PATCH', '/v1/posts/goes-wrong', { text: 'fixed' })).status).toBe(409);

    await faults('threads', {});
    const rescheduled = await call('PATCH', '/v1/posts/goes-wrong', {
      scheduledAt: T('10:00'),
      version: failed.version,
    });
    expect(rescheduled.status).toBe(200);
    expect(rescheduled.json).toMatchObject({ status: 'SCHEDULED', publishRound: 1, attempts: 0 });
    // The same request again was planned from a version that no longer exists.
    const stale = await call('PATCH', '/v1/posts/goes-wrong', {
      scheduledAt: T('10:00'),
      version: failed.version,
    });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ currentStatus: 'SCHEDULED' });

    await advance('PT1H');
    const published = await post('goes-wrong');
    expect(published).toMatchObject({ status: 'PUBLISHED', publishRound: 1 });
    const there = await onPlatform('threads', 'A post that fails at first');
    expect(there).toHaveLength(1);
    expect(published.platformPostId).toBe(there[0]?.id);
  }, 240_000);

  it('marks an UNKNOWN post published by its URL, and the Collector then measures it', async () => {
    // X takes the post and never answers; its timeline cannot be read, so reconciliation
    // cannot find the post and a person has to settle it.
    await faults('x', {
      timeoutAfterAccept: { count: 1, path: '/2/tweets' },
      serverError: { count: 1000, path: '/2/users/*' },
    });
    await advance('PT50M'); // past 11:00
    const unknown = await post('lost-answer');
    expect(unknown.status).toBe('UNKNOWN');
    const [onX] = await onPlatform('x', 'A post whose answer is lost');
    if (!onX) throw new Error('the X simulator holds no such post');

    // A person found it on the account. A URL of another platform is refused, and changes nothing.
    const wrong = await call('POST', '/v1/posts/lost-answer/settle', {
      outcome: 'published',
      url: 'https://bsky.app/profile/pulsecast.bsky.social/post/3kabc22',
    });
    expect(wrong.status).toBe(422);
    expect(JSON.stringify(wrong.json)).toContain('https://x.com/<user>/status/<id>');
    const settled = await call('POST', '/v1/posts/lost-answer/settle', {
      outcome: 'published',
      url: onX.url,
      version: unknown.version,
    });
    expect(settled.status).toBe(200);
    expect(settled.json).toMatchObject({ status: 'PUBLISHED', platformPostId: onX.id, platformUrl: onX.url });
    // Settled twice over is no change; failed after published is a 409 that says where it stands.
    expect(
      (await call('POST', '/v1/posts/lost-answer/settle', { outcome: 'published', url: onX.url })).status,
    ).toBe(200);
    const late = await call('POST', '/v1/posts/lost-answer/settle', {
      outcome: 'failed',
      reason: 'never mind',
    });
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ currentStatus: 'PUBLISHED' });

    await faults('x', {});
    await advance('P1D');
    const measured = await post('lost-answer');
    expect(measured).toMatchObject({ status: 'PUBLISHED', platformPostId: onX.id });
    expect(measured.metrics?.length).toBeGreaterThan(0);
    expect(await onPlatform('x', 'A post whose answer is lost')).toHaveLength(1);
  }, 240_000);
});
