import { NOTIFY_ENV, type NotifyConfig, notifyConfigFromEnv } from '../../shared/notify/config.ts';
import type { EmailSender, SlackSender } from '../../shared/notify/port.ts';
import { SesEmailSender } from '../../shared/notify/ses.ts';
import { SecretWebhookDirectory, WebhookSlackSender } from '../../shared/notify/slack-webhook.ts';
import {
  EvaluationGoalsReader,
  type GoalsReader,
  storeEvaluationHistory,
} from '../../shared/notify/source.ts';
import { FileCredentialStore, SecretsManagerCredentialStore } from '../../shared/platforms/credentials.ts';
import { tableStore } from '../commons/runtime.ts';

/**
 * What the notifying functions need beyond the table: the routing, the Slack and email senders
 * and the goals reader. Defaults are the AWS adapters, created on first use from the
 * environment the CDK construct sets; local mode (local/outbox.ts) and tests swap in their own
 * before any handler runs.
 */

let config: NotifyConfig | undefined;
export function notifyConfig(): NotifyConfig {
  config ??= notifyConfigFromEnv();
  return config;
}
export function setNotifyConfig(next: NotifyConfig): void {
  config = next;
}

let slack: SlackSender | null | undefined;
/**
 * Slack through the webhooks in the secret named by SLACK_WEBHOOK_SECRET (Secrets Manager, or the
 * file named by PULSECAST_SECRETS_FILE in local mode); none when unset. The credential store is
 * created here rather than taken from the publishing runtime, which would bundle every platform
 * adapter into the notifier.
 */
export function slackSender(): SlackSender | undefined {
  if (slack === undefined) {
    const secret = process.env[NOTIFY_ENV.slackSecret];
    const file = process.env.PULSECAST_SECRETS_FILE;
    const credentials = file ? new FileCredentialStore(file) : new SecretsManagerCredentialStore();
    slack = secret ? new WebhookSlackSender(new SecretWebhookDirectory(credentials, secret)) : null;
  }
  return slack ?? undefined;
}
export function setSlackSender(next: SlackSender | undefined): void {
  slack = next ?? null;
}

let email: EmailSender | null | undefined;
/** SES v2 when a sender is configured (SES_FROM_ADDRESS); none otherwise. */
export function emailSender(): EmailSender | undefined {
  if (email === undefined) email = process.env[NOTIFY_ENV.sender] ? new SesEmailSender() : null;
  return email ?? undefined;
}
export function setEmailSender(next: EmailSender | undefined): void {
  email = next ?? null;
}

let sender: string | undefined;
export function senderAddress(): string | undefined {
  return sender ?? process.env[NOTIFY_ENV.sender];
}
export function setSenderAddress(next: string | undefined): void {
  sender = next;
}

let goals: GoalsReader | undefined;
/** Goal progress and recommendations for the digest: the Evaluator's stored evaluations. */
export function goalsReader(): GoalsReader {
  goals ??= new EvaluationGoalsReader(storeEvaluationHistory(tableStore()));
  return goals;
}
export function setGoalsReader(next: GoalsReader | undefined): void {
  goals = next;
}
