import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateFileError } from '../../local/files.ts';
import {
  json,
  type PlatformDialect,
  persistSimulatorsIn,
  type SimulatorHandle,
  startSimulator,
} from '../../local/simulators/base.ts';
import { statusHtml } from '../../local/simulators/mastodon.ts';

/** A toy platform: enough to exercise the harness the way a platform simulator uses it. */
const dialect: PlatformDialect = {
  rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
    'x-limit': String(limit),
    'x-remaining': String(Math.max(0, remaining)),
    'x-reset': String(Math.floor(resetAt.getTime() / 1000)),
  }),
  tooManyRequests: () => json(429, { error: 'slow down' }),
  serverError: (status) => json(status, { error: 'broken' }),
  unauthorized: (reason) => json(401, { error: `token ${reason}` }),
  notFound: () => json(404, { error: 'no such route' }),
};

let now = new Date('2026-12-08T09:00:00.000Z');
let sim: (SimulatorHandle & { ctx: import('../../local/simulators/base.ts').SimContext }) | undefined;

async function start(rateLimit?: { limit: number; windowSeconds: number }) {
  sim = await startSimulator({
    platform: 'toy',
    dialect,
    clock: () => now,
    ...(rateLimit ? { rateLimit } : {}),
    routes: [
      {
        method: 'POST',
        path: '/posts',
        auth: true,
        handle: (req, ctx) => {
          const body = req.body as { text: string };
          const id = ctx.nextId();
          ctx.addPost({
            id,
            channel: 'toy-main',
            account: req.auth?.account ?? '',
            text: body.text,
            media: [],
            publishedAt: ctx.now(),
            url: `${ctx.baseUrl}/p/${id}`,
            data: {},
          });
          return json(201, { id });
        },
      },
      { method: 'POST', path: '/login', handle: () => json(200, { ok: true }) },
      { method: 'GET', path: '/posts/:id', handle: (req) => json(200, { id: req.params.id }) },
    ],
  });
  const token = sim.ctx.tokens.issue('account-1', { value: 'toy-secret-access-token' });
  return { sim, token };
}

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = new Date('2026-12-08T09:00:00.000Z');
});

