import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startLocalProcess } from '../support/local-process.ts';

/** Local mode as a user runs it: `npm start -- --demo`, then only HTTP. */
const dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-local-'));
const demoEnv = { PULSECAST_DEMO: '1' };
let local: LocalProcess | undefined;

afterAll(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Post {
  id: string;
  status: string;
  platformPostId?: string;
  channel: string;
}

async function allPosts(url: string): Promise<Post[]> {
  const posts: Post[] = [];
  let cursor: string | undefined;
  do {
    const page = (await (
      await fetch(`${url}/v1/posts?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
    ).json()) as {
      items: Post[];
      nextCursor?: string;
    };
    posts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return posts;
}

function simulatorUrls(output: string): string[] {
  const line = output.split('\n').find((text) => text.trim().startsWith('simulators')) ?? '';
  return [...line.matchAll(/http:\/\/127\.0\.0\.1:\d+/g)].map((match) => match[0]);
}

describe('local mode, end to end', () => {
  it('publishes the example calendar exactly once on the simulators when the clock advances 8 days', async () => {
    local = await startLocalProcess({ dataDir, env: demoEnv });
    expect(local.output()).toContain("campaign 'spring-launch' created with 3 goals");
    expect(local.output()).toContain('examples/calendar.csv: 21 created');
    const clock = (await (await fetch(`${local.url}/_local/clock`)).json()) as { now: string };
    expect(clock.now.startsWith('2027-03-01T06:0')).toBe(true);

    const started = Date.now();
    const response = await fetch(`${local.url}/_local/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'P8D' }),
    });
    const wallMs = Date.now() - started;
    expect(response.status).toBe(200);
    const summary = (await response.json()) as { executions: { failed: number }; to: string };
    expect(summary.executions.failed).toBe(0);
    // Speed is measured by `npm run bench` (shared machines are noisy); this only reports it.
    console.log(`local mode: 8 days advanced in ${(wallMs / 1000).toFixed(1)} s of wall time`);

    const posts = (await allPosts(local.url)).filter((post) => post.id.startsWith('spring-'));
    expect(posts).toHaveLength(21);
    for (const post of posts) expect(post, post.id).toMatchObject({ status: 'PUBLISHED' });

    // The platforms' side: each post exists exactly once on its simulator.
    const onPlatforms: string[] = [];
    for (const url of simulatorUrls(local.output())) {
      const simulated = (await (await fetch(`${url}/_sim/posts`)).json()) as
        | { id: string }[]
        | { posts: { id: string }[] };
      const list = Array.isArray(simulated) ? simulated : simulated.posts;
      onPlatforms.push(...list.map((post) => post.id));
    }
    expect(onPlatforms).toHaveLength(21);
    expect(new Set(onPlatforms).size).toBe(21);
    expect(posts.map((post) => post.platformPostId).sort()).toEqual([...onPlatforms].sort());

    // Metric history on every post.
    for (const post of posts) {
      const detail = (await (await fetch(`${local.url}/v1/posts/${post.id}`)).json()) as {
        metrics: unknown[];
      };
      expect(detail.metrics.length, `${post.id} snapshots`).toBeGreaterThan(0);
    }
    // The demo campaign's report, with a status for every goal.
    const report = (await (await fetch(`${local.url}/v1/campaigns/spring-launch/report`)).json()) as {
      evaluation: { goals: { goalId: string; status: string }[] };
    };
    expect(report.evaluation.goals.map((goal) => goal.goalId).sort()).toEqual([
      'engagements-march',
      'linkedin-engagement-rate',
      'posts-march',
    ]);
    for (const goal of report.evaluation.goals) expect(goal.status).toMatch(/^[A-Z_]+$/);
    // At least one digest in the outbox, as an email and as a Slack payload.
    const outbox = readdirSync(join(dataDir, 'outbox'));
    expect(outbox.some((name) => name.includes('digest') && name.endsWith('.eml'))).toBe(true);
    expect(outbox.some((name) => name.includes('digest') && name.endsWith('.json'))).toBe(true);
  }, 300_000);

  it('keeps data and time across a restart, and runs beside a second instance', async () => {
    const before = ((await (await fetch(`${local!.url}/_local/clock`)).json()) as { now: string }).now;
    expect(await local!.stop()).toBe(0);

    local = await startLocalProcess({ dataDir, env: demoEnv });
    expect(local.output()).toContain('21 unchanged');
    const after = ((await (await fetch(`${local.url}/_local/clock`)).json()) as { now: string }).now;
    expect(after >= before).toBe(true);
    expect(
      (await allPosts(local.url)).filter((post) => post.status === 'PUBLISHED').length,
    ).toBeGreaterThanOrEqual(21);
    // The platforms remember their posts too: a day later the Collector still finds every one.
    const advanced = await fetch(`${local.url}/_local/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'P1D' }),
    });
    expect(advanced.status).toBe(200);
    const deleted = (await allPosts(local.url)).filter(
      (post) => (post as Post & { metricsStatus?: string }).metricsStatus === 'deleted',
    );
    expect(deleted).toEqual([]);

    const other = await startLocalProcess();
    try {
      expect(other.url).not.toBe(local.url);
      expect((await fetch(`${other.url}/health`)).status).toBe(200);
      expect(await allPosts(other.url)).toEqual([]);
    } finally {
      await other.stop();
    }
  }, 300_000);
});
