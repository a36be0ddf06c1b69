import {
  MessageRejected,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderEmailAlert } from '../../shared/notify/email.ts';
import { noticeFor } from '../../shared/notify/notice.ts';
import { EmailDeliveryError, type OutgoingEmail, SlackDeliveryError } from '../../shared/notify/port.ts';
import type { RetryPolicy } from '../../shared/notify/retry.ts';
import { SesEmailSender } from '../../shared/notify/ses.ts';
import { renderSlackAlert } from '../../shared/notify/slack.ts';
import { FixedWebhookDirectory, WebhookSlackSender } from '../../shared/notify/slack-webhook.ts';
import { FakeSlack } from './slack-server.ts';
import { eventOf } from './support.ts';

const slack = new FakeSlack();
beforeAll(() => slack.start());
afterAll(() => slack.stop());
afterEach(() => slack.reset());

const ses = mockClient(SESv2Client);
afterEach(() => ses.reset());

/** A retry policy that records its waits instead of sleeping. */
function recordingPolicy(overrides: Partial<RetryPolicy> = {}) {
  const waits: number[] = [];
  const policy: RetryPolicy = {
    attempts: 5,
    baseDelayMs: 500,
    maxDelayMs: 8_000,
    maxWaitMs: 30_000,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  };
  return { policy, waits };
}

const notice = noticeFor(eventOf('Post Failed'), { timezone: 'UTC', workspaceName: 'Marketing' });
const payload = renderSlackAlert(notice);
const context = { key: 'notify#evt#slack#alerts#0' };

describe('WebhookSlackSender against a local Slack stand-in', () => {
  it('posts the Block Kit payload to the webhook', async () => {
    const sender = new WebhookSlackSender(new FixedWebhookDirectory(slack.webhook()));
    await sender.send('alerts', payload, context);
    expect(slack.requests).toEqual([{ path: '/services/T000/B000/alerts-s3cr3t-token', body: payload }]);
  });

  it('waits as long as a 429 Retry-After says, then sends', async () => {
    slack.script = [{ status: 429, body: 'rate_limited', headers: { 'Retry-After': '3' } }];
    const { policy, waits } = recordingPolicy();
    await new WebhookSlackSender(new FixedWebhookDirectory(slack.webhook()), { retry: policy }).send(
      'alerts',
      payload,
      context,
    );

    expect(waits).toEqual([3000]);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]?.body).toEqual(payload);
  });

  it('retries a 5xx with backoff', async () => {
    slack.script = [{ status: 503 }, { status: 500 }];
    const { policy, waits } = recordingPolicy();
    await new WebhookSlackSender(new FixedWebhookDirectory(slack.webhook()), { retry: policy }).send(
      'alerts',
      payload,
      context,
    );

    expect(waits).toHaveLength(2);
    expect(slack.requests).toHaveLength(3);
  });

  it('gives up when retries run out, with a retryable error that never shows the webhook URL', async () => {
    slack.otherwise = { status: 503 };
    const { policy } = recordingPolicy({ attempts: 4 });
    const error = await new WebhookSlackSender(new FixedWebhookDirectory(slack.webhook()), { retry: policy })
      .send('alerts', payload, context)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(slack.requests).toHaveLength(4);
    expect(String((error as Error).message)).not.toMatch(/s3cr3t|127\.0\.0\.1/);
  });

  it('hands a Retry-After longer than the invocation budget back to Lambda instead of waiting', async () => {
    slack.otherwise = { status: 429, body: 'rate_limited', headers: { 'Retry-After': '120' } };
    const { policy, waits } = recordingPolicy();
    const error = await new WebhookSlackSender(new FixedWebhookDirectory(slack.webhook()), { retry: policy })
      .send('alerts', payload, context)
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 429, retryable: true });
    expect(waits).toEqual([]);
    expect(slack.requests).toHaveLength(1);
  });

  it('does not retry what Slack refuses for good (invalid_blocks, no_service)', async () => {
    slack.otherwise = { status: 400, body: 'invalid_blocks' };
    const { policy, waits } = recordingPolicy();
    const error = await new WebhookSlackSender(new FixedWebhookDirectory(slack.webhook()), { retry: policy })
      .send('alerts', payload, context)
      .catch((e: unknown) => e);

    expect(error).toMatchObject({
      status: 400,
      retryable: false,
      message: expect.stringMatching(/invalid_blocks/),
    });
    expect(waits).toEqual([]);
  });

  it('retries a connection that is refused', async () => {
    const { policy, waits } = recordingPolicy({ attempts: 2 });
    const error = await new WebhookSlackSender(new FixedWebhookDirectory('http://127.0.0.1:1/services/x'), {
      retry: policy,
    })
      .send('alerts', payload, context)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/unreachable/) });
    expect(waits).toHaveLength(1);
  });
});

describe('SesEmailSender', () => {
  const email: OutgoingEmail = {
    from: 'Pulsecast <notify@example.com>',
    to: 'ops@example.com',
    content: renderEmailAlert(notice, { unsubscribe: 'mailto:notify@example.com?subject=unsubscribe' }),
    headers: {
      'List-Unsubscribe': '<mailto:notify@example.com?subject=unsubscribe>',
      'Auto-Submitted': 'auto-generated',
    },
    messageId: '<abc@example.com>',
    date: new Date('2026-12-10T09:00:00.000Z'),
    key: 'notify#evt#email#ops@example.com',
  };
  const throttled = () =>
    new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} });

  it('sends raw MIME from the configured address, with HTML, text and the unsubscribe headers', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await new SesEmailSender(new SESv2Client({})).send(email);

    const input = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.FromEmailAddress).toBe('notify@example.com');
    expect(input?.Destination).toEqual({ ToAddresses: ['ops@example.com'] });
    const raw = Buffer.from(input?.Content?.Raw?.Data ?? new Uint8Array()).toString('utf8');
    expect(raw).toMatch(/^List-Unsubscribe: <mailto:notify@example\.com\?subject=unsubscribe>$/m);
    expect(raw).toMatch(/^Auto-Submitted: auto-generated$/m);
    expect(raw).toMatch(/^Message-ID: <abc@example\.com>$/m);
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(raw).toMatch(/Content-Type: text\/html; charset=utf-8/);
    expect(raw.split(/\r?\n/).every((line) => line.length <= 998)).toBe(true);
  });

  it('retries a throttled send with backoff', async () => {
    ses.on(SendEmailCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ MessageId: 'm-1' });
    const { policy, waits } = recordingPolicy();
    await new SesEmailSender(new SESv2Client({}), policy).send(email);

    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('fails with a retryable error when SES stays throttled', async () => {
    ses.on(SendEmailCommand).rejects(throttled());
    const { policy } = recordingPolicy({ attempts: 3 });
    const error = await new SesEmailSender(new SESv2Client({}), policy).send(email).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmailDeliveryError);
    expect(error).toMatchObject({ retryable: true });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
  });

  it('does not retry a message SES rejects', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
    const { policy } = recordingPolicy();
    const error = await new SesEmailSender(new SESv2Client({}), policy).send(email).catch((e: unknown) => e);

    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/not verified/) });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });
});
