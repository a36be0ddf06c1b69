import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartRoute } from '../../local/charts.ts';
import {
  localNotifications,
  localNotifyContext,
  OutboxEmailSender,
  SmtpEmailSender,
} from '../../local/outbox.ts';
import { FileChartHost } from '../../shared/notify/chart-host.ts';
import { NotifyConfig } from '../../shared/notify/config.ts';
import { composeMime } from '../../shared/notify/mime.ts';
import { notify } from '../../shared/notify/notifier.ts';
import type { OutgoingEmail } from '../../shared/notify/port.ts';
import { synthPulsecast } from '../infra/helpers.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { FakeSlack } from './slack-server.ts';
import { decodePng, eventOf, expectWithinSlackLimits, NOW } from './support.ts';

const config = NotifyConfig.parse({
  workspaces: [
    {
      id: 'local',
      routes: [{ events: ['Post Failed'], slack: ['default'], email: ['team@pulsecast.local'] }],
      digest: { slack: ['default'], email: ['team@pulsecast.local'] },
    },
  ],
});

/** The smallest SMTP server that accepts one message and keeps its DATA (RFC 5321, no TLS). */
class TinySmtp {
  readonly messages: { from: string; to: string[]; data: string }[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((socket) => {
      let buffer = '';
      let inData = false;
      let current = { from: '', to: [] as string[], data: '' };
      socket.write('220 tiny ESMTP\r\n');
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        for (;;) {
          if (inData) {
            const end = buffer.indexOf('\r\n.\r\n');
            if (end < 0) return;
            // Undo dot-stuffing (RFC 5321 §4.5.2).
            current.data = buffer.slice(0, end + 2).replace(/^\.\./gm, '.');
            buffer = buffer.slice(end + 5);
            inData = false;
            this.messages.push(current);
            current = { from: '', to: [], data: '' };
            socket.write('250 queued\r\n');
            continue;
          }
          const newline = buffer.indexOf('\r\n');
          if (newline < 0) return;
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 2);
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO' || verb === 'HELO') socket.write('250 tiny\r\n');
          else if (verb === 'MAIL') {
            current.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
            socket.write('250 ok\r\n');
          } else if (verb === 'RCPT') {
            current.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
            socket.write('250 ok\r\n');
          } else if (verb === 'DATA') {
            inData = true;
            socket.write('354 go ahead\r\n');
          } else if (verb === 'QUIT') {
            socket.end('221 bye\r\n');
          } else socket.write('250 ok\r\n');
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const smtp = new TinySmtp();
const slack = new FakeSlack();
beforeAll(async () => {
  await smtp.start();
  await slack.start();
});
afterAll(async () => {
  await smtp.stop();
  await slack.stop();
});

function deps(dir: string, env: NodeJS.ProcessEnv = {}) {
  const local = localNotifications(dir, env, () => new Date(NOW));
  return {
    local,
    deps: {
      config,
      store: new MemoryStore(),
      slack: local.slack,
      email: local.email,
      sender: local.sender,
      charts: new FileChartHost(join(dir, 'charts'), () => 'http://127.0.0.1:4000'),
      now: () => new Date(NOW),
    },
  };
}

/** The MIME parts of a raw message, split at its boundaries (enough to find each part). */
function parts(eml: string): { headers: string; body: string }[] {
  const boundaries = [...eml.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1] as string);
  let sections = [eml];
  for (const boundary of boundaries) sections = sections.flatMap((s) => s.split(`--${boundary}`));
  return sections.map((s) => {
    const split = s.search(/\r?\n\r?\n/);
    return { headers: s.slice(0, split), body: s.slice(split).trim() };
  });
}

describe('local mode outbox', () => {
  it('writes each Slack message as its JSON payload and each email as an .eml a mail client opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-outbox-'));
    const { deps: d, local } = deps(dir);

    await notify(eventOf('Post Failed'), d);
    await notify(eventOf('Post Failed'), d); // a re-delivery writes nothing new

    const files = readdirSync(local.outbox).sort();
    expect(files).toEqual([
      '2026-12-10T09-00-00-000Z-notify_evt-post-failed_email_team_pulsecast.local.eml',
      '2026-12-10T09-00-00-000Z-notify_evt-post-failed_slack_default_0.json',
    ]);
    const payload = JSON.parse(readFileSync(join(local.outbox, files[1] ?? ''), 'utf8'));
    expect(payload.blocks[0]).toMatchObject({ type: 'header' });

    const eml = readFileSync(join(local.outbox, files[0] ?? ''), 'utf8');
    expect(eml).toMatch(/^From: Pulsecast <pulsecast@pulsecast\.local>$/m);
    expect(eml).toMatch(/^To: team@pulsecast\.local$/m);
    expect(eml).toMatch(/^Subject: /m);
    expect(eml).toMatch(/^List-Unsubscribe: <mailto:pulsecast@pulsecast\.local\?subject=unsubscribe>$/m);
    expect(
      parts(eml)
        .map((p) => /Content-Type: ([^;\r\n]+)/.exec(p.headers)?.[1])
        .filter(Boolean),
    ).toEqual(['multipart/alternative', 'text/plain', 'text/html']);
  });

  it('writes a digest email whose inline chart decodes, and its Slack message with the chart beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-outbox-'));
    const { deps: d, local } = deps(dir);
    const goal = {
      campaignId: 'spring',
      goalId: 'clicks',
      metric: 'clicks',
      direction: 'atLeast' as const,
      status: 'ON_TRACK',
      target: 100,
      current: 40,
      expected: 35,
      window: { from: '2026-12-01', to: '2026-12-31' },
      points: [
        { date: '2026-12-01', pace: 3, actual: 5 },
        { date: '2026-12-09', pace: 29, actual: 40 },
      ],
    };
    await d.store.putDigest({
      id: 'digest-local-daily-2026-12-09',
      workspaceId: 'local',
      period: 'daily',
      from: '2026-12-09T00:00:00.000Z',
      to: '2026-12-10T00:00:00.000Z',
      createdAt: NOW,
      content: {
        id: 'digest-local-daily-2026-12-09',
        workspaceId: 'local',
        workspaceName: 'Local',
        period: 'daily',
        timezone: 'UTC',
        from: '2026-12-09T00:00:00.000Z',
        to: '2026-12-10T00:00:00.000Z',
        label: 'Wed 9 Dec 2026',
        createdAt: NOW,
        counts: { published: 1, failed: 0, unknown: 0, upcoming: 0 },
        byChannel: [],
        failures: [],
        rankedBy: 'engagements',
        top: [],
        bottom: [],
        goals: [goal],
        recommendations: [],
      },
    });
    const ready = eventOf('Digest Ready', { eventId: 'digest-local-daily-2026-12-09' });
    await notify({ ...ready, detail: { ...ready.detail, digestId: 'digest-local-daily-2026-12-09' } }, d);

