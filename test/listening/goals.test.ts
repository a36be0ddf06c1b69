import { describe, expect, it } from 'vitest';
import {
  ConversationConfig,
  type ConversationPost,
  repliesToOurPosts,
  subjectPosts,
  teamReplies,
} from '../../local/simulators/conversation.ts';
import type { Goal } from '../../shared/domain/index.ts';
import { evaluateListeningGoal, type ListeningFacts } from '../../shared/goals/listening.ts';
import type { Mention } from '../../shared/listening/model.ts';
import { ListeningSettings } from '../../shared/listening/settings.ts';
import { mentionOf } from './support.ts';

const SETTINGS = ListeningSettings.parse({
  brand: { name: 'Acme', terms: ['acmecloud'] },
  competitors: [{ id: 'globex', name: 'Globex', terms: ['globexhost'] }],
  platforms: ['bluesky'],
});
const CONVERSATION = ConversationConfig.parse({
  subjects: { brand: { term: 'acmecloud', perHour: 4 }, globex: { term: 'globexhost', perHour: 6 } },
  repliesToOurPosts: { perPost: 2 },
  teamReplies: { share: 0.6, medianMinutes: 45 },
});
const FROM = new Date('2027-03-01T00:00:00.000Z');
const NOW = new Date('2027-03-08T00:00:00.000Z');

function facts(): ListeningFacts {
  const toMention = (p: ConversationPost, extra: Partial<Mention> = {}) => mentionOf(p, SETTINGS, extra);
  const ours = Array.from({ length: 80 }, (_, i) => ({
    id: `p${i}`,
    publishedAt: new Date(FROM.getTime() + i * 7_200_000),
  }));
  const inbound = repliesToOurPosts(CONVERSATION, 1, ours, NOW);
  return {
    settings: SETTINGS,
    mentions: [
      ...subjectPosts(CONVERSATION, 1, 'bluesky', FROM, NOW).map((p) => toMention(p)),
      ...inbound.map((p) => toMention(p, { inbound: { channel: 'bsky-main', kind: 'reply' } })),
    ],
    replies: teamReplies(CONVERSATION, 1, inbound, NOW).map((a) => ({
      platform: 'bluesky',
      id: a.id,
      channel: 'bsky-main',
      createdAt: a.createdAt.toISOString(),
      replyTo: a.replyTo ?? '',
    })),
  };
}

const goal = (metric: Goal['metric'], direction: Goal['direction'], value: number): Goal => ({
  id: metric,
  metric,
  direction,
  target: { kind: 'absolute', value },
  window: { from: '2027-03-01', to: '2027-03-14' },
  scope: {},
});
const base = (g: Goal) => ({
  goalId: g.id,
  metric: g.metric,
  direction: g.direction,
  window: g.window,
  asOfDate: '2027-03-08',
  daysTotal: 14,
  daysElapsed: 7,
});
const evaluate = (g: Goal) => evaluateListeningGoal(g, facts(), NOW, 'UTC', base(g));

describe('listening goals', () => {
  it('measures share of voice in percent and judges it against the target with its band', () => {
    const onTrack = evaluate(goal('shareOfVoice', 'atLeast', 30));
    expect(onTrack.status).toBe('ON_TRACK');
    expect(Math.abs((onTrack.current ?? 0) - 40)).toBeLessThan(3);
    expect(evaluate(goal('shareOfVoice', 'atLeast', 60)).status).toBe('OFF_TRACK');
    expect(evaluate(goal('shareOfVoice', 'atLeast', 40)).forecast?.assumptions.length).toBeGreaterThan(0);
  });

  it('measures the response rate and the median response time of the window so far', () => {
    // Replies to the last hours' posts are not all answered yet: a little under the planted 60 %.
    const rate = evaluate(goal('responseRate', 'atLeast', 40));
    expect(Math.abs((rate.current ?? 0) - 60)).toBeLessThan(8);
    expect(rate.status).toBe('ON_TRACK');
    const time = evaluate(goal('responseTimeMinutes', 'atMost', 30));
    expect(Math.abs((time.current ?? 0) - 45) / 45).toBeLessThan(0.2);
    expect(time.status).toBe('OFF_TRACK');
  });

  it('says what is missing without listening data or before the window', () => {
    const g = goal('responseRate', 'atLeast', 50);
    expect(evaluateListeningGoal(g, undefined, NOW, 'UTC', base(g))).toMatchObject({
      status: 'NOT_ENOUGH_DATA',
    });
    expect(
      evaluateListeningGoal(g, facts(), new Date('2027-02-01T00:00:00.000Z'), 'UTC', base(g)).status,
    ).toBe('NOT_STARTED');
  });
});
