import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import type { LocalDynamo } from '../../local/dynamo.ts';
import { ApprovalLinks } from '../../shared/approvals/links.ts';
import { SLACK_ACTIONS } from '../../shared/approvals/requests.ts';
import { sendSlackReply } from '../../shared/approvals/slack-actions.ts';
import { slackSignature } from '../../shared/approvals/slack-signature.ts';
import { uploadCalendar } from '../../shared/calendar/upload.ts';
import { ApprovalRule, type Channel, type Post } from '../../shared/domain/index.ts';
import { StaticWebhookSecret } from '../../shared/measuring/webhook-secret.ts';
import type { DynamoStore } from '../../shared/store/dynamo.ts';
import { type ApiHandler, callApi, startHandlerTable } from '../support/api-handlers.ts';
import { makeChannel } from '../support/fixtures.ts';

const LINK_KEY = 'link-key-0123456789abcdef0123456789';
const SLACK_SECRET = 'slack-signing-0123456789abcdef';
const NOW = Date.parse('2026-12-01T09:00:00.000Z');
const DUE = '2026-12-10T09:00:00.000Z';
let now = NOW;
let dynamo: LocalDynamo;
let store: DynamoStore;
let pages: ApiHandler;
let slack: ApiHandler;
let approvals: ApiHandler;
const links = new ApprovalLinks(async () => LINK_KEY);

