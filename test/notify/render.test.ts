import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../shared/events.ts';
import {
  CHART_COLORS,
  chartName,
  goalChartSpec,
  POSTS_CHART_NAME,
  renderDigestCharts,
  renderGoalChart,
  renderPostsChart,
} from '../../shared/notify/chart.ts';
import type { Digest, GoalProgress } from '../../shared/notify/digest.ts';
import { renderEmailAlert, renderEmailDigest } from '../../shared/notify/email.ts';
import { noticeFor } from '../../shared/notify/notice.ts';
import { escapeSlack, renderSlackAlert, renderSlackDigest } from '../../shared/notify/slack.ts';
import { truncate } from '../../shared/notify/text.ts';
import {
  decodePng,
  expectChart,
  expectWithinEmailLimits,
  expectWithinSlackLimits,
  NASTY,
  sampleEvents,
} from './support.ts';

const context = { timezone: 'Europe/Berlin', workspaceName: 'Marketing' };

function goal(i: number, overrides: Partial<GoalProgress> = {}): GoalProgress {
  return {
    campaignId: 'spring-launch',
    campaignName: `Spring launch ${NASTY.slice(0, 300)}`,
    goalId: `goal-${i}`,
    metric: 'clicks',
    direction: 'atLeast',
    status: 'AT_RISK',
    target: 5000,
    current: 1200 + i,
    expected: 1500,
    forecast: 4100,
    window: { from: '2026-12-01', to: '2027-02-28' },
    points: Array.from({ length: 10 }, (_, d) => ({
      date: `2026-12-${String(d + 1).padStart(2, '0')}`,
      pace: (5000 * d) / 89,
      actual: 120 * d,
    })),
    ...overrides,
  };
}

function bigDigest(goals: number, recommendations: number): Digest {
  const post = (i: number) => ({
    postId: `post-${i}`,
    channel: 'x-main',
    platform: 'x',
    excerpt: truncate(NASTY, 120),
    publishedAt: '2026-12-09T09:00:00.000Z',
    platformUrl: `https://x.com/pulsecast/status/${i}`,
    metrics: { impressions: 10_000 - i, engagements: 500 - i, clicks: 40 },
    engagementRate: (500 - i) / (10_000 - i),
  });
  return {
    id: 'digest-default-weekly-2026-12-07',
    workspaceId: 'default',
    workspaceName: 'Marketing',
    period: 'weekly',
    timezone: 'Europe/Berlin',
    from: '2026-11-30T23:00:00.000Z',
    to: '2026-12-07T23:00:00.000Z',
    label: '1 – 7 Dec 2026',
    createdAt: '2026-12-08T08:00:00.000Z',
    counts: { published: 40, failed: 10, unknown: 1, upcoming: 12 },
    byChannel: Array.from({ length: 20 }, (_, i) => ({
      channel: `channel-${i}`,
      platform: 'mastodon',
      published: 2,
      failed: 1,
      unknown: 0,
    })),
    failures: Array.from({ length: 10 }, (_, i) => ({
      postId: `post-f${i}`,
      channel: 'x-main',
      reason: NASTY,
    })),
    rankedBy: 'engagements',
    top: [post(1), post(2), post(3)],
    bottom: [post(9), post(8), post(7)],
    goals: Array.from({ length: goals }, (_, i) => goal(i)),
    recommendations: Array.from({ length: recommendations }, (_, i) => ({
      campaignId: 'spring-launch',
      title: `Recommendation ${i}: ${NASTY}`,
      detail: NASTY,
      evidence: [NASTY, NASTY, NASTY, NASTY, NASTY, NASTY],
    })),
    sections: [],
  };
}

