import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, localHttp } from '../support/local-http.ts';
import { type LocalProcess, simulatorUrls, startLocalProcess } from '../support/local-process.ts';

/**
 * The history import through local mode as a user runs it: the simulators start with twelve
 * weeks of Mastodon history (60 posts, more than one page of 40), the API starts the Auditor
 * state machine (synthesized from the CDK app, every Task on its real handler), and the report
 * and the stored posts are read back over HTTP.
 */
let local: LocalProcess;
let sims: Record<string, string>;
const CHANNEL = 'mastodon-main';
/** A LinkedIn page with 120 past posts: two pages of 100 in the Posts API's author finder. */
const LINKEDIN = 'linkedin-page';

const { call, advance } = localHttp(() => local.url);

/** Runs an audit to its end: the Auditor waits on local time when the simulator says 429. */
async function audit(channel = CHANNEL): Promise<Json> {
  const started = await call('POST', `/v1/channels/${channel}/audit`, { since: '90d' });
  expect(started.status).toBe(202);
  for (let i = 0; i < 20; i++) {
    const { json } = await call('GET', `/v1/channels/${channel}/audit`);
    const current = json.audit as Json;
    expect(current.id).toBe(started.json.id);
    if (current.status !== 'RUNNING') return json;
    await advance('PT2M');
  }
  throw new Error('the audit did not finish');
}