    const files = readdirSync(local.outbox).sort();
    // Slack's image block points at the chart local mode serves.
    const slackJson = JSON.parse(
      readFileSync(join(local.outbox, files.find((f) => f.endsWith('.json')) ?? ''), 'utf8'),
    ) as { blocks: { type: string; image_url?: string }[] };
    const images = slackJson.blocks.filter((b) => b.type === 'image');
    expect(images.map((b) => b.image_url)).toEqual([
      'http://127.0.0.1:4000/_local/charts?key=digest-local-daily-2026-12-09%2Fgoal-spring-clicks.png',
    ]);
    // Every image URL resolves to a PNG through local mode's chart route; anything else is a 404.
    const route = chartRoute(new FileChartHost(join(dir, 'charts'), () => 'http://127.0.0.1:4000'));
    for (const { image_url } of images) {
      const key = new URL(image_url ?? '').searchParams.get('key') ?? '';
      const served = await route({ queryStringParameters: { key } } as never);
      expect(served).toMatchObject({ statusCode: 200, isBase64Encoded: true });
      decodePng(Buffer.from(String(served.body), 'base64'));
    }
    for (const key of ['../secrets.json', 'digest-local-daily-2026-12-09/missing.png']) {
      expect((await route({ queryStringParameters: { key } } as never)).statusCode).toBe(404);
    }
    for (const payload of files.filter((f) => f.endsWith('.json'))) {
      expectWithinSlackLimits(JSON.parse(readFileSync(join(local.outbox, payload), 'utf8')));
    }