const post = (url: string, token: string, text = 'hi') =>
  fetch(`${url}/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });

describe('simulator harness', () => {
  it('listens on 127.0.0.1 on a free port and routes with path parameters', async () => {
    const { sim } = await start();

    const answer = await fetch(`${sim.url}/posts/abc`);

    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await answer.json()).toEqual({ id: 'abc' });
    expect((await fetch(`${sim.url}/nowhere`)).status).toBe(404);
  });

  it('logs every platform request without credentials, for tests to count', async () => {
    const { sim, token } = await start();

    await post(sim.url, token, 'first');
    await fetch(`${sim.url}/login?access_token=toy-query-secret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identifier: 'me',
        password: 'toy-password-secret',
        nested: { refresh_token: 'toy-nested-secret' },
      }),
    });
    await fetch(`${sim.url}/_sim/faults`);

    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /posts', 'POST /login']);
    expect(sim.requests[0]).toMatchObject({
      body: { text: 'first' },
      headers: { authorization: 'Bearer [redacted]' },
      at: now.toISOString(),
    });
    expect(sim.requests[1]).toMatchObject({
      query: { access_token: '[redacted]' },
      body: { identifier: 'me', password: '[redacted]', nested: { refresh_token: '[redacted]' } },
    });
    expect(JSON.stringify(sim.requests)).not.toMatch(
      /toy-(secret-access-token|query-secret|password-secret|nested-secret)/,
    );
  });

  it('answers the next requests with 429 and a reset, settable over HTTP', async () => {
    const { sim, token } = await start({ limit: 100, windowSeconds: 900 });

    const set = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimit: { count: 1, resetSeconds: 60 } }),
    });
    const limited = await post(sim.url, token);
    const fine = await post(sim.url, token);

    expect(set.status).toBe(200);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-reset'))).toBe(Math.floor(now.getTime() / 1000) + 60);
    expect(fine.status).toBe(201);
    expect(fine.headers.get('x-remaining')).toBe('99');
    expect(sim.posts).toHaveLength(1);
    expect(sim.getFaults()).toEqual({ rateLimit: { count: 0, resetSeconds: 60 } });
  });

  it('refuses a malformed fault switch with a reason', async () => {
    const { sim } = await start();

    const answer = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ explode: true }),
    });

    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: expect.stringContaining("unknown fault 'explode'") });
  });

  it('fails with a 5xx without processing, only on the matching path', async () => {
    const { sim, token } = await start();
    sim.setFaults({ serverError: { count: 1, status: 502, path: '/posts' } });

    const other = await fetch(`${sim.url}/posts/1`);
    const failed = await post(sim.url, token);

    expect(other.status).toBe(200);
    expect(failed.status).toBe(502);
    expect(sim.posts).toHaveLength(0);
  });

  it('processes a request and never answers it when timing out after accepting', async () => {
    const { sim, token } = await start();
    sim.setFaults({ timeoutAfterAccept: { count: 1 } });

    const outcome = await fetch(`${sim.url}/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'lost' }),
      signal: AbortSignal.timeout(200),
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    );

    expect(outcome).toBe('TimeoutError');
    expect(sim.posts.map((p) => p.text)).toEqual(['lost']);
  });

  it('expires the tokens issued so far; tokens issued afterwards work', async () => {
    const { sim, token } = await start();
    sim.setFaults({ expireTokens: true });
    const fresh = sim.ctx.tokens.issue('account-1');

    const expired = await post(sim.url, token);
    const missing = await fetch(`${sim.url}/posts`, { method: 'POST', body: '{}' });

    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error: 'token expired' });
    expect((await missing.json()) as unknown).toEqual({ error: 'token missing' });
    expect((await post(sim.url, fresh)).status).toBe(201);
  });

  it('enforces the per-account budget and reports it in headers', async () => {
    const { sim, token } = await start({ limit: 2, windowSeconds: 60 });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(sim.url, token, `p${i}`)).status);
    now = new Date(now.getTime() + 61_000);
    statuses.push((await post(sim.url, token, 'next window')).status);

    expect(statuses).toEqual([201, 201, 429, 201]);
  });

  it('serves media files for posts, and failures when asked', async () => {
    const { sim } = await start();

    const png = await fetch(sim.mediaUrl('photo.png'));
    const video = await fetch(sim.mediaUrl('clip.mp4', { bytes: 10_000 }));
    const missing = await fetch(sim.mediaUrl('gone.png', { status: 404 }));

    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect((await video.arrayBuffer()).byteLength).toBe(10_000);
    expect(missing.status).toBe(404);
    expect(sim.requests).toHaveLength(0);
  });

  it('grows the engagement of accepted posts with the simulator clock', async () => {
    const { sim, token } = await start();
    const answer = (await (await post(sim.url, token, 'growing https://example.com')).json()) as {
      id: string;
    };

    const atOnce = sim.engagementOf(answer.id);
    now = new Date(now.getTime() + 24 * 3_600_000);
    const dayLater = sim.engagementOf(answer.id);
    const list = (await (await fetch(`${sim.url}/_sim/posts`)).json()) as {
      id: string;
      engagement: { reach: number };
    }[];

    expect(atOnce?.reach).toBe(0);
    expect(dayLater?.reach).toBeGreaterThan(0);
    expect(list[0]).toMatchObject({ id: answer.id, engagement: { reach: dayLater?.reach } });
    expect(sim.posts[0]?.link).toBe('https://example.com');
    expect(sim.deletePost(answer.id)).toBe(true);
    expect(sim.posts[0]?.deleted).toBe(true);
  });

  it('stops promptly even with a request left hanging', async () => {
    const { sim, token } = await start();
    sim.setFaults({ timeoutAfterAccept: { count: 1 } });
    const hanging = post(sim.url, token).catch(() => 'closed');

    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sim.stop();

    // Without closing it, the hanging request would hold stop() for the 30 s request timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await hanging).toBe('closed');
  });
});

describe('simulator state file', () => {
  const dir = join(tmpdir(), `pulsecast-sim-state-${process.pid}`);
  afterEach(() => {
    persistSimulatorsIn(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is replaced whole on every post, with no temporary file left beside it', async () => {
    persistSimulatorsIn(dir);
    const { sim, token } = await start();

    await post(sim.url, token, 'one');
    await post(sim.url, token, 'two');

    expect(readdirSync(dir)).toEqual(['toy.json']);
    await sim.stop();
    const again = await start();
    expect(again.sim.posts.map((p) => p.text)).toEqual(['one', 'two']);
  });

  it('stops the simulator from starting when it was cut short, naming the file and what to do', async () => {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'toy.json');
    writeFileSync(path, '{"lastId":"5","posts":[{"id":"5","te');
    persistSimulatorsIn(dir);

    const starting = start();

    await expect(starting).rejects.toBeInstanceOf(StateFileError);
    await expect(starting).rejects.toThrow(
      `${path} is not valid JSON (it may have been cut short by a crash); delete it to start that simulator afresh (forgetting the posts published on it), or restore it from a backup`,
    );
  });

  it('stops the simulator from starting when it holds something else', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'toy.json'), '[]');
    persistSimulatorsIn(dir);

    await expect(start()).rejects.toThrow(/toy\.json does not hold a simulator's state/);
  });
});

describe('Mastodon status HTML', () => {
  it('renders paragraphs, line breaks, shortened links and hashtags the way Mastodon does', () => {
    const html = statusHtml(
      'Read https://example.com/a/very/long/path/to/a/page #News\n\nBye & <see you>',
      'https://m.example',
    );

    expect(html).toBe(
      '<p>Read <a href="https://example.com/a/very/long/path/to/a/page" target="_blank" rel="nofollow noopener noreferrer" translate="no">' +
        '<span class="invisible">https://</span><span class="ellipsis">example.com/a/very/long/path/t</span><span class="invisible">o/a/page</span></a> ' +
        '<a href="https://m.example/tags/news" class="mention hashtag" rel="tag">#<span>News</span></a></p><p>Bye &amp; &lt;see you&gt;</p>',
    );
  });
});
