import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AudienceModel,
  type AudiencePost,
  DEFAULT_CHANNEL_AUDIENCE,
  loadSimulatorConfig,
  parseSimulatorConfig,
} from '../../local/simulators/audience.ts';

const HOUR = 3_600_000;
/** Tuesday 2026-12-08, 09:30 in Berlin. */
const TUESDAY_MORNING_BERLIN = new Date('2026-12-08T08:30:00.000Z');

function post(overrides: Partial<AudiencePost> = {}): AudiencePost {
  return {
    id: '1860000000000000001',
    channel: 'x-main',
    publishedAt: TUESDAY_MORNING_BERLIN,
    text: 'Hello',
    ...overrides,
  };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('AudienceModel', () => {
  it('is deterministic from the seed and the post id', () => {
    const a = new AudienceModel({ seed: 42 });
    const b = new AudienceModel({ seed: 42 });
    const other = new AudienceModel({ seed: 43 });
    const at = new Date(TUESDAY_MORNING_BERLIN.getTime() + 24 * HOUR);

    expect(a.engagementAt(post(), at)).toEqual(b.engagementAt(post(), at));
    expect(a.engagementAt(post(), at)).not.toEqual(a.engagementAt(post({ id: '1860000000000000002' }), at));
    expect(a.engagementAt(post(), at)).not.toEqual(other.engagementAt(post(), at));
  });

  it('starts at zero, grows with the post age and levels off at the final numbers', () => {
    const model = new AudienceModel({ seed: 1, hourOfWeek: [] });
    const p = post({ link: 'https://example.com' });
    const at = (hours: number) => model.engagementAt(p, new Date(p.publishedAt.getTime() + hours * HOUR));

    expect(Object.values(at(0)).every((v) => v === 0)).toBe(true);
    expect(at(2).reach).toBeLessThan(at(12).reach);
    expect(at(12).reach).toBeLessThan(at(48).reach);
    expect(at(30 * 24)).toEqual(model.finalEngagement(p));
    expect(at(60 * 24)).toEqual(at(30 * 24));
  });

  it('never lets a number go down as time passes', () => {
    const model = new AudienceModel({ seed: 9 });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 40 * 24 * 60 }), { minLength: 2, maxLength: 8 }),
        (id, minutes) => {
          const p = post({ id, link: 'https://example.com', media: [{ kind: 'video' }] });
          const readings = [...minutes]
            .sort((x, y) => x - y)
            .map((m) => model.engagementAt(p, new Date(p.publishedAt.getTime() + m * 60_000)));
          for (let i = 1; i < readings.length; i++) {
            for (const key of Object.keys(readings[i] ?? {}) as (keyof (typeof readings)[number])[]) {
              expect(readings[i]?.[key]).toBeGreaterThanOrEqual(readings[i - 1]?.[key] ?? 0);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("applies hour-of-week multipliers in the channel's own time zone", () => {
    const model = new AudienceModel({
      channels: { 'x-main': { timezone: 'Europe/Berlin' } },
      hourOfWeek: [{ day: 'TUE', from: '09:00', to: '11:00', multiplier: 3 }],
    });

    expect(model.hourMultiplier('x-main', TUESDAY_MORNING_BERLIN)).toBe(3);
    // 10:30 UTC is 11:30 in Berlin: outside the window, though inside it in UTC.
    expect(model.hourMultiplier('x-main', new Date('2026-12-08T10:30:00.000Z'))).toBe(1);
    expect(model.hourMultiplier('other', new Date('2026-12-08T10:30:00.000Z'))).toBe(3);
  });

  it('gives a good posting window real signal: posts in it reach about three times as many people', () => {
    const model = new AudienceModel({
      seed: 5,
      channels: { 'x-main': { timezone: 'Europe/Berlin', baseReach: 2000 } },
      hourOfWeek: [{ day: 'TUE', from: '09:00', to: '11:00', multiplier: 3 }],
    });
    const final = (publishedAt: Date, i: number) =>
      model.finalEngagement(post({ id: `p${i}`, publishedAt })).reach;
    const inWindow = Array.from({ length: 200 }, (_, i) => final(TUESDAY_MORNING_BERLIN, i));
    const outside = Array.from({ length: 200 }, (_, i) =>
      final(new Date('2026-12-08T14:00:00.000Z'), i + 1000),
    );

    expect(mean(inWindow) / mean(outside)).toBeGreaterThan(2.5);
    expect(mean(inWindow) / mean(outside)).toBeLessThan(3.5);
  });

  it('reads tags from hashtags and media, and multiplies engagement by them', () => {
    const model = new AudienceModel({ seed: 2, hourOfWeek: [], tags: { video: 2, '#Launch': 1.5 } });
    const engagement = (p: AudiencePost) => {
      const e = model.finalEngagement(p);
      return e.likes + e.comments + e.shares + e.saves;
    };
    const plain = Array.from({ length: 200 }, (_, i) => engagement(post({ id: `a${i}` })));
    const video = Array.from({ length: 200 }, (_, i) =>
      engagement(post({ id: `b${i}`, media: [{ kind: 'video' }] })),
    );

    expect(model.tagsOf({ text: 'Big #launch today #LAUNCH #tips', media: [{ kind: 'image' }] })).toEqual([
      'image',
      'launch',
      'tips',
    ]);
    expect(model.tagMultiplier({ text: '#launch', media: [{ kind: 'video' }] })).toBe(3);
    expect(mean(video) / mean(plain)).toBeGreaterThan(1.7);
    expect(mean(video) / mean(plain)).toBeLessThan(2.3);
  });

  it('clicks only on posts with a link, and converts a share of the clicks', () => {
    const model = new AudienceModel({
      seed: 3,
      hourOfWeek: [],
      channels: { 'x-main': { baseReach: 100_000, clickThroughRate: 0.02, conversionRate: 0.1 } },
    });

    const withoutLink = model.finalEngagement(post({ text: 'no link here' }));
    const withLink = model.finalEngagement(post({ text: 'read https://shop.example.com/a?utm_content=p1' }));

    expect(withoutLink.clicks).toBe(0);
    expect(withoutLink.conversions).toBe(0);
    expect(withLink.clicks).toBeGreaterThan(0);
    expect(withLink.conversions / withLink.clicks).toBeCloseTo(0.1, 2);
  });

  it('lists each conversion with a stable id, in time order, agreeing with the counts', () => {
    const model = new AudienceModel({
      seed: 4,
      hourOfWeek: [],
      channels: {
        'x-main': { baseReach: 50_000, clickThroughRate: 0.02, conversionRate: 0.05, conversionValue: 40 },
      },
    });
    const p = post({ text: 'buy https://shop.example.com/?utm_content=post-1' });
    const at = new Date(p.publishedAt.getTime() + 10 * HOUR);

    const conversions = model.conversionsFor(p, at);
    const all = model.conversionsFor(p);

    expect(conversions).toHaveLength(model.engagementAt(p, at).conversions);
    expect(all).toHaveLength(model.finalEngagement(p).conversions);
    expect(all.slice(0, conversions.length)).toEqual(conversions);
    expect(conversions.every((c) => c.occurredAt <= at && c.occurredAt > p.publishedAt)).toBe(true);
    expect([...conversions].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())).toEqual(
      conversions,
    );
    expect(conversions[0]).toMatchObject({
      id: 'x-main-1860000000000000001-conversion-1',
      link: 'https://shop.example.com/?utm_content=post-1',
    });
    expect(conversions.every((c) => c.value >= 20 && c.value <= 60)).toBe(true);
  });
});

describe('simulator config', () => {
  it('fills in defaults for anything left out', () => {
    const config = parseSimulatorConfig({ channels: { 'x-main': { baseReach: 5000 } } });
    const model = new AudienceModel(config);

    expect(config.seed).toBe(42);
    expect(config.hourOfWeek.length).toBeGreaterThan(0);
    expect(model.channel('x-main')).toEqual({ ...DEFAULT_CHANNEL_AUDIENCE, baseReach: 5000 });
    expect(model.channel('unknown')).toEqual(DEFAULT_CHANNEL_AUDIENCE);
  });

  it('reads the file named by PULSECAST_SIMULATOR_CONFIG and says what is wrong with a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-sim-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(
      good,
      JSON.stringify({
        seed: 42,
        channels: {
          'x-main': { baseReach: 1000, engagementRate: 0.03, clickThroughRate: 0.01, conversionRate: 0.02 },
        },
        hourOfWeek: [{ day: 'TUE', from: '09:00', to: '11:00', multiplier: 3 }],
        tags: { video: 2 },
      }),
    );
    writeFileSync(
      bad,
      JSON.stringify({ hourOfWeek: [{ day: 'TUESDAY', from: '9', to: '11:00', multiplier: 3 }] }),
    );

    const config = loadSimulatorConfig({ PULSECAST_SIMULATOR_CONFIG: good });

    expect(config.tags).toEqual({ video: 2 });
    expect(config.hourOfWeek).toEqual([{ day: 'TUE', from: '09:00', to: '11:00', multiplier: 3 }]);
    expect(loadSimulatorConfig({}).seed).toBe(42);
    expect(() => loadSimulatorConfig({ PULSECAST_SIMULATOR_CONFIG: bad })).toThrow(/hourOfWeek\.0\.day/);
  });
});
