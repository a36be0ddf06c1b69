import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';
import { type EventType, makeEvent, type PulsecastEvent } from '../../shared/events.ts';
import { NotifyConfig } from '../../shared/notify/config.ts';
import { EMAIL_LIMITS, type EmailContent } from '../../shared/notify/email.ts';
import {
  type EmailSender,
  type OutgoingEmail,
  SlackDeliveryError,
  type SlackSender,
} from '../../shared/notify/port.ts';
import { SLACK_LIMITS, type SlackBlock, type SlackPayload } from '../../shared/notify/slack.ts';

export const CONFIG = NotifyConfig.parse({
  workspaces: [
    {
      id: 'marketing',
      name: 'Marketing',
      timezone: 'Europe/Berlin',
      routes: [
        {
          events: [
            'Post Failed',
            'Post Outcome Unknown',
            'Channel Needs Attention',
            'Strategy Adjustment Recommended',
          ],
          slack: ['alerts'],
          email: ['ops@example.com'],
        },
        {
          events: ['Goal Status Changed'],
          statuses: ['AT_RISK', 'OFF_TRACK'],
          slack: ['alerts'],
          email: ['ops@example.com'],
        },
      ],
      digest: { slack: ['digest'], email: ['team@example.com'] },
    },
  ],
});

export class RecordingSlack implements SlackSender {
  readonly sent: { webhook: string; payload: SlackPayload }[] = [];
  failNext = 0;
  delayMs = 0;
  async send(webhook: string, payload: SlackPayload) {
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw new SlackDeliveryError('Slack answered 503', 503, true);
    }
    this.sent.push({ webhook, payload });
  }
}

export class RecordingEmail implements EmailSender {
  readonly sent: OutgoingEmail[] = [];
  async send(email: OutgoingEmail) {
    this.sent.push(email);
  }
}

export const NOW = '2026-12-10T09:00:00.000Z';

/** Text built to break things: over every limit, mentions, markup, header injection, emoji. */
export const NASTY = `<!channel> <!here> <@U123> <script>alert(1)</script> & "quotes"\r\nBcc: evil@example.com\n${'Launch day 🚀 '.repeat(400)}${'長い'.repeat(1500)}`;

