import { describe, expect, it } from 'vitest';
import { engagementRate, metricDeltas, unchanged } from '../../shared/measuring/snapshot.ts';

describe('engagement rate', () => {
  it('divides engagements by reach, and says so', () => {
    expect(engagementRate({ reach: 800, impressions: 1000, engagements: 40 })).toEqual({
      engagementRate: 0.05,
      engagementRateBasis: 'reach',
    });
  });

  it('divides by impressions where the platform reports no reach (X)', () => {
    expect(engagementRate({ impressions: 1000, likes: 10, comments: 2 })).toEqual({
      engagementRate: 0.012,
      engagementRateBasis: 'impressions',
    });
  });

  it('is absent, not zero, where there is nothing to divide by (Bluesky, Mastodon) or nobody was reached yet', () => {
    expect(engagementRate({ likes: 4, shares: 1, engagements: 5 })).toBeUndefined();
    expect(engagementRate({ reach: 0, impressions: 10, engagements: 0 })).toBeUndefined();
    expect(engagementRate({ reach: 100 })).toBeUndefined();
  });
});

describe('deltas between snapshots', () => {
  it('are the change per metric, negative when likes are taken back; the first snapshot counts from zero', () => {
    expect(metricDeltas({ likes: 10, reach: 500 }, { likes: 12, reach: 300 })).toEqual({
      likes: -2,
      reach: 200,
    });
    expect(metricDeltas({ likes: 10 })).toEqual({ likes: 10 });
  });

  it('leave out a metric the platform stopped reporting rather than report a fall to zero', () => {
    expect(metricDeltas({ likes: 10 }, { likes: 8, clicks: 4 })).toEqual({ likes: 2 });
  });

  it('tell a post whose numbers stand still', () => {
    expect(unchanged({ likes: 3, reach: 9 }, { reach: 9, likes: 3 })).toBe(true);
    expect(unchanged({ likes: 3 }, { likes: 3, reach: 9 })).toBe(false);
    expect(unchanged({ likes: 3 }, undefined)).toBe(false);
  });
});
