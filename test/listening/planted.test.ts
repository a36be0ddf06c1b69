import { describe, expect, it } from 'vitest';
import {
  ConversationConfig,
  type ConversationPost,
  repliesToOurPosts,
  subjectPosts,
  teamReplies,
} from '../../local/simulators/conversation.ts';
import type { PulsecastEvent } from '../../shared/events.ts';
import type { Mention, OwnReply } from '../../shared/listening/model.ts';
import { responses, shareOfVoice } from '../../shared/listening/report.ts';
import { sentimentOf } from '../../shared/listening/sentiment.ts';
import { ListeningSettings, subjectsIn, subjectsOf } from '../../shared/listening/settings.ts';
import { assessWindow, detectSpikes } from '../../shared/listening/spikes.ts';
import { MemoryListeningStore } from '../support/memory-listening.ts';
import { mentionOf } from './support.ts';

const SETTINGS = ListeningSettings.parse({
  brand: { name: 'Acme', terms: ['acmecloud'] },
  competitors: [
    { id: 'globex', name: 'Globex', terms: ['globexhost'] },
    { id: 'initech', name: 'Initech', terms: ['initechdb'] },
  ],
  platforms: ['bluesky'],
});
const WEEK_START = new Date('2027-03-01T00:00:00.000Z');
const WEEK_END = new Date('2027-03-08T00:00:00.000Z');

const asMention = (post: ConversationPost, extra: Partial<Mention> = {}) => mentionOf(post, SETTINGS, extra);

describe('share of voice over a planted week', () => {
  it('is within 3 points of the planted 60 / 30 / 10 ratio, per subject', () => {
    const conversation = ConversationConfig.parse({
      subjects: {
        brand: { term: 'acmecloud', perHour: 6 },
        globex: { term: 'globexhost', perHour: 3 },
        initech: { term: 'initechdb', perHour: 1 },
      },
    });
    const mentions = subjectPosts(conversation, 7, 'bluesky', WEEK_START, WEEK_END).map((p) => asMention(p));

    const result = shareOfVoice(
      { from: WEEK_START.toISOString(), to: WEEK_END.toISOString(), interval: 'week' },
      SETTINGS,
      mentions,
    );

    expect(result.intervals).toHaveLength(1);
    expect(result.shares.brand).toBeCloseTo(0.6, 1);
    expect(Math.abs((result.shares.brand ?? 0) - 0.6)).toBeLessThanOrEqual(0.03);
    expect(Math.abs((result.shares.globex ?? 0) - 0.3)).toBeLessThanOrEqual(0.03);
    expect(Math.abs((result.shares.initech ?? 0) - 0.1)).toBeLessThanOrEqual(0.03);
    expect(result.total).toBe(mentions.length);
  });

  it('splits into days and refuses a period that ends before it starts', () => {
    const result = shareOfVoice(
      { from: WEEK_START.toISOString(), to: WEEK_END.toISOString(), interval: 'day' },
      SETTINGS,
      [],
    );
    expect(result.intervals).toHaveLength(7);
    expect(result.shares).toEqual({});
    expect(() =>
      shareOfVoice(
        { from: WEEK_END.toISOString(), to: WEEK_START.toISOString(), interval: 'day' },
        SETTINGS,
        [],
      ),
    ).toThrow(/from must be before to/);
  });
});

describe('response rate and time over planted replies', () => {
  it('matches teamReplies: rate within 0.05, median within 15 %', () => {
    const conversation = ConversationConfig.parse({
      repliesToOurPosts: { perPost: 2 },
      teamReplies: { share: 0.6, medianMinutes: 45 },
    });
    const ours = Array.from({ length: 150 }, (_, i) => ({
      id: `at://did:plc:us/app.bsky.feed.post/p${i}`,
      publishedAt: new Date(WEEK_START.getTime() + i * 3_600_000),
    }));
    const until = new Date(WEEK_END.getTime() + 7 * 86_400_000);
    const inbound = repliesToOurPosts(conversation, 3, ours, until);
    const answers = teamReplies(conversation, 3, inbound, until);
    const mentions = inbound.map((p) =>
      asMention(p, {
        inbound: { channel: 'bsky-main', kind: 'reply' },
        replyTo: p.replyTo,
        threadRoot: p.threadRoot,
      }),
    );
    const replies: OwnReply[] = answers.map((a) => ({
      platform: 'bluesky',
      id: a.id,
      channel: 'bsky-main',
      createdAt: a.createdAt.toISOString(),
      replyTo: a.replyTo ?? '',
    }));

    const result = responses(
      { from: WEEK_START.toISOString(), to: until.toISOString() },
      SETTINGS,
      mentions,
      replies,
    );

    expect(result.inbound).toBeGreaterThan(200);
    expect(Math.abs((result.rate ?? 0) - 0.6)).toBeLessThanOrEqual(0.05);
    expect(Math.abs((result.medianMinutes ?? 0) - 45) / 45).toBeLessThanOrEqual(0.15);
    expect(result.p90Minutes).toBeGreaterThan(result.medianMinutes ?? 0);
  });

  it('counts only business hours where a channel has them', () => {
    const settings = ListeningSettings.parse({
      ...SETTINGS,
      channels: { 'bsky-main': { businessHours: { timezone: 'UTC', from: '09:00', to: '17:00' } } },
    });
    // Friday 16:30 → Monday 09:30: 30 minutes on Friday and 30 on Monday.
    const mention = asMention(
      {
        id: 'm1',
        author: 'a',
        text: 'hello',
        createdAt: new Date('2027-03-05T16:30:00.000Z'),
        negative: false,
      },
      { inbound: { channel: 'bsky-main', kind: 'reply' } },
    );
    const reply: OwnReply = {
      platform: 'bluesky',
      id: 'r1',
      channel: 'bsky-main',
      createdAt: '2027-03-08T09:30:00.000Z',
      replyTo: 'm1',
    };
    const result = responses(
      { from: '2027-03-05T00:00:00.000Z', to: '2027-03-06T00:00:00.000Z' },
      settings,
      [mention],
      [reply],
    );
    expect(result).toMatchObject({
      inbound: 1,
      answered: 1,
      rate: 1,
      medianMinutes: 60,
      businessHours: true,
    });
  });
});

