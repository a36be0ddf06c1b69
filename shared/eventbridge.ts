import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type EventPublisher, type PulsecastEvent } from './events.ts';
import { type BackoffOptions, backoffDelay, chunk, defaultBackoff } from './store/retry.ts';

/** PutEvents takes at most 10 entries a call. */
const PUT_EVENTS_BATCH = 10;

export class EventPublishError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

/**
 * Publishes to the `pulsecast` bus. PutEvents can fail per entry while the call succeeds:
 * entries reported in `FailedEntryCount` are retried with backoff, and what still fails is
 * thrown, never dropped.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = new EventBridgeClient({}),
    private readonly backoff: BackoffOptions = defaultBackoff,
  ) {}

  async publish(events: readonly PulsecastEvent[]): Promise<void> {
    for (const batch of chunk(events, PUT_EVENTS_BATCH)) {
      let pending: PutEventsRequestEntry[] = batch.map((event) => ({
        EventBusName: this.busName,
        Source: EVENT_SOURCE,
        DetailType: event.type,
        Detail: JSON.stringify(event.detail),
      }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= this.backoff.attempts) {
          throw new EventPublishError(`${pending.length} event(s) could not be put on ${this.busName}`);
        }
        if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt, this.backoff));
        const result = await this.client.send(new PutEventsCommand({ Entries: pending }));
        if (!result.FailedEntryCount) break;
        const entries = result.Entries ?? [];
        pending = pending.filter((_, i) => entries[i]?.ErrorCode !== undefined);
      }
    }
  }
}
