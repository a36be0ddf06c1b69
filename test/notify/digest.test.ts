import { describe, expect, it } from 'vitest';
import type { Channel, NormalisedMetrics, Post } from '../../shared/domain/index.ts';
import type { EventPublisher, PulsecastEvent } from '../../shared/events.ts';
import { evaluateCampaign } from '../../shared/goals/campaign-evaluation.ts';
import { loadEvaluationInput } from '../../shared/goals/evaluate-campaigns.ts';
import type { CampaignEvaluation } from '../../shared/goals/model.ts';
import { engagementRate } from '../../shared/measuring/snapshot.ts';
import { CHART_COLORS, chartName, POSTS_CHART_NAME } from '../../shared/notify/chart.ts';
import { NotifyConfig } from '../../shared/notify/config.ts';
import { buildDigest, Digest, digestWindow, runDigest } from '../../shared/notify/digest.ts';
import { notify } from '../../shared/notify/notifier.ts';
import {
  EvaluationGoalsReader,
  StoreDigestSource,
  storeEvaluationHistory,
} from '../../shared/notify/source.ts';
import type { MetricSnapshot } from '../../shared/store/measurements.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';
import {
  expectChart,
  expectWithinEmailLimits,
  expectWithinSlackLimits,
  RecordingEmail,
  RecordingSlack,
} from './support.ts';

const TZ = 'Europe/Berlin';
/** The weekly digest of Mon 30 Nov – Sun 6 Dec 2026 runs on Monday 7 Dec, 09:00 in Berlin. */
const RUN_AT = new Date('2026-12-07T08:00:00.000Z');
const DAY = 86_400_000;
const WEEK_START = Date.parse('2026-11-29T23:00:00.000Z'); // Mon 30 Nov 00:00 Berlin

const config = NotifyConfig.parse({
  timezone: TZ,
  workspaces: [
    { id: 'team', name: 'Growth team', digest: { slack: ['digest'], email: ['team@example.com'] } },
    { id: 'bsky', name: 'Bluesky only', channels: ['bsky-main'], digest: { email: ['bsky@example.com'] } },
  ],
});

/**
 * A simulated week: two posts a day on two channels, published, failed or unknown, each
 * published post measured at 1 h, 24 h and 72 h as far as the run time allows, the way the
 * measuring stage does it (append-only snapshots, the latest copied onto the post).
 */
async function simulateWeek() {
  const store = new MemoryStore();
  const channels: Channel[] = [
    makeChannel({ id: 'x-main', platform: 'x' }),
    makeChannel({ id: 'bsky-main', platform: 'bluesky', handle: 'pulsecast.bsky.social' }),
  ];
  for (const channel of channels) store.channels.set(channel.id, channel);

  const posts: Post[] = [];
  for (let day = 0; day < 7; day++) {
    for (const [slot, channel] of ['x-main', 'bsky-main'].entries()) {
      const n = day * 2 + slot;
      const scheduledAt = new Date(WEEK_START + day * DAY + (10 + slot * 5) * 3_600_000).toISOString();
      const status = n === 3 || n === 8 ? 'FAILED' : n === 11 ? 'UNKNOWN' : 'PUBLISHED';
      const post = makePost({
        id: `week-${String(n).padStart(2, '0')}`,
        channel,
        scheduledAt,
        text: `Post ${n} of the week: tips for spring`,
        campaign: 'spring',
        status,
        ...(status === 'FAILED' ? { failureReason: `Rejected by the platform (${n})` } : {}),
        ...(status === 'PUBLISHED'
          ? {
              publishedAt: scheduledAt,
              platformPostId: `p${n}`,
              platformUrl: `https://example.social/p/${n}`,
            }
          : {}),
      });
      if (status === 'PUBLISHED') {
        // Engagement grows with age; posts differ by a deterministic factor so the ranking is clear.
        const factor = ((n * 37) % 11) + 1;
        for (const [checkpoint, hours] of [
          ['1h', 1],
          ['24h', 24],
          ['72h', 72],
        ] as const) {
          const dueAt = new Date(Date.parse(scheduledAt) + hours * 3_600_000).toISOString();
          if (dueAt > RUN_AT.toISOString()) continue;
          const growth = hours === 1 ? 1 : hours === 24 ? 4 : 5;
          const metrics: NormalisedMetrics =
            channel === 'bsky-main'
              ? { likes: 3 * factor * growth, shares: factor * growth, comments: growth }
              : {
                  impressions: 500 * factor * growth,
                  engagements: 20 * factor * growth,
                  clicks: 2 * factor * growth,
                };
          const rate = engagementRate(metrics);
          await store.putSnapshot({
            postId: post.id,
            checkpoint,
            dueAt,
            collectedAt: dueAt,
            metrics,
            ...rate,
            raw: {},
          });
          post.latestMetrics = { checkpoint, collectedAt: dueAt, metrics, ...rate };
        }
      }
      posts.push(post);
    }
  }
  // Outside the week: the Sunday before, a cancelled post, and what is coming up next week.
  posts.push(
    makePost({
      id: 'before',
      scheduledAt: new Date(WEEK_START - 3_600_000).toISOString(),
      status: 'PUBLISHED',
    }),
  );
  posts.push(
    makePost({ id: 'cancelled', scheduledAt: new Date(WEEK_START + DAY).toISOString(), status: 'CANCELLED' }),
  );
  for (let i = 0; i < 3; i++) {
    posts.push(
      makePost({
        id: `next-${i}`,
        scheduledAt: new Date(WEEK_START + (8 + i) * DAY).toISOString(),
        status: 'SCHEDULED',
      }),
    );
  }
  for (const post of posts) store.posts.set(post.id, post);
  return { store, posts };
}