describe('alert rendering', () => {
  it.each(EVENT_TYPES)('renders "%s" to Slack blocks within Block Kit limits, mentions escaped', (type) => {
    const event = sampleEvents().find((e) => e.type === type);
    if (!event) throw new Error(`no sample for ${type}`);
    const payload = renderSlackAlert(noticeFor(event, context));

    expectWithinSlackLimits(payload);
    expect(payload.blocks[0]?.type).toBe('header');
  });

  it.each(EVENT_TYPES)('renders "%s" to an email with HTML and text parts mail clients take', (type) => {
    const event = sampleEvents().find((e) => e.type === type);
    if (!event) throw new Error(`no sample for ${type}`);
    const email = renderEmailAlert(noticeFor(event, context), {
      unsubscribe: 'mailto:notify@example.com?subject=unsubscribe',
    });

    expectWithinEmailLimits(email);
    expect(email.subject).toMatch(/^\[Pulsecast\] /);
    expect(email.bulk).toBe(false);
    expect(email.html).toContain('Unsubscribe');
  });

  it('escapes user text for Slack so nobody can be mentioned through a failure reason', () => {
    const event = sampleEvents().find((e) => e.type === 'Post Failed');
    if (!event) throw new Error('no sample');
    const text = JSON.stringify(renderSlackAlert(noticeFor(event, context)));
    expect(text).toContain('&lt;!channel&gt;');
    expect(escapeSlack('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
  });

  it('keeps a failure reason out of the email headers (no header injection through CR/LF)', () => {
    const event = sampleEvents().find((e) => e.type === 'Channel Needs Attention');
    if (!event) throw new Error('no sample');
    const email = renderEmailAlert(noticeFor(event, context));
    expect(email.subject).not.toMatch(/Bcc:/);
    expect(email.html).toContain('&lt;script&gt;');
  });

  it('shows times in the team time zone and says what to do', () => {
    const event = sampleEvents().find((e) => e.type === 'Post Failed');
    if (!event) throw new Error('no sample');
    const notice = noticeFor(event, context);
    // 09:00 UTC is 10:00 in Berlin in December: the zone's abbreviation says which clock.
    expect(notice.facts).toContainEqual({ label: 'Scheduled', value: 'Thu 10 Dec 2026, 10:00 CET' });
    expect(notice.summary).toMatch(/^What happened: /);
    expect(notice.summary).toMatch(/Do this: fix the cause, then give it a new time/);
    const { postId } = event.detail as { postId: string };
    expect(notice.summary).toContain(`pulsecast posts reschedule ${postId} --at <time>`);
  });

  it('tells how to settle a post whose outcome is unknown', () => {
    const event = sampleEvents().find((e) => e.type === 'Post Outcome Unknown');
    if (!event) throw new Error('no sample');
    const { postId } = event.detail as { postId: string };
    const notice = noticeFor(event, context);
    expect(notice.summary).toContain(`pulsecast posts settle ${postId} --published <its URL>`);
    expect(notice.summary).toContain('--failed "<why>"');
  });

  it('names the post by its words, the channel by its handle, and links the post', () => {
    const event = sampleEvents().find((e) => e.type === 'Post Failed');
    if (!event) throw new Error('no sample');
    const { postId, channel } = event.detail as { postId: string; channel: string };
    const notice = noticeFor(event, {
      ...context,
      post: {
        text: 'Spring is here: our new collection\nlands today',
        platformUrl: 'https://x.com/a/status/1',
      },
      handles: new Map([[channel, '@pulsecast']]),
      apiUrl: 'https://api.example.com/',
    });
    expect(notice.title).toBe(
      'Not published: “Spring is here: our new collection lands today” on @pulsecast on X',
    );
    expect(notice.facts).toContainEqual({ label: 'Channel', value: '@pulsecast on X' });
    expect(notice.links).toEqual([
      { label: 'Open the post', url: 'https://x.com/a/status/1' },
      { label: 'Post in Pulsecast', url: `https://api.example.com/v1/posts/${postId}` },
    ]);
  });
});

describe('charts', () => {
  it('draws a goal with actual, pace, forecast, its 80 % band, target and today, at least 600 px wide', async () => {
    const png = await renderGoalChart(
      goal(0, { forecastLow: 3300, forecastHigh: 4900, asOf: '2026-12-10T23:00:00.000Z' }),
    );
    expectChart(png, [CHART_COLORS.actual, CHART_COLORS.pace, CHART_COLORS.band, CHART_COLORS.target]);
  });

  it('draws the top and bottom posts as bars', async () => {
    const digest = bigDigest(0, 0);
    const png = await renderPostsChart(digest.top, digest.bottom, 'engagements');
    expectChart(png, [CHART_COLORS.top, CHART_COLORS.bottom]);
  });

  it("speaks the team's words in the chart spec: metric name with its unit, no raw ids", () => {
    const spec = JSON.stringify(
      goalChartSpec(goal(0, { metric: 'engagementRate', current: 3.6, target: 2, forecast: 4 })),
    );
    expect(spec).toContain('engagement rate 3.6 % (target 2 %)');
    expect(spec).not.toContain('engagementRate');
  });
});

describe('digest rendering', () => {
  it('splits a long digest into Slack messages of at most 50 blocks, each within limits', () => {
    const payloads = renderSlackDigest(bigDigest(30, 10));

    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expectWithinSlackLimits(payload);
    expect(
      payloads.flatMap((p) => p.blocks).filter((b) => b.type === 'section' && b.text?.text.includes('goal-')),
    ).toHaveLength(30);
    expect(payloads[1]?.blocks[0]).toMatchObject({ type: 'context' });
    expect(payloads[1]?.text).toMatch(/\(2\/\d\)$/);
  });

  it('keeps a short digest in one Slack message', () => {
    const payloads = renderSlackDigest(bigDigest(2, 2));
    expect(payloads).toHaveLength(1);
    expectWithinSlackLimits(payloads[0] as never);
  });

  it('embeds every chart of the digest in the email, under Gmail clipping size', async () => {
    const digest = bigDigest(3, 2);
    const charts = await renderDigestCharts(digest);
    const email = renderEmailDigest(digest, { unsubscribe: 'https://example.com/unsubscribe', charts });

    expectWithinEmailLimits(email);
    expect(email.bulk).toBe(true);
    expect(email.images.map((i) => i.filename)).toEqual([
      `${POSTS_CHART_NAME}.png`,
      ...[0, 1, 2].map((i) => `${chartName(goal(i))}.png`),
    ]);
    for (const image of email.images) decodePng(image.content);
    expect(email.html).toContain(`cid:${chartName(goal(0))}@pulsecast`);
  });

  it('renders sections from other stages the same way everywhere, escaped, with their links', () => {
    const digest: Digest = {
      ...bigDigest(1, 1),
      sections: [
        {
          id: 'example',
          title: 'Another stage',
          summary: `Summary ${NASTY}`,
          items: [{ text: `Item ${NASTY}`, url: 'https://example.com/item' }, { text: 'Plain item' }],
        },
      ],
    };
    const [slack] = renderSlackDigest(digest);
    if (!slack) throw new Error('no Slack payload');
    expectWithinSlackLimits(slack);
    const slackText = JSON.stringify(slack.blocks);
    expect(slackText).toContain('*Another stage*');
    expect(slackText).toContain('<https://example.com/item|Item');
    expect(slackText).toContain('• Plain item');
    expect(slackText).not.toContain('<!channel>');

    const email = renderEmailDigest(digest);
    expectWithinEmailLimits(email);
    expect(email.html).toContain('Another stage');
    expect(email.html).toContain('href="https://example.com/item"');
    expect(email.html).not.toContain('<script>');
    expect(email.text).toContain('ANOTHER STAGE');
    expect(email.text).toContain('  - Plain item');
  });

  it('drops the least important sections rather than letting a huge digest be clipped', () => {
    const email = renderEmailDigest(bigDigest(60, 200));
    expectWithinEmailLimits(email);
    expect(email.html).toMatch(/left out to keep this email readable/);
  });
});
