import { createHmac, timingSafeEqual } from 'node:crypto';
import { problemError } from '../errors.ts';
import type { SignedRequest, SigningScheme } from '../measuring/webhook-secret.ts';

/** Slack's own headers (https://docs.slack.dev/authentication/verifying-requests-from-slack). */
export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** A request signed longer ago than this is refused as a possible replay. */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

export class SlackSignatureError extends problemError('slack-signature-refused', 401) {}

/**
 * Checks that a request comes from Slack: `X-Slack-Signature` must be `v0=` + the hex
 * HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` under the app's signing secret,
 * compared in constant time, and the timestamp within five minutes of now. Runs on the raw bytes,
 * before anything is parsed.
 */
export function verifySlackSignature(input: SignedRequest): void {
  const { timestamp, signature } = input;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    throw new SlackSignatureError(`missing or malformed ${SLACK_TIMESTAMP_HEADER}`);
  }
  const age = Math.abs(input.now.getTime() / 1000 - Number(timestamp));
  if (age > SLACK_MAX_AGE_SECONDS) {
    throw new SlackSignatureError(
      `${SLACK_TIMESTAMP_HEADER} is more than 5 minutes from now; refused as a replay`,
    );
  }
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    throw new SlackSignatureError(`missing or malformed ${SLACK_SIGNATURE_HEADER}`);
  }
  const expected = Buffer.from(slackSignature(input.secret, timestamp, input.body), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SlackSignatureError('the request signature does not match');
  }
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` (what Slack sends, and what tests sign with). */
export function slackSignature(signingSecret: string, timestamp: string, body: Uint8Array): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(body);
  return `v0=${mac.digest('hex')}`;
}

/** How Slack signs the requests it sends. */
export const SLACK_SIGNING: SigningScheme = {
  timestamp: SLACK_TIMESTAMP_HEADER,
  signature: SLACK_SIGNATURE_HEADER,
  verify: verifySlackSignature,
};
