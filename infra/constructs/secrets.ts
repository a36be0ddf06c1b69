import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ROOT_FIELD, STACK_KEYS } from '../../shared/stack-keys.ts';

/**
 * The stack's one generated secret, `Keys`: a JSON object with one field per HMAC key the stack
 * owns (shared/stack-keys.ts). Secrets Manager generates its `root` (64 letters and digits) when
 * the stack is created; the approval-link and unsubscribe keys are derived from it, and Slack's
 * signing secret and the conversion webhook's key go in by hand. Each function that needs a key
 * gets read access to this one secret and is told which field is its own
 * (`PulsecastFunction.bindStackKey`); why one secret and not four:
 * docs/adr/0022-one-secret-for-the-stack-keys.md. Secrets a user names by context stay separate.
 */
export function stackKeysSecret(
  scope: Construct,
  id: string,
  props: { removalPolicy: RemovalPolicy },
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: `Pulsecast's own keys, one JSON field each: "${ROOT_FIELD}" (generated; the ${STACK_KEYS.approvalLinks} and ${STACK_KEYS.unsubscribe} keys derive from it), "${STACK_KEYS.slackSigning}" (put the Slack app's signing secret here) and "${STACK_KEYS.conversionsWebhook}" (put the key the shop signs conversions with here)`,
    generateSecretString: {
      secretStringTemplate: '{}',
      generateStringKey: ROOT_FIELD,
      passwordLength: 64,
      excludePunctuation: true,
      includeSpace: false,
    },
    removalPolicy: props.removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Every key in it is held outside the stack or signs what is already out: approval links emailed (valid up to 14 days) and the unsubscribe link of every email sent (RFC 8058 expects it to keep working) derive from the root; Slack owns and rotates its signing secret; the shop holds a copy of the webhook key. An automatic rotation would void them silently, so each is rotated by hand (put a new field value), as the ADR describes.',
  });
  return secret;
}