beforeAll(async () => {
  ({ dynamo, store } = await startHandlerTable());
  installDeps({
    now: () => new Date(now),
    approvalLinkKey: new StaticWebhookSecret(LINK_KEY),
    slackSigningSecret: new StaticWebhookSecret(SLACK_SECRET),
  });
  pages = (await import('../../functions/api/approval-links.ts')).handler as unknown as ApiHandler;
  slack = (await import('../../functions/api/slack-interactions.ts')).handler as unknown as ApiHandler;
  approvals = (await import('../../functions/api/approvals.ts')).handler as unknown as ApiHandler;
  const approval = ApprovalRule.parse({
    steps: [
      { name: 'legal', approvers: [{ email: 'lea@example.com', slack: 'U0LEA' }, 'lou@example.com'] },
      { name: 'client', approvers: ['cat@example.com'] },
    ],
  });
  await store.putChannel(makeChannel({ id: 'x-main', approval } as Partial<Channel>));
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

let seq = 0;
let id = '';
beforeEach(async () => {
  now = NOW;
  id = `p${++seq}`;
  const body = new TextEncoder().encode(
    JSON.stringify({
      posts: [{ id, channel: 'x-main', scheduledAt: DUE, text: 'Spring <b>sale</b> & more' }],
    }),
  );
  await uploadCalendar({ body, contentType: 'json', dryRun: false }, { store, now: () => new Date(now) });
});

const read = async (postId = id) => (await store.getPost(postId)) as Post;
const link = (claims: Partial<{ p: string; r: number; s: number; a: string; expiresAt: Date }> = {}) =>
  links.sign({ p: id, r: 1, s: 0, a: 'lea@example.com', expiresAt: new Date(DUE), ...claims });

function postForm(token: string, decision: string, postId = id, comment?: string) {
  const body = new URLSearchParams({ token, decision, ...(comment ? { comment } : {}) }).toString();
  return callApi(pages, 'POST /v1/approvals/{id}/link', {
    id: postId,
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html,application/xhtml+xml',
    },
  });
}

describe('the approval page behind an email link', () => {
  it('shows the post, escaped, and a form, with headers that keep the token in; GET decides nothing', async () => {
    const before = await read();
    const page = await callApi(pages, 'GET /v1/approvals/{id}/link', {
      id,
      query: { token: await link(), decision: 'approve' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['referrer-policy']).toBe('no-referrer');
    expect(page.headers?.['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('Spring &lt;b&gt;sale&lt;/b&gt; &amp; more');
    expect(page.body).toContain('value="approve" checked');
    expect(page.body).not.toContain('<b>sale</b>');
    expect(await read()).toEqual(before);
  });

  it('records the approver’s decision once: the same link used again is refused and changes nothing', async () => {
    const token = await link();
    const first = await postForm(token, 'approve');
    expect(first.statusCode).toBe(200);
    const approved = await read();
    expect(approved.approval).toMatchObject({ step: 1 });
    expect(approved.approvalLog?.at(-2)).toMatchObject({
      action: 'approved',
      by: 'lea@example.com',
      via: 'link',
    });

    const second = await postForm(token, 'approve');
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('Nothing was changed');
    expect(await read()).toEqual(approved);
  });

  it('holds single use under a race: of two submissions of one link at once, exactly one counts', async () => {
    const lou = await link({ a: 'lou@example.com' });
    const results = await Promise.all([
      postForm(lou, 'approve'),
      postForm(lou, 'approve'),
      postForm(lou, 'approve'),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    const post = await read();
    expect(post.approvalLog?.filter((e) => e.action === 'approved')).toHaveLength(1);
    expect(post.version).toBe(2);
  });

  it('refuses a link that expired, was signed for another post or another approver, or was altered', async () => {
    const before = await read();
    now = Date.parse('2026-12-05T09:00:00.000Z');
    const expired = await link({ expiresAt: new Date('2026-12-04T09:00:00.000Z') });
    const cases: [string, Promise<{ statusCode?: number; body?: string }>][] = [
      ['expired', postForm(expired, 'approve')],
      ['another post', postForm(await link({ p: 'someone-else' }), 'approve')],
      ['not an approver of the step', postForm(await link({ a: 'cat@example.com' }), 'approve')],
      ['another step', postForm(await link({ s: 1, a: 'cat@example.com' }), 'approve')],
      ['altered', postForm(`${(await link()).slice(0, -2)}AA`, 'approve')],
      [
        'not ours',
        postForm(
          await new ApprovalLinks(async () => 'another-key-0123456789').sign({
            p: id,
            r: 1,
            s: 0,
            a: 'lea@example.com',
            expiresAt: new Date(DUE),
          }),
          'approve',
        ),
      ],
    ];
    const statuses = await Promise.all(cases.map(async ([what, call]) => [what, (await call).statusCode]));
    expect(statuses).toEqual([
      ['expired', 403],
      ['another post', 403],
      ['not an approver of the step', 409],
      ['another step', 409],
      ['altered', 403],
      ['not ours', 403],
    ]);
    expect(await read()).toEqual(before);
  });

  it('refuses a link from before an edit (an earlier round), and a decision after the post fell due', async () => {
    const old = await link();
    const { editPost } = await import('../../shared/calendar/edit.ts');
    await editPost(id, { text: 'Spring sale' }, { store, now: () => new Date(now) });
    const edited = await read();
    expect((await postForm(old, 'approve')).statusCode).toBe(409);
    expect(await read()).toEqual(edited);

    const fresh = await link({ r: 2, expiresAt: new Date(Date.parse(DUE) + 3_600_000) });
    now = Date.parse(DUE) + 1;
    const late = await postForm(fresh, 'approve');
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('fell due');
    expect(await read()).toEqual(edited);
  });

  it('answers a refusal as problem details to a client that does not ask for HTML', async () => {
    const refused = await callApi(pages, 'POST /v1/approvals/{id}/link', {
      id,
      body: new URLSearchParams({ token: 'not.a-token', decision: 'approve' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers?.['content-type']).toContain('application/problem+json');
    expect(JSON.parse(refused.body ?? '{}').type).toBe('urn:pulsecast:problem:approval-link-refused');
  });

  it('asks for a comment before recording a request for changes', async () => {
    const token = await link();
    expect((await postForm(token, 'request-changes')).statusCode).toBe(422);
    expect((await postForm(token, 'request-changes', id, 'the sale ended')).statusCode).toBe(200);
    expect((await read()).approval?.changesRequested).toBe(true);
  });
});

describe('the Slack interactivity endpoint', () => {
  function click(
    options: { user?: string; action?: string; at?: number; secret?: string; value?: object } = {},
  ) {
    const payload = {
      type: 'block_actions',
      user: { id: options.user ?? 'U0LEA' },
      response_url: 'https://example.com/not-slack',
      actions: [
        {
          action_id: options.action ?? SLACK_ACTIONS.approve,
          value: JSON.stringify(options.value ?? { p: id, r: 1, s: 0 }),
        },
      ],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const at = String(options.at ?? Math.floor(Date.now() / 1000));
    return {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': at,
        'X-Slack-Signature': slackSignature(options.secret ?? SLACK_SECRET, at, Buffer.from(body)),
      },
    };
  }
  const send = (request: { body: string; headers: Record<string, string> }) =>
    callApi(slack, 'POST /v1/slack/interactions', request);

  it('records a click by an approver of the step, identified by their Slack user id', async () => {
    const result = await send(click());
    expect(result.statusCode).toBe(200);
    expect((await read()).approvalLog?.at(-2)).toMatchObject({
      action: 'approved',
      by: 'lea@example.com',
      via: 'slack',
    });
  });

  it('refuses a bad signature, a stale timestamp and a tampered body, changing nothing', async () => {
    const before = await read();
    const wrongKey = await send(click({ secret: 'another-secret-0123456789' }));
    const stale = await send(click({ at: Math.floor(Date.now() / 1000) - 6 * 60 }));
    const signed = click();
    const tampered = await send({ ...signed, body: signed.body.replace('U0LEA', 'U0BAD') });
    const unsigned = await send({
      body: signed.body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([wrongKey, stale, tampered, unsigned].map((r) => r.statusCode)).toEqual([401, 401, 401, 401]);
    expect(JSON.parse(stale.body ?? '{}').detail).toContain('more than 5 minutes');
    expect(await read()).toEqual(before);
  });

  it('answers 200 but changes nothing for a Slack user who is not an approver of the step', async () => {
    const before = await read();
    expect((await send(click({ user: 'U0NOBODY' }))).statusCode).toBe(200);
    expect((await send(click({ value: { p: id, r: 1, s: 1 } }))).statusCode).toBe(200);
    expect(await read()).toEqual(before);
  });

  it('replies to the clicking user only through Slack’s own hooks host', async () => {
    const calls: string[] = [];
    const fetcher = (async (url: URL | string) => {
      calls.push(String(url));
      return new Response('ok');
    }) as typeof fetch;
    expect(
      await sendSlackReply({ responseUrl: 'https://hooks.slack.com/actions/T/1/x', text: 'hi' }, fetcher),
    ).toBe(true);
    expect(await sendSlackReply({ responseUrl: 'https://169.254.169.254/latest', text: 'hi' }, fetcher)).toBe(
      false,
    );
    expect(await sendSlackReply({ responseUrl: 'http://hooks.slack.com/x', text: 'hi' }, fetcher)).toBe(
      false,
    );
    expect(calls).toEqual(['https://hooks.slack.com/actions/T/1/x']);
  });
});

describe('the approvals API', () => {
  it('lists pending posts and takes a decision naming the approver (off AWS) or the caller’s IAM identity', async () => {
    const list = await callApi(approvals, 'GET /v1/approvals', { query: { status: 'pending' } });
    expect(JSON.parse(list.body ?? '{}').items.map((p: Post) => p.id)).toContain(id);
    const bad = await callApi(approvals, 'GET /v1/approvals', { query: { status: 'maybe' } });
    expect(bad.statusCode).toBe(400);

    const decided = await callApi(approvals, 'POST /v1/posts/{id}/approval', {
      id,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        decision: 'approve',
        step: 'legal',
        approver: 'lou@example.com',
        comment: 'ok',
      }),
    });
    expect(decided.statusCode).toBe(200);
    expect(JSON.parse(decided.body ?? '{}').review).toMatchObject({ step: 2, stepName: 'client' });
    const invalid = await callApi(approvals, 'POST /v1/posts/{id}/approval', {
      id,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'maybe' }),
    });
    expect(invalid.statusCode).toBe(422);
  });
});
