import {
  type FetchFunction,
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
} from '@slack/webhook';
import type { CredentialStore } from '../platforms/port.ts';
import { NotifyConfigError, SlackDeliveryError, type SlackSendContext, type SlackSender } from './port.ts';
import { type AttemptOutcome, defaultRetryPolicy, type RetryPolicy, withRetries } from './retry.ts';
import type { SlackPayload } from './slack.ts';

/** Resolves a webhook name (as the routing names it) to its URL. */
export interface WebhookDirectory {
  url(name: string): Promise<string>;
}

/**
 * The webhook URLs in one secret, a JSON object keyed by webhook name:
 * `{ "alerts": "https://hooks.slack.com/services/…", "digest": "…" }`. The URL is the credential
 * (anyone holding it can post), so it lives in Secrets Manager (a file in local mode) and is
 * never logged or put into an error message.
 */
export class SecretWebhookDirectory implements WebhookDirectory {
  constructor(
    private readonly credentials: CredentialStore,
    private readonly secretName: string,
  ) {}

  async url(name: string): Promise<string> {
    const secret = await this.credentials.get(this.secretName);
    const url = secret[name];
    if (!url) {
      throw new NotifyConfigError(
        `the Slack webhook secret ${this.secretName} has no webhook named "${name}"`,
      );
    }
    if (!/^https?:\/\//.test(url)) {
      throw new NotifyConfigError(`webhook "${name}" in ${this.secretName} is not an http(s) URL`);
    }
    return url;
  }
}

/** Every name resolves to one URL (local mode's PULSECAST_SLACK_WEBHOOK_URL). */
export class FixedWebhookDirectory implements WebhookDirectory {
  constructor(private readonly webhookUrl: string) {}
  async url(): Promise<string> {
    return this.webhookUrl;
  }
}

export interface WebhookSlackSenderOptions {
  retry?: RetryPolicy;
  /** Per-request timeout. @default 10 s */
  timeoutMs?: number;
  /** The HTTP client; tests and local mode may pass their own. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/** Slack's Retry-After is in seconds; anything unreadable falls back to our own backoff. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
}

/**
 * Slack through incoming webhooks, with Slack's official client (`@slack/webhook`). The client's
 * own retries are off: its HTTP error does not carry the response headers, so the sender reads
 * Retry-After through the fetch it hands the client and runs the retry loop itself:
 *
 * - 429: wait what Retry-After says (Slack allows about one message a second per webhook), within
 *   the invocation's budget; past it, fail so Lambda retries later.
 * - 5xx, timeouts, connection errors: exponential backoff with jitter.
 * - Other 4xx (`invalid_blocks`, `channel_not_found`, `no_service`…): not retried here; the
 *   event ends in the dead-letter queue with the reason.
 */
export class WebhookSlackSender implements SlackSender {
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(
    private readonly directory: WebhookDirectory,
    options: WebhookSlackSenderOptions = {},
  ) {
    this.policy = options.retry ?? defaultRetryPolicy;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  async send(webhook: string, payload: SlackPayload, _context?: SlackSendContext): Promise<void> {
    const url = await this.directory.url(webhook);
    let retryAfter: number | undefined;
    const fetchFn: FetchFunction = async (target, init) => {
      const response = await this.fetchImpl(target, init as RequestInit);
      retryAfter = retryAfterMs(response.headers.get('retry-after'));
      return response;
    };
    const client = new IncomingWebhook(url, {
      fetch: fetchFn,
      timeout: this.timeoutMs,
      retryConfig: { retries: 0 },
    });
    const classify = (error: unknown): AttemptOutcome => {
      if (error instanceof IncomingWebhookHTTPError) {
        const status = error.statusCode;
        // Slack's error body is a short code (`invalid_blocks`); it holds nothing secret.
        const reason = `Slack webhook "${webhook}" answered ${status} ${error.body.slice(0, 100)}`.trim();
        if (status === 429) {
          return {
            retry: true,
            error: new SlackDeliveryError(reason, status, true, { cause: error }),
            ...(retryAfter !== undefined ? { afterMs: retryAfter } : {}),
          };
        }
        const retryable = status >= 500 || status === 408;
        return {
          retry: retryable,
          error: new SlackDeliveryError(reason, status, retryable, { cause: error }),
        };
      }
      if (error instanceof IncomingWebhookRequestError) {
        // A connection error or timeout: the message may not have arrived; Slack dedups nothing,
        // but a rare double post beats a lost alert.
        return {
          retry: true,
          error: new SlackDeliveryError(
            `Slack webhook "${webhook}" unreachable: ${error.original.name}`,
            undefined,
            true,
            {
              cause: error.original,
            },
          ),
        };
      }
      return { retry: false, error: error instanceof Error ? error : new Error(String(error)) };
    };
    await withRetries(
      this.policy,
      async () => {
        retryAfter = undefined;
        await client.send(payload);
      },
      classify,
    );
  }
}
