import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialStore, installDeps } from '../../functions/commons/runtime.ts';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { EVENT_SOURCE, type PulsecastEvent } from '../../shared/events.ts';
import type { RetryPolicy } from '../../shared/notify/retry.ts';
import { SesEmailSender } from '../../shared/notify/ses.ts';
import { SecretWebhookDirectory, WebhookSlackSender } from '../../shared/notify/slack-webhook.ts';
import { synthPulsecast } from '../infra/helpers.ts';
import { FakeSlack } from './slack-server.ts';
import { eventOf } from './support.ts';

/**
 * The deployed path, as far as it runs without AWS: the real notifier handler with the
 * environment the CDK app gives it, against dynalite, a local Slack stand-in and an SES mock,
 * invoked the way Lambda invokes an EventBridge target (asynchronously, retried as the
 * synthesized EventInvokeConfig says, then handed to its on-failure destination).
 */
const SECRET = 'pulsecast-slack-webhooks';
const synth = synthPulsecast({
  nag: false,
  context: {
    alertEmails: 'ops@example.com',
    senderAddress: 'Pulsecast <notify@example.com>',
    slackWebhookSecret: SECRET,
    digestTimezone: 'Europe/Berlin',
  },
});
const resources = synth.template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const notifierId = synth.logicalId(synth.stack.notifying.notifier.function);
const dlqId = synth.logicalId(synth.stack.notifying.deadLetterQueue);
const invokeConfig = Object.values(resources).find(
  (r) =>
    r.Type === 'AWS::Lambda::EventInvokeConfig' &&
    JSON.stringify(r.Properties.FunctionName).includes(notifierId),
)?.Properties as { MaximumRetryAttempts: number; DestinationConfig: { OnFailure: { Destination: unknown } } };

const slack = new FakeSlack();
const ses = mockClient(SESv2Client);
let dynamo: LocalDynamo;
let run = 0;
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Handler;

const fast: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 2,
  maxWaitMs: 1_000,
  sleep: async () => undefined,
};
const context = {
  awsRequestId: 'req',
  functionName: 'notifier',
  getRemainingTimeInMillis: () => 90_000,
} as Context;

/** EventBridge's envelope around a Pulsecast event. */
function envelope(event: PulsecastEvent) {
  return {
    version: '0',
    id: `eb-${event.detail.eventId}`,
    'detail-type': event.type,
    source: EVENT_SOURCE,
    account: '123456789012',
    time: '2026-12-10T09:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: event.detail,
  };
}

/** Where Lambda puts an asynchronous invocation that failed every retry, by destination. */
const destinations = new Map<string, unknown[]>();

/** Lambda's asynchronous invocation, as configured in the synthesized template. */
async function invokeAsync(event: unknown): Promise<'succeeded' | 'dead-lettered'> {
  const attempts = 1 + invokeConfig.MaximumRetryAttempts;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await handler(event, context);
      return 'succeeded';
    } catch (error) {
      last = error;
    }
  }
  const destination = JSON.stringify(invokeConfig.DestinationConfig.OnFailure.Destination);
  destinations.set(destination, [
    ...(destinations.get(destination) ?? []),
    {
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: attempts },
      requestPayload: event,
      responsePayload: { errorType: (last as Error).name, errorMessage: (last as Error).message },
    },
  ]);
  return 'dead-lettered';
}
const deadLetters = () => destinations.get(JSON.stringify({ 'Fn::GetAtt': [dlqId, 'Arn'] })) ?? [];

