import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, type Transporter } from 'nodemailer';
import { composeMime } from '../shared/notify/mime.ts';
import {
  EmailDeliveryError,
  type EmailSender,
  type OutgoingEmail,
  type SlackSendContext,
  type SlackSender,
} from '../shared/notify/port.ts';
import type { SlackPayload } from '../shared/notify/slack.ts';
import { FixedWebhookDirectory, WebhookSlackSender } from '../shared/notify/slack-webhook.ts';
import { writeFileAtomic } from './files.ts';

/**
 * Local mode's Slack and email (docs/architecture.md#local-mode): messages land in
 * `<PULSECAST_DATA_DIR>/outbox/` — each Slack message as the exact JSON payload the webhook would
 * get (`.json`, with its charts beside it as `.png`), each email as the exact MIME message SES would
 * send (`.eml`, which any mail client opens). Or, when configured, a real Slack webhook and a real
 * SMTP server:
 *
 * | variable | effect |
 * |---|---|
 * | `PULSECAST_SLACK_WEBHOOK_URL` | post Slack messages to this incoming webhook instead of the outbox |
 * | `PULSECAST_SMTP_URL` | send email through this SMTP server (`smtp://user:pass@host:587`, `smtps://…`) |
 * | `PULSECAST_NOTIFY_SENDER` | the From of local email (default `Pulsecast <pulsecast@pulsecast.local>`) |
 * | `PULSECAST_ALERT_EMAILS` | who gets alerts and digests (default `team@pulsecast.local`) |
 * | `PULSECAST_TIMEZONE` | the team's time zone for the digests (default `UTC`) |
 * | `PULSECAST_NOTIFY_ROUTING` | a routing file (shared/notify/config.ts) replacing the default routing |
 */

const DEFAULT_SENDER = 'Pulsecast <pulsecast@pulsecast.local>';

/** A file name from a dedup key: `notify#evt-1#email#ops@x.com` → `notify_evt-1_email_ops_x.com`. */
export const safeName = (key: string) => key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 180);

/** Slack messages as `.json` files: `<time>-<key>.json`, charts as `<time>-<key>.<chart>.png`. */
export class OutboxSlackSender implements SlackSender {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The webhook name is part of the key (`…#slack#<webhook>#<part>`), hence of the file name. */
  async send(_webhook: string, payload: SlackPayload, context: SlackSendContext): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const base = `${this.now().toISOString().replace(/[:.]/g, '-')}-${safeName(context.key)}`;
    for (const image of context.images ?? [])
      await writeFileAtomic(join(this.dir, `${base}.${image.filename}`), image.content);
    await writeFileAtomic(join(this.dir, `${base}.json`), `${JSON.stringify(payload, null, 2)}\n`);
  }
}

/** Emails as `.eml` files: the raw MIME message, headers included. */
export class OutboxEmailSender implements EmailSender {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const base = `${this.now().toISOString().replace(/[:.]/g, '-')}-${safeName(email.key)}`;
    await writeFileAtomic(join(this.dir, `${base}.eml`), await composeMime(email));
  }
}

/** Email through an SMTP server (a local Mailpit/MailHog, or a real relay): the same MIME bytes. */
export class SmtpEmailSender implements EmailSender {
  private readonly transport: Transporter;

  constructor(url: string) {
    this.transport = createTransport(url);
  }

  async send(email: OutgoingEmail): Promise<void> {
    const address = /<([^>]+)>/.exec(email.from)?.[1] ?? email.from;
    try {
      await this.transport.sendMail({
        envelope: { from: address, to: [email.to] },
        raw: await composeMime(email),
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // 4xx SMTP replies are transient by definition (RFC 5321); 5xx are not.
      throw new EmailDeliveryError(
        `SMTP server refused the message: ${(error as Error).message}`,
        !code || code < 500,
        {
          cause: error,
        },
      );
    }
  }

  close(): void {
    this.transport.close();
  }
}

export interface LocalNotifications {
  /** Where outbox files go (also when only one of Slack and email uses the outbox). */
  outbox: string;
  slack: SlackSender;
  email: EmailSender;
  sender: string;
  /** Where each kind of message goes, for local mode's banner. */
  describe: { slack: string; email: string };
}

/** The senders local mode uses, from its environment. */
export function localNotifications(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  now: () => Date = () => new Date(),
): LocalNotifications {
  const outbox = join(dataDir, 'outbox');
  const webhookUrl = env.PULSECAST_SLACK_WEBHOOK_URL;
  const smtpUrl = env.PULSECAST_SMTP_URL;
  return {
    outbox,
    slack: webhookUrl
      ? new WebhookSlackSender(new FixedWebhookDirectory(webhookUrl))
      : new OutboxSlackSender(outbox, now),
    email: smtpUrl ? new SmtpEmailSender(smtpUrl) : new OutboxEmailSender(outbox, now),
    sender: env.PULSECAST_NOTIFY_SENDER ?? DEFAULT_SENDER,
    describe: {
      slack: webhookUrl ? 'the Slack webhook in PULSECAST_SLACK_WEBHOOK_URL' : `${outbox} (.json)`,
      email: smtpUrl ? 'the SMTP server in PULSECAST_SMTP_URL' : `${outbox} (.eml)`,
    },
  };
}

/**
 * CDK context for local mode's synth, so its rules route alerts and its digests have readers:
 * everything goes to the webhook named `default` and to PULSECAST_ALERT_EMAILS, unless
 * PULSECAST_NOTIFY_ROUTING names a routing file.
 */
export function localNotifyContext(env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    alertEmails: env.PULSECAST_ALERT_EMAILS ?? 'team@pulsecast.local',
    senderAddress: env.PULSECAST_NOTIFY_SENDER ?? DEFAULT_SENDER,
    slackWebhookSecret: 'local/slack-webhooks',
    slackWebhook: 'default',
    digestTimezone: env.PULSECAST_TIMEZONE ?? 'UTC',
    ...(env.PULSECAST_NOTIFY_ROUTING ? { notifyRouting: env.PULSECAST_NOTIFY_ROUTING } : {}),
  };
}