/** One event of every type, with the longest, nastiest content its schema allows. */
export function sampleEvents(overrides: { eventId?: string; status?: string } = {}): PulsecastEvent[] {
  const id = (type: string) => overrides.eventId ?? `evt-${type.toLowerCase().replaceAll(' ', '-')}`;
  const post = {
    occurredAt: NOW,
    postId: 'post-0001',
    channel: 'x-main',
    platform: 'x' as const,
    scheduledAt: NOW,
    campaign: 'spring-launch',
  };
  const events: PulsecastEvent[] = [
    makeEvent('Post Published', {
      ...post,
      eventId: id('Post Published'),
      platformPostId: '1234567890',
      platformUrl: `https://x.com/pulsecast/status/1234567890?${'q'.repeat(4000)}`,
      publishedAt: NOW,
      latenessSeconds: 0.4,
    }),
    makeEvent('Post Failed', { ...post, eventId: id('Post Failed'), reason: NASTY, errorKind: 'validation' }),
    makeEvent('Post Outcome Unknown', {
      ...post,
      eventId: id('Post Outcome Unknown'),
      reason: NASTY,
      reconcilable: false,
    }),
    makeEvent('Post Rescheduled', {
      ...post,
      eventId: id('Post Rescheduled'),
      reason: NASTY,
      previousScheduledAt: NOW,
      delaySeconds: 900,
    }),
    makeEvent('Post Metrics Collected', {
      ...post,
      eventId: id('Post Metrics Collected'),
      checkpoint: '24h',
      metrics: { impressions: 123_456, engagements: 789, clicks: 12 },
      deltas: { impressions: 1000 },
    }),
    makeEvent('Goal Status Changed', {
      eventId: id('Goal Status Changed'),
      occurredAt: NOW,
      campaignId: 'spring-launch',
      goalId: 'clicks-q2',
      previousStatus: 'ON_TRACK',
      status: (overrides.status ?? 'OFF_TRACK') as 'OFF_TRACK',
    }),
    makeEvent('Strategy Adjustment Recommended', {
      eventId: id('Strategy Adjustment Recommended'),
      occurredAt: NOW,
      campaignId: 'spring-launch',
      recommendation: {
        id: 'rec-1',
        kind: 'postingWindow',
        summary: NASTY,
        evidence: { sampleSize: 42, uplift: '+35 %', note: NASTY },
      },
    }),
    makeEvent('Digest Ready', {
      eventId: id('Digest Ready'),
      occurredAt: NOW,
      period: 'daily',
      digestId: 'digest-1',
    }),
    makeEvent('Channel Needs Attention', {
      eventId: id('Channel Needs Attention'),
      occurredAt: NOW,
      channel: 'x-main',
      platform: 'x',
      reason: NASTY,
      postId: 'post-0001',
    }),
    makeEvent('Hold Started', {
      eventId: id('Hold Started'),
      occurredAt: NOW,
      holdId: 'hold-20261210t0900-abcdef',
      scope: { channels: ['x-main', 'bsky-main'], campaigns: ['spring-launch'] },
      reason: NASTY,
      createdAt: NOW,
      createdBy: 'arn:aws:iam::123456789012:user/<!channel>',
      episodeId: 'episode-1',
    }),
    makeEvent('Posts Held', {
      eventId: id('Posts Held'),
      occurredAt: NOW,
      holdIds: ['hold-20261210t0900-abcdef'],
      // More than one message lists by name: the rest are counted.
      posts: Array.from({ length: 100 }, (_, i) => ({
        postId: `post-${String(i).padStart(4, '0')}`,
        channel: 'x-main',
        scheduledAt: NOW,
        campaign: 'spring-launch',
      })),
    }),
    makeEvent('Mention Spike Detected', {
      eventId: id('Mention Spike Detected'),
      occurredAt: NOW,
      episodeId: 'brand-bluesky-1',
      subject: 'brand',
      subjectName: NASTY,
      platform: 'bluesky',
      count: 40,
      baseline: 0.75,
      windowMinutes: 15,
      negativeShare: 0.8,
      autoHold: true,
      startedAt: NOW,
      samples: [
        { author: 'someone.bsky.social', text: NASTY, url: 'https://bsky.app/profile/someone/post/1' },
      ],
    }),
    makeEvent('Mention Spike Ended', {
      eventId: id('Mention Spike Ended'),
      occurredAt: NOW,
      episodeId: 'brand-bluesky-1',
      subject: 'brand',
      platform: 'bluesky',
      startedAt: NOW,
      endedAt: NOW,
      peak: 120,
      baseline: 0.75,
      windowMinutes: 15,
    }),
    makeEvent('Approval Requested', {
      ...post,
      eventId: id('Approval Requested'),
      round: 1,
      step: 0,
      stepName: 'legal',
      stepCount: 2,
      required: 1,
      approvers: [{ email: 'lea@example.com', timezone: 'America/New_York' }, { email: 'lou@example.com' }],
      text: NASTY,
      link: 'https://shop.example/spring',
      media: ['https://cdn.example/a.png'],
      timezone: 'Europe/Berlin',
    }),
    makeEvent('Post Approval Missed', {
      ...post,
      eventId: id('Post Approval Missed'),
      stepName: 'legal',
      reason: NASTY,
    }),
  ];
  return events;
}

export function eventOf<T extends EventType>(type: T, overrides: { eventId?: string; status?: string } = {}) {
  const event = sampleEvents(overrides).find((e) => e.type === type);
  if (!event) throw new Error(`no sample ${type}`);
  return event as PulsecastEvent<T>;
}

/** Every text object of a block, with the limit that applies to it. */
function textsOf(block: SlackBlock): { text: string; max: number; where: string }[] {
  switch (block.type) {
    case 'header':
      return [{ text: block.text.text, max: SLACK_LIMITS.headerText, where: 'header' }];
    case 'section':
      return [
        ...(block.text ? [{ text: block.text.text, max: SLACK_LIMITS.sectionText, where: 'section' }] : []),
        ...(block.fields ?? []).map((f) => ({ text: f.text, max: SLACK_LIMITS.fieldText, where: 'field' })),
      ];
    case 'context':
      return block.elements.map((e) => ({ text: e.text, max: SLACK_LIMITS.sectionText, where: 'context' }));
    case 'actions':
      return block.elements.flatMap((e) => [
        { text: e.text.text, max: SLACK_LIMITS.buttonText, where: 'button' },
        'url' in e
          ? { text: e.url, max: SLACK_LIMITS.url, where: 'button url' }
          : { text: e.value, max: 2000, where: 'button value' },
      ]);
    case 'image':
      return [
        { text: block.alt_text, max: SLACK_LIMITS.imageAltText, where: 'alt_text' },
        { text: block.image_url, max: SLACK_LIMITS.url, where: 'image_url' },
      ];
    case 'divider':
      return [];
  }
}