/** The Evaluator's daily history of one campaign with one goal: 1,000 clicks from 23 Nov to 21 Jan. */
function evaluationHistory(): CampaignEvaluation[] {
  const window = { from: '2026-11-23', to: '2027-01-21' };
  return Array.from({ length: 15 }, (_, i) => {
    const asOfDate = new Date(Date.parse('2026-11-23T00:00:00Z') + i * DAY).toISOString().slice(0, 10);
    return {
      campaignId: 'spring',
      campaignVersion: 1,
      timezone: TZ,
      asOf: `${asOfDate}T05:00:00.000Z`,
      asOfDate,
      goals: [
        {
          goalId: 'clicks',
          metric: 'clicks' as const,
          direction: 'atLeast' as const,
          status: i < 10 ? ('ON_TRACK' as const) : ('AT_RISK' as const),
          reason: 'pace',
          window,
          asOfDate,
          daysTotal: 60,
          daysElapsed: i + 1,
          current: 14 * (i + 1),
          target: 1000,
          expectedByNow: (1000 * (i + 1)) / 60,
          forecast: { value: 840, low: 700, high: 950, confidence: 0.8, method: 'linear', assumptions: [] },
          evidence: { posts: i, measuredPosts: i, scheduledPosts: 10, conversions: 0 },
        },
      ],
      recommendations: [
        {
          id: 'rec-window',
          kind: 'postingWindow' as const,
          channel: 'x-main',
          summary: `Post on x-main Tue 09:00–11:00: 2.4× the engagements of other hours (day ${i}).`,
          evidence: { postsInWindow: 6, baseline: 1 },
        },
      ],
      missingData: [],
      topPosts: [],
      bottomPosts: [],
    };
  });
}

/** The goals reader over the store, as the digest function wires it, after the Evaluator ran. */
async function goalsReader(store: MemoryStore) {
  await store.putCampaign({
    id: 'spring',
    name: 'Spring campaign',
    timezone: TZ,
    goals: [
      {
        id: 'clicks',
        metric: 'clicks',
        direction: 'atLeast',
        target: { kind: 'absolute', value: 1000 },
        window: { from: '2026-11-23', to: '2027-01-21' },
        scope: {},
      },
    ],
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    version: 1,
  });
  for (const evaluation of evaluationHistory()) {
    await store.putEvaluation({
      campaignId: 'spring',
      asOfDate: evaluation.asOfDate,
      asOf: evaluation.asOf,
      evaluation,
    });
  }
  return new EvaluationGoalsReader(storeEvaluationHistory(store));
}

class RecordingPublisher implements EventPublisher {
  readonly events: PulsecastEvent[] = [];
  async publish(events: readonly PulsecastEvent[]) {
    this.events.push(...events);
  }
}

