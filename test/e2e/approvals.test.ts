import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startLocalProcess } from '../support/local-process.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read as loose JSON and checked by assertion
type Json = any;

/**
 * Approvals end to end in local mode, over HTTP and the outbox only: a calendar on a channel with a
 * two-step rule, the requests in the outbox, approval through the emailed links, publication on
 * time; a post left pending is APPROVAL_MISSED and never reaches the platform.
 */
let local: LocalProcess;

beforeAll(async () => {
  local = await startLocalProcess({ timeoutMs: 90_000 });
}, 120_000);

afterAll(async () => {
  expect(await local?.stop()).toBe(0);
});

const api = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${local.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Json };
};
const sendJson = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const advance = (by: string) => sendJson('POST', '/_local/clock/advance', { by });

/** The decoded text part of every email in the outbox sent to `to`. */
function emailsTo(to: string): string[] {
  const dir = join(local.dataDir, 'outbox');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .filter((eml) => new RegExp(`^To: .*${to.replace('.', '\\.')}`, 'm').test(eml))
    .map(decodeTextPart);
}

/** The quoted-printable text/plain part of a MIME message, decoded. */
function decodeTextPart(eml: string): string {
  const start = eml.indexOf('Content-Type: text/plain');
  const body = eml.slice(eml.indexOf('\r\n\r\n', start) + 4, eml.indexOf('\r\n--', start));
  const bytes = body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function linksIn(text: string, postId: string): { approve: string; changes: string } {
  const urls = [...text.matchAll(/http:\/\/127\.0\.0\.1:\d+\/v1\/approvals\/[^\s]+/g)].map(
    (m) => new URL(m[0]),
  );
  const pick = (decision: string) => {
    const url = urls.find(
      (u) => u.pathname === `/v1/approvals/${postId}/link` && u.searchParams.get('decision') === decision,
    );
    if (!url) throw new Error(`no ${decision} link for ${postId} in:\n${text}`);
    return `${url.pathname}${url.search}`;
  };
  return { approve: pick('approve'), changes: pick('request-changes') };
}

async function decideThrough(link: string, decision: string) {
  const token = new URL(link, local.url).searchParams.get('token') ?? '';
  return api(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, decision }).toString(),
  });
}

describe('local mode: approvals', () => {
  it('requests sign-off by email, publishes on time once approved through the links, and never publishes a post left pending', async () => {
    const channel = (await api('/v1/channels/x-main')).json();
    const { id, platform, handle, timezone, secretRef, apiBaseUrl } = channel;
    const rule = {
      steps: [
        { name: 'legal', approvers: ['lea@example.com', 'lou@example.com'], required: 1 },
        { name: 'client', approvers: ['cat@example.com'], required: 1 },
      ],
    };
    const bad = await sendJson(
      'PUT',
      '/v1/channels/x-main',
      {
        id,
        platform,
        handle,
        timezone,
        secretRef,
        apiBaseUrl,
        approval: { steps: [{ name: 'x', approvers: ['a@example.com'], required: 3 }] },
      },
      { 'if-match': `"${channel.version}"` },
    );
    expect(bad.status).toBe(422);
    expect(bad.json().errors[0].column).toBe('approval.steps.0.required');
    const put = await sendJson(
      'PUT',
      '/v1/channels/x-main',
      { id, platform, handle, timezone, secretRef, apiBaseUrl, approval: rule },
      { 'if-match': `"${channel.version}"` },
    );
    expect(put.status, put.text).toBe(200);

    const now = Date.parse((await api('/_local/clock')).json().now);
    const at = (minutes: number) =>
      new Date(Math.ceil((now + minutes * 60_000) / 60_000) * 60_000).toISOString();
    const upload = await sendJson('POST', '/v1/calendars', {
      posts: [
        { id: 'appr-yes', channel: 'x-main', scheduledAt: at(90), text: 'Approved through the links 🎉' },
        { id: 'appr-no', channel: 'x-main', scheduledAt: at(120), text: 'Nobody signs this one off' },
      ],
    });
    expect(upload.status, upload.text).toBe(201);
    expect(upload.json().posts.map((p: Json) => p.pendingApproval)).toEqual([true, true]);
    expect((await api('/v1/posts/appr-yes')).json().status).toBe('PENDING_APPROVAL');

    // The next Dispatcher run sends step 1's requests: one email per approver, with their links.
    await advance('PT2M');
    const toLea = emailsTo('lea@example.com');
    expect(toLea.length).toBe(2);
    expect(emailsTo('lou@example.com').length).toBe(2);
    const leaYes = toLea.find((text) => text.includes('appr-yes')) ?? '';
    expect(leaYes).toContain('Approved through the links 🎉');
    const { approve } = linksIn(leaYes, 'appr-yes');

    const page = await api(approve);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Approved through the links 🎉');
    expect((await decideThrough(approve, 'approve')).status).toBe(200);
    // The same link again: refused, nothing changes.
    const again = await decideThrough(approve, 'approve');
    expect(again.status).toBe(409);

    // Step 2's request goes to the client, who approves through their own link.
    await advance('PT1M');
    const toCat = emailsTo('cat@example.com').find((text) => text.includes('appr-yes')) ?? '';
    expect(toCat).toContain('step 2 of 2');
    expect((await decideThrough(linksIn(toCat, 'appr-yes').approve, 'approve')).status).toBe(200);
    const approved = (await api('/v1/posts/appr-yes')).json();
    expect(approved.status).toBe('SCHEDULED');
    expect(approved.approvalLog.map((e: Json) => `${e.action}:${e.by}`)).toEqual([
      'submitted:api',
      'approved:lea@example.com',
      'step-approved:system',
      'approved:cat@example.com',
      'step-approved:system',
    ]);
    const pending = (await api('/v1/approvals?status=pending')).json();
    expect(pending.items.map((p: Json) => p.id)).toEqual(['appr-no']);

    // Past both posts' times.
    const advanced = await advance('PT2H30M');
    expect(advanced.status).toBe(200);
    const published = (await api('/v1/posts/appr-yes')).json();
    expect(published.status).toBe('PUBLISHED');
    expect(Date.parse(published.publishedAt) - Date.parse(published.scheduledAt)).toBeLessThan(60_000);
    const missed = (await api('/v1/posts/appr-no')).json();
    expect(missed.status).toBe('APPROVAL_MISSED');
    expect(missed.approvalLog.at(-1)).toMatchObject({ action: 'missed', by: 'system' });

    // Only the approved post reached the platform, and a person heard about the missed one.
    const sims = /simulators\s+(.*)/.exec(local.output())?.[1] ?? '';
    const onPlatforms: { text: string }[] = [];
    for (const [url] of sims.matchAll(/http:\/\/127\.0\.0\.1:\d+/g))
      onPlatforms.push(...((await (await fetch(`${url}/_sim/posts`)).json()) as { text: string }[]));
    expect(onPlatforms.filter((p) => p.text.startsWith('Approved through the links'))).toHaveLength(1);
    expect(onPlatforms.some((p) => p.text.startsWith('Nobody signs'))).toBe(false);
    expect(
      emailsTo('team@pulsecast.local').some((text) => text.includes('appr-no was not approved in time')),
    ).toBe(true);

    // The trail is in the CSV export too.
    const csv = await api('/v1/calendar.csv');
    expect(csv.text).toContain('approval_trail');
    expect(csv.text).toContain('approved by cat@example.com step client via link');
  });
});
