import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { composeMime } from './mime.ts';
import { addressOf } from './notifier.ts';
import { EmailDeliveryError, type EmailSender, type OutgoingEmail } from './port.ts';
import { type AttemptOutcome, defaultRetryPolicy, type RetryPolicy, withRetries } from './retry.ts';

/** SES answers that mean "slow down" (sending rate or quota): worth waiting and trying again. */
const THROTTLING = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'Throttling',
  'ThrottlingException',
]);

function classify(error: unknown): AttemptOutcome {
  const name = (error as { name?: string }).name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (
    THROTTLING.has(name) ||
    (status !== undefined && status >= 500) ||
    (error as { $retryable?: unknown }).$retryable
  ) {
    return {
      retry: true,
      error: new EmailDeliveryError(`SES throttled or failed (${name || status}): ${message}`, true, {
        cause: error,
      }),
    };
  }
  // MessageRejected, MailFromDomainNotVerified, AccountSuspended, SendingPaused, BadRequest…:
  // trying again now changes nothing; the event goes to the dead-letter queue with this reason.
  return {
    retry: false,
    error: new EmailDeliveryError(`SES refused the message (${name}): ${message}`, false, { cause: error }),
  };
}

/**
 * Email through SES v2 `SendEmail` with raw MIME content (so the HTML, the plain text, the
 * inline charts and the List-Unsubscribe headers all arrive as composed). Throttling and 5xx are
 * retried with backoff within the invocation; what still fails is thrown for Lambda's retries.
 */
export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client = new SESv2Client({}),
    private readonly policy: RetryPolicy = defaultRetryPolicy,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    const raw = await composeMime(email);
    await withRetries(
      this.policy,
      async () => {
        await this.client.send(
          new SendEmailCommand({
            FromEmailAddress: addressOf(email.from),
            Destination: { ToAddresses: [email.to] },
            Content: { Raw: { Data: raw } },
          }),
        );
      },
      classify,
    );
  }
}
