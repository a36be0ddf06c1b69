import { S3ChartHost } from '../../shared/notify/chart-host.ts';
import { NOTIFY_ENV, type NotifyConfig } from '../../shared/notify/config.ts';
import type { ChartHost, EmailSender, NoticeLookup, SlackSender } from '../../shared/notify/port.ts';
import { SesEmailSender } from '../../shared/notify/ses.ts';
import { SecretWebhookDirectory, WebhookSlackSender } from '../../shared/notify/slack-webhook.ts';
import {
  EvaluationGoalsReader,
  type GoalsReader,
  storeEvaluationHistory,
} from '../../shared/notify/source.ts';
import { config, required } from './config.ts';
import { credentialStore, dep, listeningStore, tableStore } from './runtime.ts';

// Part of the composition root (runtime.ts) that only the notifying functions bundle.

/** The notifier's routing (PULSECAST_NOTIFY_CONFIG). */
export function notifyConfig(): NotifyConfig {
  return dep('notifyConfig', () => required(config(), NOTIFY_ENV.config));
}

/** Slack through the webhooks in the secret named by SLACK_WEBHOOK_SECRET; none when unset. */
export function slackSender(): SlackSender | undefined {
  return dep('slack', () => {
    const secret = config()[NOTIFY_ENV.slackSecret];
    return secret ? new WebhookSlackSender(new SecretWebhookDirectory(credentialStore(), secret)) : undefined;
  });
}

/** SES v2 when a sender is configured (SES_FROM_ADDRESS); none otherwise. */
export function emailSender(): EmailSender | undefined {
  return dep('email', () => (config()[NOTIFY_ENV.sender] ? new SesEmailSender() : undefined));
}

export function senderAddress(): string | undefined {
  return dep('senderAddress', () => config()[NOTIFY_ENV.sender]);
}

/** Goal progress and recommendations for the digest: the Evaluator's stored evaluations. */
export function goalsReader(): GoalsReader {
  return dep(
    'goals',
    () => new EvaluationGoalsReader(storeEvaluationHistory(tableStore(), listeningStore())),
  );
}

/** Slack's chart images in the bucket named by CHART_BUCKET; none when unset. */
export function chartHost(): ChartHost | undefined {
  return dep('charts', () => {
    const bucket = config()[NOTIFY_ENV.chartBucket];
    return bucket ? new S3ChartHost(bucket) : undefined;
  });
}

export function apiUrl(): string | undefined {
  return dep('apiUrl', () => config()[NOTIFY_ENV.apiUrl]);
}

/** The post's text and the channels' handles, read from the table, for an alert's words. */
export function noticeLookup(): NoticeLookup {
  const store = tableStore();
  return {
    post: async (id) => {
      const post = await store.getPost(id);
      return post ? { text: post.text, platformUrl: post.platformUrl } : undefined;
    },
    handles: async (ids) => {
      const channels = await store.getChannels(ids);
      return new Map([...channels].map(([id, channel]) => [id, channel.handle]));
    },
  };
}
