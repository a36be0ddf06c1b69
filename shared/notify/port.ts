import type { EmailContent } from './email.ts';
import type { SlackPayload } from './slack.ts';

/**
 * Where messages go. On AWS: Slack incoming webhooks and SES v2. In local mode: the outbox
 * folder, or a real webhook / SMTP server when configured (`local/outbox.ts`). In tests:
 * recorders, a local HTTP server, an SES mock.
 */
export interface SlackSender {
  /** Posts one message to the webhook named `webhook` in the Slack webhook secret. */
  send(webhook: string, payload: SlackPayload, context: SlackSendContext): Promise<void>;
}

export interface SlackSendContext {
  /** The dedup key of this message: stable across deliveries, usable as a file name. */
  key: string;
  /** Chart images that belong to the message (the outbox keeps them beside it). */
  images?: { filename: string; content: Buffer }[];
}

export interface OutgoingEmail {
  /** The From header, e.g. `Pulsecast <notify@example.com>`. */
  from: string;
  to: string;
  content: EmailContent;
  /** Extra headers: List-Unsubscribe, List-Id, Auto-Submitted… */
  headers: Record<string, string>;
  /** Stable per event and recipient, so a mail client too sees one message. */
  messageId: string;
  date: Date;
  /** The dedup key of this message. */
  key: string;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<void>;
}

/** A message could not be delivered; `retryable` says whether trying again may help. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Slack answered with an error, or could not be reached. Never holds the webhook URL. */
export class SlackDeliveryError extends DeliveryError {
  constructor(
    message: string,
    readonly status: number | undefined,
    retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, retryable, options);
  }
}

export class EmailDeliveryError extends DeliveryError {}

/**
 * Some messages of an event failed after their retries. Thrown so Lambda retries the event and,
 * when its retries are used up, sends it to the dead-letter queue; the messages that did go out
 * are remembered and not sent again by the retry.
 */
export class NotificationDeliveryError extends Error {
  constructor(
    readonly eventId: string,
    readonly failures: { key: string; error: Error }[],
  ) {
    super(
      `${failures.length} message(s) for event ${eventId} were not delivered: ${failures
        .map((f) => `${f.key}: ${f.error.message}`)
        .join('; ')}`,
      { cause: failures[0]?.error },
    );
    this.name = 'NotificationDeliveryError';
  }
}

/** The configuration asks for something the deployment cannot do (e.g. Slack without the secret). */
export class NotifyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotifyConfigError';
  }
}

/**
 * Where Slack fetches a digest's chart images: Slack takes images only by URL. Deployed, an S3
 * bucket of the stack with a presigned URL; locally, a file local mode serves.
 */
export interface ChartHost {
  /** Stores the PNG under `key` (`<digest id>/<chart name>.png`) and gives a URL Slack can fetch. */
  publish(key: string, png: Buffer): Promise<string>;
}

/** What the notifier reads to word an alert: the post's text and link, the channels' handles. */
export interface NoticeLookup {
  post(postId: string): Promise<{ text: string; platformUrl?: string | undefined } | undefined>;
  handles(channelIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
