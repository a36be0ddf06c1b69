import { ApprovalLinks } from '../../shared/approvals/links.ts';
import type { ApprovalLinkSettings } from '../../shared/approvals/requests.ts';
import { problemError } from '../../shared/errors.ts';
import {
  fileWebhookSecret,
  SecretsManagerWebhookSecret,
  type WebhookSecret,
} from '../../shared/measuring/webhook-secret.ts';
import { FileCredentialStore } from '../../shared/platforms/credentials.ts';
import { type Config, ConfigError, config } from './config.ts';
import { dep } from './runtime.ts';

// Part of the composition root (runtime.ts) for approvals: the two HMAC keys and the links' URL.

/** Entries of local mode's secrets file (`{ "secret": "…" }`) standing in for the two secrets. */
export const LOCAL_APPROVAL_LINK_REF = 'pulsecast/approval-links';
export const LOCAL_SLACK_SIGNING_REF = 'pulsecast/slack-signing';

/**
 * A secret from the secrets file (off AWS, first: local mode copies the synthesized environment,
 * whose secret ids mean nothing without AWS), else Secrets Manager, else why there is none.
 */
function secretFrom(
  settings: Config,
  id: string | undefined,
  localRef: string,
  what: string,
): WebhookSecret | ConfigError {
  const file = settings.PULSECAST_SECRETS_FILE;
  if (file) return fileWebhookSecret(new FileCredentialStore(file), file, localRef);
  if (id) return new SecretsManagerWebhookSecret(id, undefined, undefined, undefined, what);
  return new ConfigError(`${what} is not configured (the stack sets its secret's id)`);
}

export function approvalLinkKey(): WebhookSecret | ConfigError {
  return dep('approvalLinkKey', () =>
    secretFrom(config(), config().APPROVAL_LINK_SECRET_ID, LOCAL_APPROVAL_LINK_REF, 'the approval link key'),
  );
}

export function slackSigningSecret(): WebhookSecret | ConfigError {
  return dep('slackSigningSecret', () =>
    secretFrom(
      config(),
      config().SLACK_SIGNING_SECRET_ID,
      LOCAL_SLACK_SIGNING_REF,
      'the Slack signing secret',
    ),
  );
}

export function approvalBaseUrl(): string | undefined {
  return dep('approvalBaseUrl', () => config().APPROVAL_BASE_URL);
}

/** The link signer/verifier; an error (answered as 503) when the key is missing. */
export function approvalLinks(): ApprovalLinks | ConfigError {
  const key = approvalLinkKey();
  return key instanceof Error ? key : new ApprovalLinks(() => key.get());
}

/** What the notifier needs to email approval links; absent when either part is missing. */
export function approvalLinkSettings(): ApprovalLinkSettings | undefined {
  const links = approvalLinks();
  const baseUrl = approvalBaseUrl();
  if (links instanceof Error || !baseUrl) return undefined;
  return { links, baseUrl: baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/` };
}

/** A route whose key is missing answers 503 with the reason (the rest of the API still starts). */
export class ApprovalsNotConfiguredError extends problemError('approvals-not-configured', 503) {}
