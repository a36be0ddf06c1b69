import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import { ApprovalLinks } from '../../shared/approvals/links.ts';
import { EVENT_TYPES } from '../../shared/events.ts';
import { composeMime } from '../../shared/notify/mime.ts';
import { type NotifierDeps, notify } from '../../shared/notify/notifier.ts';
import { unsubscribeLink, verifyUnsubscribe } from '../../shared/notify/unsubscribe.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { type ApiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { CONFIG, eventOf, NOW, RecordingEmail, RecordingSlack, sampleEvents } from './support.ts';

const key = { get: async () => 'k'.repeat(32) };
const API = 'https://abc.execute-api.eu-west-1.amazonaws.com/';

function setup(overrides: Partial<NotifierDeps> = {}) {
  const store = new MemoryStore();
  const email = new RecordingEmail();
  const deps: NotifierDeps = {
    config: CONFIG,
    store,
    email,
    sender: 'Pulsecast <notify@example.com>',
    apiUrl: API,
    unsubscribeKey: key,
    approvalLinks: { links: new ApprovalLinks(key.get), baseUrl: API },
    now: () => new Date(NOW),
    ...overrides,
  };
  return { store, email, deps };
}

/** Every message as the recipient's mail server gets it, parsed by a standards parser. */
async function parsed(email: RecordingEmail) {
  return Promise.all(
    email.sent.map(async (message) => {
      const raw = await composeMime(message);
      return { raw: raw.toString('utf8'), mail: await PostalMime.parse(raw), message };
    }),
  );
}

describe('every email', () => {
  it('parses, has CRLF line ends only, a text and an HTML part, and one-click unsubscribe headers', async () => {
    const { email, deps } = setup();
    // Every event type routed to email at once, plus the digest (below, in the outbox tests).
    const routed = {
      ...CONFIG,
      workspaces: CONFIG.workspaces.map((w) => ({
        ...w,
        routes: [{ events: [...EVENT_TYPES], slack: [], email: ['ops@example.com'] }],
      })),
    };
    for (const event of sampleEvents()) {
      if (event.type === 'Digest Ready') continue;
      await notify(event, { ...deps, config: routed });
    }
    const messages = await parsed(email);
    expect(messages.length).toBeGreaterThanOrEqual(EVENT_TYPES.length - 1);
    for (const { raw, mail, message } of messages) {
      expect(raw.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
      expect(mail.text?.trim().length).toBeGreaterThan(20);
      expect(mail.html).toContain('</html>');
      const headers = new Map(mail.headers.map((h) => [h.key, h.value]));
      expect(headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      const link = /^<(https:[^>]+)>$/.exec(headers.get('list-unsubscribe') ?? '')?.[1];
      expect(link).toBeDefined();
      const url = new URL(link ?? '');
      expect(url.pathname).toBe('/v1/unsubscribe');
      expect(
        await verifyUnsubscribe(key, {
          r: url.searchParams.get('r') ?? '',
          s: url.searchParams.get('s') ?? '',
        }),
      ).toBe(message.to);
      // The plain-text part stands on its own: none of our markup, and the way out is spelled out.
      expect(mail.text).not.toMatch(/<(br|p|table|td|tr|a|strong|h1|h2|ul|li|img)\b/);
      expect(mail.text).toContain(`Unsubscribe: ${link}`);
    }
  });

  it('sends nothing more to a recipient who unsubscribed', async () => {
    const { store, email, deps } = setup({ slack: new RecordingSlack() });
    await store.putRecipientPreference({ address: 'OPS@example.com', unsubscribed: true, updatedAt: NOW });
    const report = await notify(eventOf('Post Failed'), deps);
    expect(report.sent).toContain('notify#evt-post-failed#email#ops@example.com');
    expect(email.sent).toHaveLength(0);
  });
});

describe('unsubscribe links', () => {
  it('are refused when tampered with: another address, a cut signature', async () => {
    const link = new URL(await unsubscribeLink(API, key, 'ops@example.com'));
    const r = link.searchParams.get('r') ?? '';
    const s = link.searchParams.get('s') ?? '';
    await expect(
      verifyUnsubscribe(key, { r: Buffer.from('cmo@example.com').toString('base64url'), s }),
    ).rejects.toThrow(/not valid/);
    await expect(verifyUnsubscribe(key, { r, s: s.slice(1) })).rejects.toThrow(/not valid/);
    await expect(verifyUnsubscribe(key, { r })).rejects.toThrow(/incomplete/);
  });

  it('keep the stage path of the API URL', async () => {
    expect(await unsubscribeLink('https://api.example.com/prod', key, 'a@b.c')).toMatch(
      /^https:\/\/api\.example\.com\/prod\/v1\/unsubscribe\?r=/,
    );
  });
});

describe('GET and POST /v1/unsubscribe', () => {
  let stop: () => Promise<void>;
  let store: DynamoStore;
  let handler: ApiHandler;

  beforeAll(async () => {
    const table = await startHandlerTable();
    stop = () => table.dynamo.stop();
    store = table.store;
    installDeps({ unsubscribeKey: key });
    handler = (await import('../../functions/api/unsubscribe.ts')).handler as unknown as ApiHandler;
  });
  afterAll(async () => {
    await stop();
  });

  it('shows a page on GET without changing anything, and unsubscribes on the one-click POST', async () => {
    const link = new URL(await unsubscribeLink(API, key, 'ops@example.com'));
    const query = { r: link.searchParams.get('r') ?? '', s: link.searchParams.get('s') ?? '' };

    const page = await callApi(handler, 'GET /v1/unsubscribe', { query });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect(await store.getRecipientPreference('ops@example.com')).toBeUndefined();

    const done = await callApi(handler, 'POST /v1/unsubscribe', {
      query,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(done.statusCode).toBe(200);
    expect(await store.getRecipientPreference('ops@example.com')).toMatchObject({ unsubscribed: true });
  });

  it('answers a forged link with 403 and records nothing', async () => {
    const forged = await callApi(handler, 'POST /v1/unsubscribe', {
      query: { r: Buffer.from('cmo@example.com').toString('base64url'), s: 'x'.repeat(43) },
    });
    expect(forged.statusCode).toBe(403);
    expect(JSON.parse(String(forged.body))).toMatchObject({
      type: 'urn:pulsecast:problem:bad-unsubscribe-link',
    });
    expect(await store.getRecipientPreference('cmo@example.com')).toBeUndefined();
  });
});