async function importedPosts(channel = CHANNEL): Promise<Json[]> {
  const posts: Json[] = [];
  let cursor: string | undefined;
  do {
    const { json } = await call(
      'GET',
      `/v1/posts?channel=${channel}&status=IMPORTED&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    posts.push(...(json.items as Json[]));
    cursor = json.nextCursor as string | undefined;
  } while (cursor);
  return posts;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecast-audit-'));
  const config = join(dir, 'simulators.json');
  writeFileSync(
    config,
    JSON.stringify({
      channels: {
        [CHANNEL]: { history: { weeks: 12, postsPerWeek: 5 } },
        [LINKEDIN]: { history: { weeks: 12, postsPerWeek: 10 } },
      },
    }),
  );
  local = await startLocalProcess({
    env: { PULSECAST_CLOCK_START: '2027-05-03T08:00:00.000Z', PULSECAST_SIMULATOR_CONFIG: config },
  });
  sims = simulatorUrls(local);
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

describe('history import, end to end', () => {
  it('imports every post once across pages, honouring a 429, and a second run adds nothing', async () => {
    const onPlatform = async () =>
      ((await (await fetch(`${sims.mastodon}/_sim/posts`)).json()) as unknown[]).length;
    const before = await onPlatform();
    expect(before).toBe(60);
    // The second page's request is refused once; the Auditor waits and asks for it again.
    const faults = await fetch(`${sims.mastodon}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimit: { count: 1, resetSeconds: 60, path: '/api/v1/accounts/*' } }),
    });
    expect(faults.status).toBe(200);

    const first = await audit();
    expect(first.audit).toMatchObject({
      status: 'SUCCEEDED',
      imported: 60,
      alreadyKnown: 0,
      rateLimitWaits: 1,
    });
    expect(first.evidence).toMatchObject({ posts: 60, imported: 60, pulsecast: 0 });
    expect((first.limitations as string[]).join(' ')).toMatch(/Mastodon reports no impressions/);
    expect((first.audience as Json).followers).toBeGreaterThan(1000);

    const second = await audit();
    expect(second.audit).toMatchObject({ status: 'SUCCEEDED', imported: 0, alreadyKnown: 60 });
    const posts = await importedPosts();
    expect(posts).toHaveLength(60);
    expect(new Set(posts.map((p) => p.platformPostId)).size).toBe(60);

    // Imported posts are never published: a day of Dispatcher runs leaves the platform as it was,
    // and a person cannot edit or cancel one into the pipeline.
    await advance('P1D');
    expect(await onPlatform()).toBe(before);
    const one = posts[0] as Json;
    expect(
      (await call('PATCH', `/v1/posts/${one.id}`, { text: 'edited', version: one.version })).status,
    ).toBe(409);
    expect((await call('DELETE', `/v1/posts/${one.id}`)).status).toBe(409);
    expect(((await call('GET', `/v1/posts/${one.id}`)).json as Json).status).toBe('IMPORTED');
  }, 240_000);

  it('snapshots followers daily and shows their growth in the digest', async () => {
    await advance('P2D');
    const { json } = await call('GET', `/v1/channels/${CHANNEL}/audit`);
    const audience = json.audience as Json;
    expect(audience.followers).toBeGreaterThan(1000);
    expect(audience.growthPerDay).toBeGreaterThanOrEqual(0);
    const outbox = join(local.dataDir, 'outbox');
    const texts = readdirSync(outbox, { recursive: true })
      .map(String)
      .filter((name) => /digest/i.test(name))
      .map((name) => readFileSync(join(outbox, name), 'utf8'));
    const withAudience = texts.filter((text) => text.includes('Audience') && text.includes(`${CHANNEL}:`));
    expect(withAudience.length).toBeGreaterThan(0);
    expect(withAudience.at(-1)).toMatch(new RegExp(`${CHANNEL}: \\d+ followers, \\+\\d+ over \\d+ day`));
  }, 120_000);

  it('evaluates a relative goal against an imported baseline', async () => {
    const created = await call('POST', '/v1/campaigns', {
      id: 'beat-the-past',
      name: 'Beat our own past',
      timezone: 'UTC',
      goals: [
        {
          id: 'more-engagement',
          metric: 'engagements',
          target: { kind: 'relative', changePercent: 10, baseline: { from: '2027-04-01', to: '2027-04-28' } },
          window: { from: '2027-05-04', to: '2027-05-31' },
          scope: { posts: 'all', channels: [CHANNEL] },
        },
      ],
    });
    expect(created.status).toBe(201);
    const report = (await call('GET', '/v1/campaigns/beat-the-past/report')).json;
    const [goal] = (report.evaluation as { goals: Json[] }).goals;
    const baseline = goal?.baseline as Json;
    expect(baseline.posts).toBeGreaterThan(10);
    expect(baseline.importedPosts).toBe(baseline.posts);
    expect(baseline.value).toBeGreaterThan(0);
    // 28 baseline days scaled to the 28-day window, +10 %.
    expect(goal?.target).toBeCloseTo((baseline.value as number) * 1.1, 1);
    expect(goal?.reason).not.toMatch(/baseline/);
  });

  it('imports a LinkedIn page across pages with its share statistics, waiting out a 429 with no Retry-After', async () => {
    const faults = await fetch(`${sims.linkedin}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimit: { count: 1, resetSeconds: 60, path: '/rest/posts' } }),
    });
    expect(faults.status).toBe(200);
    const first = await audit(LINKEDIN);
    expect(first.audit).toMatchObject({
      status: 'SUCCEEDED',
      imported: 120,
      alreadyKnown: 0,
      rateLimitWaits: 1,
    });
    expect((first.limitations as string[]).join(' ')).toMatch(/last 12 months/);
    expect((first.audience as Json).followers).toBeGreaterThan(1000);
    const second = await audit(LINKEDIN);
    expect(second.audit).toMatchObject({ status: 'SUCCEEDED', imported: 0, alreadyKnown: 120 });
    const posts = await importedPosts(LINKEDIN);
    expect(new Set(posts.map((p) => p.platformPostId)).size).toBe(120);
    // Every post is younger than 12 months, so each carries its share statistics.
    for (const post of posts) {
      const metrics = (post.latestMetrics as Json | undefined)?.metrics as Json | undefined;
      expect(metrics?.impressions, String(post.platformPostId)).toBeGreaterThan(0);
    }
  }, 240_000);

  it('refuses a bad request with a specific 4xx', async () => {
    const bad = await call('POST', `/v1/channels/${CHANNEL}/audit`, { since: 'yesterday' });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.json)).toMatch(/neither a span like 90d/);
    expect((await call('POST', `/v1/channels/${CHANNEL}/audit`, { since: '2d', extra: 1 })).status).toBe(422);
    expect((await call('POST', '/v1/channels/nobody/audit', {})).status).toBe(404);
    expect((await call('GET', '/v1/channels/nobody/audit')).status).toBe(404);
  });
});