beforeAll(async () => {
  await slack.start();
  dynamo = await startLocalDynamo();
  const notifier = resources[notifierId]?.Properties as {
    Environment: { Variables: Record<string, unknown> };
  };
  for (const [name, value] of Object.entries(notifier.Environment.Variables)) {
    if (typeof value === 'string') process.env[name] = value;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pulsecast-notify-'));
  const secrets = join(dir, 'secrets.json');
  writeFileSync(secrets, JSON.stringify({ [SECRET]: { default: slack.webhook('default') } }));
  process.env.PULSECAST_SECRETS_FILE = secrets;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.TABLE_NAME = 'notifier-0';
  await ensureTable(dynamo.client, 'notifier-0');
  handler = (await import('../../functions/notifying/notify.ts')).handler as unknown as Handler;
});

beforeEach(async () => {
  // The handler reads TABLE_NAME once per container, so tests share the table and keep apart
  // by event id.
  run++;
  destinations.clear();
  slack.reset();
  ses.reset();
  ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
  // The runtime's own adapters (secret-backed webhook directory, SES v2), with waits removed.
  installDeps({
    slack: new WebhookSlackSender(new SecretWebhookDirectory(credentialStore(), SECRET), { retry: fast }),
    email: new SesEmailSender(new SESv2Client({}), fast),
  });
});

afterEach(() => ses.reset());
afterAll(async () => {
  await slack.stop();
  await dynamo?.stop();
});

const freshEvent = (type: Parameters<typeof eventOf>[0]) =>
  eventOf(type, { eventId: `evt-${run}-${type.replaceAll(' ', '-')}` });

describe('the notifier function', () => {
  it('reads its routing from the environment the stack gives it', () => {
    expect(invokeConfig.MaximumRetryAttempts).toBe(2);
    expect(JSON.parse(process.env.PULSECAST_NOTIFY_CONFIG ?? '{}').timezone).toBe('Europe/Berlin');
  });

  it('sends the same event delivered three times as one Slack message and one email', async () => {
    const event = envelope(freshEvent('Post Failed'));

    for (let i = 0; i < 3; i++) expect(await invokeAsync(event)).toBe('succeeded');

    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]?.path).toBe('/services/T000/B000/default-s3cr3t-token');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(deadLetters()).toEqual([]);
  });

  it('dead-letters an event whose Slack message keeps failing, without sending its email twice', async () => {
    slack.otherwise = { status: 503 };
    const event = envelope(freshEvent('Channel Needs Attention'));

    expect(await invokeAsync(event)).toBe('dead-lettered');

    // Every invocation tried Slack `fast.attempts` times; the email went out on the first.
    expect(slack.requests).toHaveLength(3 * fast.attempts);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(deadLetters()).toEqual([
      {
        requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
        requestPayload: event,
        responsePayload: {
          errorType: 'NotificationDeliveryError',
          errorMessage: expect.stringMatching(/#slack#default#0: Slack webhook "default" answered 503/),
        },
      },
    ]);
    expect(JSON.stringify(deadLetters())).not.toMatch(/s3cr3t/);

    // Redriven from the queue once Slack is back: only the missing message goes out.
    slack.reset();
    const [letter] = deadLetters() as { requestPayload: unknown }[];
    expect(await invokeAsync(letter?.requestPayload)).toBe('succeeded');
    expect(slack.requests).toHaveLength(1);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('dead-letters an event whose email SES keeps throttling, without repeating the Slack message', async () => {
    ses.reset();
    ses
      .on(SendEmailCommand)
      .rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} }));
    const event = envelope(freshEvent('Post Outcome Unknown'));

    expect(await invokeAsync(event)).toBe('dead-lettered');

    expect(slack.requests).toHaveLength(1);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3 * fast.attempts);
    expect(deadLetters()).toHaveLength(1);
    expect(JSON.stringify(deadLetters())).toMatch(/SES throttled/);
  });

  it('sends nothing for an event the routing leaves to the digest, and skips unknown types', async () => {
    expect(await handler(envelope(freshEvent('Post Published')), context)).toMatchObject({ held: 'digest' });
    expect(
      await handler({ ...envelope(freshEvent('Post Failed')), 'detail-type': 'Post Teleported' }, context),
    ).toEqual({
      skipped: true,
    });
    expect(slack.requests).toHaveLength(0);
  });

  it('dead-letters an event that breaks its schema (a producer bug is not dropped silently)', async () => {
    const broken = { ...envelope(freshEvent('Post Failed')), detail: { eventId: 'x' } };
    expect(await invokeAsync(broken)).toBe('dead-lettered');
    expect(deadLetters()).toEqual([
      expect.objectContaining({
        responsePayload: expect.objectContaining({ errorType: 'InvalidEventError' }),
      }),
    ]);
  });
});

describe('the digest function', () => {
  it('builds the digest of the scheduled period and announces it', async () => {
    const published: PulsecastEvent[] = [];
    installDeps({ events: { publish: async (events) => void published.push(...events) } });
    const digest = (await import('../../functions/notifying/digest.ts')).handler as unknown as Handler;

    await digest({ workspaceId: 'default', period: 'daily', scheduledTime: '2026-12-10T08:00:00Z' }, context);
    // Local schedulers may not substitute the placeholder: the run then covers the day before now.
    await digest(
      { workspaceId: 'default', period: 'weekly', scheduledTime: '<aws.scheduler.scheduled-time>' },
      context,
    );

    expect(published[0]).toMatchObject({
      type: 'Digest Ready',
      detail: { eventId: 'digest-default-daily-2026-12-09', period: 'daily' },
    });
    expect(published[1]?.detail).toMatchObject({ period: 'weekly' });
    await expect(digest({ workspaceId: 'nope', period: 'daily' }, context)).rejects.toThrow(
      /no workspace nope/,
    );
  });
});
