import * as z from 'zod';
import { EVENT_SCHEMAS, EVENT_SOURCE, type EventType, type PulsecastEvent } from '../events.ts';

/** What EventBridge hands a Lambda target (the fields Pulsecast reads; the rest is ignored). */
const Envelope = z.looseObject({
  source: z.string(),
  'detail-type': z.string(),
  detail: z.unknown(),
});

/** A bus event whose detail breaks its schema: a producer bug, sent to the dead-letter queue. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/**
 * The Pulsecast event inside an EventBridge envelope, validated against its versioned schema.
 * An event of a type this version does not know is not an error (consumers tolerate newer
 * producers): it comes back undefined and is skipped.
 */
export function parseBusEvent(input: unknown): PulsecastEvent | undefined {
  const envelope = Envelope.safeParse(input);
  if (!envelope.success || envelope.data.source !== EVENT_SOURCE) {
    throw new InvalidEventError('not an EventBridge event from source "pulsecast"');
  }
  const type = envelope.data['detail-type'];
  if (!(type in EVENT_SCHEMAS)) return undefined;
  const detail = EVENT_SCHEMAS[type as EventType].safeParse(envelope.data.detail);
  if (!detail.success) {
    throw new InvalidEventError(
      `"${type}" detail does not match its schema: ${z.prettifyError(detail.error)}`,
    );
  }
  return { type: type as EventType, detail: detail.data } as PulsecastEvent;
}