/** Checks a payload against Slack's documented Block Kit limits, independently of the renderer. */
export function expectWithinSlackLimits(payload: SlackPayload): void {
  expect(payload.blocks.length).toBeGreaterThan(0);
  expect(payload.blocks.length).toBeLessThanOrEqual(50);
  expect(payload.text.length).toBeGreaterThan(0);
  expect(payload.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const block of payload.blocks) {
    if (block.type === 'header') expect(block.text.type).toBe('plain_text');
    if (block.type === 'section') {
      expect(block.text !== undefined || (block.fields?.length ?? 0) > 0).toBe(true);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
    }
    if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(10);
    if (block.type === 'actions') expect(block.elements.length).toBeLessThanOrEqual(25);
    for (const { text, max, where } of textsOf(block)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.length, `${where}: ${text.slice(0, 60)}…`).toBeLessThanOrEqual(max);
    }
  }
  // User content never mentions anyone or forges markup.
  const json = JSON.stringify(payload);
  expect(json).not.toMatch(/<!(channel|here|everyone)>|<@U123>|<script/);
}

/** Checks an email against what mail clients need: subject one line, HTML under Gmail's clip. */
export function expectWithinEmailLimits(email: EmailContent): void {
  expect(email.subject.length).toBeGreaterThan(0);
  expect(email.subject.length).toBeLessThanOrEqual(EMAIL_LIMITS.subject);
  expect(email.subject).not.toMatch(/[\r\n]/);
  expect(Buffer.byteLength(email.html)).toBeLessThanOrEqual(EMAIL_LIMITS.htmlBytes);
  expect(Buffer.byteLength(email.text)).toBeLessThanOrEqual(EMAIL_LIMITS.textBytes);
  expect(email.text.trim().length).toBeGreaterThan(0);
  expect(email.html).toMatch(/^<!DOCTYPE html>/);
  expect(email.html).toMatch(/<\/html>$/);
  expect(email.html).not.toMatch(/<script|<style|\son\w+=/i);
  for (const image of email.images) expect(email.html).toContain(`cid:${image.cid}`);
}

/**
 * Decodes a PNG far enough to trust it: signature, every chunk's CRC, IHDR, the inflated image
 * data's size. Independent of the encoder under test.
 */
export function decodePng(png: Buffer): {
  width: number;
  height: number;
  pixels: Buffer;
  bytesPerPixel: number;
} {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    expect(crc32(png.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`).toBe(crc);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      colorType = data[9] ?? -1;
    }
    if (type === 'IDAT') idat.push(data);
    if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  expect(ended).toBe(true);
  const bytesPerPixel = colorType === 2 ? 3 : colorType === 6 ? 4 : 0;
  expect(bytesPerPixel).toBeGreaterThan(0);
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width * bytesPerPixel + 1) * height);
  // Undo each row's filter (PNG spec §9: None, Sub, Up, Average, Paeth).
  const stride = width * bytesPerPixel;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? -1;
    expect(filter, `filter of row ${y}`).toBeGreaterThanOrEqual(0);
    expect(filter, `filter of row ${y}`).toBeLessThanOrEqual(4);
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= bytesPerPixel ? (pixels[y * stride + x - bytesPerPixel] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= bytesPerPixel && y > 0 ? (pixels[(y - 1) * stride + x - bytesPerPixel] ?? 0) : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter] ?? 0;
      pixels[y * stride + x] = (value + predictor) & 255;
    }
  }
  return { width, height, pixels, bytesPerPixel };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The chart colours a drawn chart must show, as "r,g,b" (see CHART_COLORS). */
export function hexColour(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `${(n >> 16) & 255},${(n >> 8) & 255},${n & 255}`;
}

/**
 * A chart PNG decodes, is at least 600 px wide (sharp on a phone's 2× screen at 390 px and in a
 * 600 px email column), and shows each of `colours` (e.g. the actual line and the 80 % band).
 */
export function expectChart(png: Buffer, colours: readonly string[]): void {
  const image = decodePng(png);
  expect(image.width).toBeGreaterThanOrEqual(600);
  const seen = new Map<string, number>();
  for (let i = 0; i < image.pixels.length; i += image.bytesPerPixel) {
    const key = `${image.pixels[i]},${image.pixels[i + 1]},${image.pixels[i + 2]}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  // Dozens of pixels of the exact colour: a line or an area, not an antialiased stray.
  for (const hex of colours) expect(seen.get(hexColour(hex)) ?? 0, `pixels of ${hex}`).toBeGreaterThan(50);
}