describe('digestWindow', () => {
  it('covers the local day or week before the run, however DST moves the hours', () => {
    expect(digestWindow('daily', RUN_AT, TZ)).toEqual({
      from: '2026-12-05T23:00:00.000Z',
      to: '2026-12-06T23:00:00.000Z',
      label: 'Sun 6 Dec 2026',
      startDate: '2026-12-06',
    });
    expect(digestWindow('weekly', RUN_AT, TZ).label).toBe('30 Nov – 6 Dec 2026');
    // The week of the autumn change has 169 hours.
    const dst = digestWindow('weekly', new Date('2026-10-26T08:00:00.000Z'), TZ);
    expect(Date.parse(dst.to) - Date.parse(dst.from)).toBe(169 * 3_600_000);
  });
});

describe('the digest of a simulated week', () => {
  it('counts what was published and failed, and ranks posts by the stored snapshots', async () => {
    const { store, posts } = await simulateWeek();
    const digest = await buildDigest(
      { config, workspace: config.workspaces[0] as never, period: 'weekly', at: RUN_AT, now: RUN_AT },
      new StoreDigestSource(store, await goalsReader(store)),
    );

    const inWeek = posts.filter((p) => p.id.startsWith('week-'));
    expect(digest.counts).toEqual({
      published: inWeek.filter((p) => p.status === 'PUBLISHED').length,
      failed: 2,
      unknown: 1,
      upcoming: 3,
    });
    expect(digest.counts.published).toBe(11);
    expect(digest.byChannel).toEqual([
      {
        channel: 'bsky-main',
        handle: 'pulsecast.bsky.social',
        platform: 'bluesky',
        published: 5,
        failed: 1,
        unknown: 1,
      },
      { channel: 'x-main', handle: '@pulsecast', platform: 'x', published: 6, failed: 1, unknown: 0 },
    ]);
    expect(digest.failures.map((f) => f.reason)).toEqual([
      'Rejected by the platform (3)',
      'Rejected by the platform (8)',
    ]);

    // Expected from the stored snapshots themselves: each post's latest reading, engagements
    // counted as the platform's own figure or, for Bluesky, likes + comments + shares + saves.
    const latest = new Map<string, MetricSnapshot>();
    for (const post of inWeek.filter((p) => p.status === 'PUBLISHED')) {
      const history = await store.listSnapshots(post.id);
      expect(history.length).toBeGreaterThan(0);
      latest.set(post.id, history.at(-1) as MetricSnapshot);
    }
    const engagements = (m: NormalisedMetrics) =>
      m.engagements ?? (m.likes ?? 0) + (m.comments ?? 0) + (m.shares ?? 0) + (m.saves ?? 0);
    const ranked = [...latest.values()]
      .map((s) => ({
        postId: s.postId,
        engagements: engagements(s.metrics),
        impressions: s.metrics.impressions,
      }))
      .sort((a, b) => b.engagements - a.engagements || a.postId.localeCompare(b.postId));
    expect(digest.top.map((p) => [p.postId, p.metrics.engagements, p.metrics.impressions])).toEqual(
      ranked.slice(0, 3).map((r) => [r.postId, r.engagements, r.impressions]),
    );
    expect(digest.bottom.map((p) => [p.postId, p.metrics.engagements])).toEqual(
      ranked
        .slice(-3)
        .reverse()
        .map((r) => [r.postId, r.engagements]),
    );
    for (const post of [...digest.top, ...digest.bottom]) {
      const snapshot = latest.get(post.postId);
      expect(post.metrics.clicks).toBe(snapshot?.metrics.clicks);
      expect(post.engagementRate).toBe(snapshot?.engagementRate);
    }
    expect(digest.top.some((p) => p.engagementRate !== undefined)).toBe(true);

    // Goals: the campaign evaluated at the digest's own end — the same numbers, status and reason
    // the report gives for that moment (not the last daily run's, hours older) — with one chart
    // point per stored day before it and the digest's moment last.
    const campaign = await store.getCampaign('spring');
    if (!campaign) throw new Error('no campaign');
    const report = evaluateCampaign(await loadEvaluationInput(campaign, store, new Date(digest.to)));
    const [goal] = report.goals;
    expect(digest.goals).toHaveLength(1);
    expect(digest.goals[0]).toMatchObject({
      campaignName: 'Spring campaign',
      asOf: digest.to,
      status: goal?.status,
      reason: goal?.reason,
      current: goal?.current,
      target: 1000,
      forecast: goal?.forecast?.value,
      forecastLow: goal?.forecast?.low,
      forecastHigh: goal?.forecast?.high,
      assumptions: goal?.forecast?.assumptions,
    });
    // The published clicks of the stored snapshots, not the stored evaluation's 196.
    expect(digest.goals[0]?.current).toBe(264);
    expect(digest.goals[0]?.points.map((p) => p.date)).toEqual([
      ...evaluationHistory()
        .slice(0, 14)
        .map((e) => e.asOfDate),
      report.asOfDate,
    ]);
    expect(digest.recommendations.map((r) => r.title)).toEqual(
      report.recommendations.slice(0, 10).map((r) => r.summary),
    );
  });

  it('keeps a scoped workspace to its channels', async () => {
    const { store } = await simulateWeek();
    const digest = await buildDigest(
      { config, workspace: config.workspaces[1] as never, period: 'weekly', at: RUN_AT, now: RUN_AT },
      new StoreDigestSource(store),
    );
    expect(digest.counts).toMatchObject({ published: 5, failed: 1, unknown: 1 });
    expect([...digest.top, ...digest.bottom].every((p) => p.channel === 'bsky-main')).toBe(true);
    expect(digest.goals).toEqual([]);
  });

  it('is stored, announced once per period, and sent with a chart that decodes', async () => {
    const { store } = await simulateWeek();
    const events = new RecordingPublisher();
    const deps = {
      store,
      source: new StoreDigestSource(store, await goalsReader(store)),
      events,
      now: () => RUN_AT,
    };
    const workspace = config.workspaces[0];
    if (!workspace) throw new Error('no workspace');

    const digest = await runDigest({ config, workspace, period: 'weekly', at: RUN_AT }, deps);
    // A repeated run (Scheduler is at least once) announces the same fact.
    await runDigest(
      { config, workspace, period: 'weekly', at: RUN_AT },
      { ...deps, now: () => new Date(RUN_AT.getTime() + 60_000) },
    );

    expect(Digest.parse((await store.getDigest(digest.id))?.content)).toMatchObject({
      id: digest.id,
      counts: digest.counts,
    });
    expect(events.events.map((e) => [e.type, e.detail.eventId])).toEqual([
      ['Digest Ready', 'digest-team-weekly-2026-11-30'],
      ['Digest Ready', 'digest-team-weekly-2026-11-30'],
    ]);

    const slack = new RecordingSlack();
    const email = new RecordingEmail();
    const notifier = {
      config,
      store,
      slack,
      email,
      sender: 'Pulsecast <notify@example.com>',
      now: () => RUN_AT,
    };
    for (const event of events.events) await notify(event, notifier);

    expect(slack.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);
    for (const { payload } of slack.sent) expectWithinSlackLimits(payload);
    const slackText = JSON.stringify(slack.sent[0]?.payload);
    expect(slackText).toContain('*Published*\\n11');
    expect(slackText).toContain(`${digest.top[0]?.metrics.engagements} engagements`);

    const sent = email.sent[0];
    if (!sent) throw new Error('no email');
    expectWithinEmailLimits(sent.content);
    expect(sent.to).toBe('team@example.com');
    expect(sent.headers.Precedence).toBe('bulk');
    expect(sent.content.text).toContain('11 published, 2 failed, 1 outcome unknown, 3 coming up');
    // The top/bottom posts chart and the goal's chart.
    expect(sent.content.images.map((i) => i.filename)).toEqual([
      `${POSTS_CHART_NAME}.png`,
      `${chartName(digest.goals[0] as never)}.png`,
    ]);
    expectChart(sent.content.images[1]?.content ?? Buffer.alloc(0), [CHART_COLORS.actual, CHART_COLORS.pace]);
    expect(sent.content.text).toMatch(/off track/); // 264 clicks, nothing scheduled
  });
});
