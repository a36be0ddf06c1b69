import { describe, expect, it } from 'vitest';
import { evaluateCampaign } from '../../shared/goals/campaign-evaluation.ts';
import { generate, random, randomSlots } from './generated.ts';
import { goal, makeCampaign } from './helpers.ts';

/**
 * Imported posts beside measured ones (shared/goals/imported-evidence.ts), on calendars generated
 * from the audience model: a third of the measured posts replaced by imported ones with zero
 * public counts and no tags (an account whose past posts got nothing, or whose counts the platform
 * no longer gives), while Pulsecast's own posts are tagged.
 */
const WINDOW = { from: '2027-04-01', to: '2027-05-30' };

function evaluation(seed: number) {
  const rand = random(seed);
  const slots = [...randomSlots(rand, 'x-main', 8, 3), ...randomSlots(rand, 'bsky-main', 8, 2)];
  const { input } = generate(slots, '2027-04-30T07:00:00.000Z', { seed, hourOfWeek: [] }, [
    'x-main',
    'bsky-main',
  ]);
  const posts = input.posts.map((p, i) =>
    i % 3 === 0 && p.metrics
      ? {
          ...p,
          post: { ...p.post, status: 'IMPORTED' as const, origin: 'imported' as const, tags: [] },
          metrics: { likes: 0 },
        }
      : { ...p, post: { ...p.post, tags: ['launch'] } },
  );
  const campaign = makeCampaign({
    id: 'spring',
    goals: [
      goal({
        id: 'eng',
        metric: 'engagements',
        target: { kind: 'absolute', value: 100_000 },
        window: WINDOW,
      }),
    ],
  });
  return evaluateCampaign({ ...input, campaign, posts });
}

describe('imported posts on another footing', () => {
  it('never give a number that is not finite, and no content finding from the origin split', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const result = evaluation(seed);
      const bad: string[] = [];
      JSON.stringify(result, (key, value) => {
        if (typeof value === 'number' && !Number.isFinite(value)) bad.push(key);
        return value;
      });
      expect(bad, `seed ${seed}`).toEqual([]);
      const launch = result.recommendations.filter(
        (r) => r.kind === 'content' && String(r.id).includes('tag:launch'),
      );
      expect(launch, `seed ${seed}`).toEqual([]);
    }
  });
});
