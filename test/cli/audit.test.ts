import { describe, expect, it } from 'vitest';
import { releasedAfterEach } from '../support/per-test.ts';
import { problem, startFakeApi } from './fake-api.ts';

const REPORT = {
  channel: 'mastodon-main',
  platform: 'mastodon',
  timezone: 'UTC',
  period: { from: '2027-02-01T00:00:00.000Z', to: '2027-05-02T00:00:00.000Z', weeks: 12.9 },
  audit: { id: 'a1', status: 'SUCCEEDED', imported: 60, alreadyKnown: 0, pages: 2, rateLimitWaits: 1 },
  evidence: { posts: 60, imported: 60, pulsecast: 0 },
  cadence: { perWeek: [], meanPerWeek: 4.6, stdDev: 0.9 },
  perPost: { engagements: { posts: 60, mean: 31, stdDev: 12, p10: 18, median: 29, p90: 47 } },
  hourOfWeek: {
    cellsJudged: 24,
    best: [{ window: 'Tuesdays 09:00–12:00 (UTC)', posts: 9, lift: 2.1, liftLow: 1.4, liftHigh: 3.2 }],
    worst: [],
  },
  top: [
    {
      postId: 'imp-1',
      origin: 'imported',
      publishedAt: '2027-03-02T09:10:00.000Z',
      engagements: 90,
      text: 'A good one',
    },
  ],
  bottom: [
    {
      postId: 'imp-2',
      origin: 'imported',
      publishedAt: '2027-03-07T22:10:00.000Z',
      engagements: 4,
      text: 'A quiet one',
    },
  ],
  features: [
    {
      feature: '#tips',
      postsWith: 20,
      postsWithout: 40,
      lift: 1.1,
      liftLow: 0.9,
      liftHigh: 1.3,
      verdict: 'unclear',
    },
  ],
  comparison: [{ channel: 'x-main', platform: 'x', posts: 0, postsPerWeek: 0 }],
  audience: { followers: 1203, asOf: '2027-05-02T05:00:00.000Z', growthPerDay: 3, growthPerWeek: 20 },
  limitations: ['Mastodon reports no impressions, reach or clicks'],
  assumptions: ['engagements are the latest numbers measured for each post'],
};

describe('pulsecast audit', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  it('starts the import with --since, then shows the report with sample sizes and what is not available', async () => {
    const api = await startApi((request) =>
      request.method === 'POST' ? { status: 202, body: { id: 'a1', status: 'RUNNING' } } : { body: REPORT },
    );
    const run = await api.run(['audit', 'mastodon-main', '--since', '12w']);

    expect(run.code).toBe(0);
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe('/v1/channels/mastodon-main/audit');
    expect(JSON.parse(post?.body.toString() ?? '{}')).toEqual({ since: '12w' });
    expect(run.stdout).toContain(
      'import a1: SUCCEEDED; 60 new, 0 already stored, 2 pages, 1 rate-limit waits',
    );
    expect(run.stdout).toContain(
      'better: Tuesdays 09:00–12:00 (UTC): ×2.1 (90 % interval ×1.4–×3.2), 9 posts',
    );
    expect(run.stdout).toContain('followers: 1203 (+3 in a day, +20 in a week)');
    expect(run.stdout).toContain('Mastodon reports no impressions');
  });

  it('shows the report alone with --report-only, and a problem as the API said it', async () => {
    const api = await startApi((request) =>
      request.path.includes('nobody')
        ? problem(404, {
            type: 'urn:pulsecast:problem:not-found',
            title: 'Not found',
            detail: "channel 'nobody' does not exist",
          })
        : { body: REPORT },
    );
    const shown = await api.run(['audit', 'mastodon-main', '--report-only']);
    expect(shown.code).toBe(0);
    expect(api.requests.every((r) => r.method === 'GET')).toBe(true);

    const missing = await api.run(['audit', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("channel 'nobody' does not exist");
  });
});
