import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher, EventPublishError } from '../../../shared/eventbridge.ts';
import { makeEvent } from '../../../shared/events.ts';

const client = new EventBridgeClient({ region: 'us-east-1' });
const eventBridge = mockClient(client);
const backoff = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };
const publisher = new EventBridgePublisher('pulsecast-bus', client, backoff);

const event = (postId: string) =>
  makeEvent('Post Failed', {
    eventId: `${postId}:failed`,
    occurredAt: '2026-12-01T10:00:00.000Z',
    postId,
    channel: 'x-main',
    platform: 'x',
    scheduledAt: '2026-12-01T10:00:00.000Z',
    reason: 'rejected',
    errorKind: 'rejected',
  });

afterEach(() => eventBridge.reset());

describe('EventBridgePublisher', () => {
  it('puts events on the bus in batches of 10 with source pulsecast and the detail type', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await publisher.publish(Array.from({ length: 12 }, (_, i) => event(`p${i}`)));
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'pulsecast-bus',
      Source: 'pulsecast',
      DetailType: 'Post Failed',
    });
    expect(JSON.parse(calls[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toMatchObject({
      version: 1,
      postId: 'p0',
    });
  });

  it('retries only the entries PutEvents reports as failed', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: '1' }, { ErrorCode: 'ThrottlingException' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '3' }] });
    await publisher.publish([event('a'), event('b')]);
    const retry = eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retry.map((entry) => JSON.parse(entry.Detail ?? '{}').postId)).toEqual(['b']);
  });

  it('throws rather than dropping events that keep failing', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    await expect(publisher.publish([event('a')])).rejects.toBeInstanceOf(EventPublishError);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});