    const eml = readFileSync(join(local.outbox, files.find((f) => f.endsWith('.eml')) ?? ''), 'utf8');
    expect(eml).toMatch(/^Precedence: bulk\r$/m);
    // CRLF only, and a standards parser finds both parts and the chart.
    expect(eml.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    const mail = await PostalMime.parse(eml);
    expect(mail.text).toContain('GOALS');
    expect(mail.html).toContain('cid:goal-spring-clicks@pulsecast');
    expect(mail.attachments.map((a) => a.mimeType)).toContain('image/png');
    const image = parts(eml).find((p) => /Content-Type: image\/png/.test(p.headers));
    expect(image?.headers).toMatch(/Content-ID: <goal-spring-clicks@pulsecast>/);
    expect(image?.headers).toMatch(/Content-Disposition: inline/);
    expect(
      decodePng(Buffer.from(image?.body.replace(/\s+/g, '') ?? '', 'base64')).width,
    ).toBeGreaterThanOrEqual(600);
  });

  it('sends through a real SMTP server when PULSECAST_SMTP_URL is set: the same bytes as the .eml', async () => {
    const sender = new SmtpEmailSender(`smtp://127.0.0.1:${smtp.port}`);
    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-outbox-'));
    const { deps: d } = deps(dir);
    const email: OutgoingEmail = {
      from: d.sender,
      to: 'team@pulsecast.local',
      content: {
        subject: '[Pulsecast] Hi',
        html: '<!DOCTYPE html><html><body>.Hi</body></html>',
        text: '.Hi\n',
        images: [],
        bulk: false,
      },
      headers: { 'Auto-Submitted': 'auto-generated' },
      messageId: '<m@pulsecast.local>',
      date: new Date(NOW),
      key: 'k',
    };
    try {
      await sender.send(email);
    } finally {
      sender.close();
    }
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({
      from: 'pulsecast@pulsecast.local',
      to: ['team@pulsecast.local'],
    });
    const raw = (await composeMime(email)).toString('utf8');
    const normalise = (text: string) =>
      text
        .replace(/\r\n/g, '\n')
        .replace(/boundary="[^"]+"|--_NmP-[\w-]+/g, 'B')
        .trim();
    expect(normalise(smtp.messages[0]?.data ?? '')).toBe(normalise(raw));

    await new OutboxEmailSender(dir, () => new Date(NOW)).send(email);
  });

  it('posts to a real Slack webhook when PULSECAST_SLACK_WEBHOOK_URL is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecast-outbox-'));
    const { deps: d, local } = deps(dir, { PULSECAST_SLACK_WEBHOOK_URL: slack.webhook('local') });
    await notify(eventOf('Post Failed', { eventId: 'evt-real-webhook' }), d);
    expect(slack.requests).toHaveLength(1);
    expect(local.describe.slack).toMatch(/PULSECAST_SLACK_WEBHOOK_URL/);
  });

  it('gives local mode a synth context whose rules route alerts to the outbox', () => {
    const { stack } = synthPulsecast({
      nag: false,
      context: localNotifyContext({ PULSECAST_TIMEZONE: 'Europe/Berlin' }),
    });
    expect(stack.notifying.rules.map((r) => r.node.id)).toEqual([
      'ImmediateRule',
      'GoalStatusRule',
      'DigestReadyRule',
    ]);
  });
});