describe('mention spikes', () => {
  const QUIET = { subjects: { brand: { term: 'acmecloud', perHour: 3 } } };

  it('raises one event within two Listener runs of a planted spike, and one end when it settles', async () => {
    const spikeStart = new Date('2027-03-08T10:00:00.000Z');
    const conversation = ConversationConfig.parse({
      ...QUIET,
      spikes: [
        { subject: 'brand', from: spikeStart.toISOString(), minutes: 90, perHour: 80, negativeShare: 0.8 },
      ],
    });
    const listening = new MemoryListeningStore();
    await listening.putListeningSettings(
      { ...SETTINGS, autoHold: true },
      WEEK_START.toISOString(),
      undefined,
    );
    const published: PulsecastEvent[] = [];
    let now = new Date(spikeStart.getTime() - 3_600_000);
    const run = async () => {
      // What the Listener has stored by now: every post created before this run.
      for (const post of subjectPosts(
        conversation,
        5,
        'bluesky',
        new Date(now.getTime() - 8 * 86_400_000),
        now,
      )) {
        await listening.putMention(asMention(post));
      }
      return detectSpikes({
        listening,
        events: { publish: async (e) => void published.push(...e) },
        now: () => now,
      });
    };

    for (let t = 0; t < 12; t++) {
      now = new Date(now.getTime() + 5 * 60_000);
      await run();
    }
    expect(published).toHaveLength(0);
    // Two runs after the spike began (10:05 and 10:10).
    now = new Date(spikeStart.getTime());
    for (let t = 0; t < 2; t++) {
      now = new Date(now.getTime() + 5 * 60_000);
      await run();
    }
    const detected = published.filter((e) => e.type === 'Mention Spike Detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]?.detail).toMatchObject({ subject: 'brand', platform: 'bluesky', autoHold: true });
    const detail = detected[0]?.detail as {
      negativeShare: number;
      samples: unknown[];
      count: number;
      baseline: number;
    };
    // The window holds the first minutes of the spike and some ordinary posts around it.
    expect(detail.negativeShare).toBeGreaterThan(0.2);
    expect(detail.samples).toHaveLength(3);
    expect(sentimentOf((detail.samples[0] as { text: string }).text).score).toBeLessThan(0);
    expect(detail.count).toBeGreaterThan(detail.baseline * 5);

    // The rest of the spike and two hours after it: no second Detected, one Ended.
    for (let t = 0; t < 40; t++) {
      now = new Date(now.getTime() + 5 * 60_000);
      await run();
    }
    expect(published.filter((e) => e.type === 'Mention Spike Detected')).toHaveLength(1);
    const ended = published.filter((e) => e.type === 'Mention Spike Ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]?.detail).toMatchObject({
      episodeId: (detected[0]?.detail as { episodeId: string } | undefined)?.episodeId,
    });
  });

  it('raises at most one false alarm over 20 seeds of a quiet week', () => {
    const conversation = ConversationConfig.parse(QUIET);
    let alarms = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const begin = WEEK_START.getTime();
      const times = subjectPosts(
        conversation,
        seed,
        'bluesky',
        new Date(begin - 7 * 86_400_000),
        WEEK_END,
      ).map((p) => p.createdAt.getTime());
      let open = false;
      for (let at = begin; at <= WEEK_END.getTime(); at += 5 * 60_000) {
        const window = assessWindow(times, at);
        if (!open && window.high) {
          alarms++;
          open = true;
        } else if (open && window.settled) open = false;
      }
    }
    expect(alarms).toBeLessThanOrEqual(1);
  });
});

describe('ListeningSettings', () => {
  it('refuses a subject with nothing to listen for, a duplicate id and an unknown platform', () => {
    const result = ListeningSettings.safeParse({
      brand: { name: 'Acme' },
      competitors: [{ id: 'brand', name: 'Other', terms: ['x1'] }],
      platforms: ['myspace'],
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['platforms.0']));
  });

  it('finds subjects by whole words, not inside other words', () => {
    const subjects = subjectsOf(SETTINGS);
    expect(subjectsIn('I use AcmeCloud daily', subjects)).toEqual(['brand']);
    expect(subjectsIn('notacmecloudatall', subjects)).toEqual([]);
  });
});
