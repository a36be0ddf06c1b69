import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { PulsecastFunction } from './pulsecast-function.ts';
import { generatedHmacSecret } from './secrets.ts';

/** Props of {@link PulsecastApproving}. */
export interface PulsecastApprovingProps {
  /** Serves the approval page; verifies links. */
  readonly linkFunction: PulsecastFunction;
  /** The Slack app's interactivity endpoint; verifies Slack's signature. */
  readonly slackFunction: PulsecastFunction;
  /** Sends approval requests; signs links. */
  readonly notifier: PulsecastFunction;
  /** The API's invoke URL, which approval links point at. */
  readonly apiUrl: string;
  /**
   * Name of an existing secret holding the Slack app's signing secret (its value as Slack shows it).
   * @default - a secret the stack creates, to be filled with the Slack app's signing secret
   */
  readonly slackSigningSecretName?: string;
  /**
   * What happens to the secrets the stack creates when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly secretRemovalPolicy?: RemovalPolicy;
}

/**
 * Approvals' keys (docs/architecture.md#approvals): the HMAC key of approval links, read only by
 * the function that signs them (the notifier) and the one that checks them (the page), and the
 * Slack app's signing secret, read only by the Slack endpoint. Each lives in Secrets Manager
 * rather than in the table beside the cursor key: whoever can read the table could otherwise
 * mint approvals (docs/adr/0015-approvals-due-index-and-signed-links.md).
 */
export class PulsecastApproving extends Construct {
  public readonly linkKey: secretsmanager.ISecret;
  public readonly slackSigningSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: PulsecastApprovingProps) {
    super(scope, id);
    const removalPolicy = props.secretRemovalPolicy ?? RemovalPolicy.RETAIN;
    const linkKey = generatedHmacSecret(this, 'ApprovalLinkKey', {
      description:
        'HMAC-SHA256 key of Pulsecast approval links (signed by the notifier, checked by the approval page)',
      length: 64,
      removalPolicy,
      manualRotationReason:
        'Rotating the link key would invalidate every approval link already emailed; links expire within 14 days, so a manual rotation (put a new value) is the procedure, documented in the ADR.',
    });
    this.linkKey = linkKey;

    if (props.slackSigningSecretName) {
      this.slackSigningSecret = secretsmanager.Secret.fromSecretNameV2(
        this,
        'SlackSigningSecret',
        props.slackSigningSecretName,
      );
      Validations.of(props.slackFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.slackSigningSecretName}-??????]`,
        reason:
          'The Slack endpoint reads the one secret named by context; IAM matches a secret imported by name only with the six-character suffix Secrets Manager appends.',
      });
    } else {
      const created = generatedHmacSecret(this, 'SlackSigningSecret', {
        description:
          "The Slack app's signing secret (Basic Information → App Credentials); put Slack's value here. Until then every Slack request is refused.",
        length: 48,
        removalPolicy,
        manualRotationReason:
          "Slack issues the signing secret and rotates it in the Slack app's settings; the new value is copied here by hand. Secrets Manager cannot rotate a value Slack owns.",
      });
      this.slackSigningSecret = created;
    }

    props.linkFunction.bindSecret('APPROVAL_LINK_SECRET_ID', this.linkKey, 'arn');
    props.notifier.bindSecret('APPROVAL_LINK_SECRET_ID', this.linkKey, 'arn');
    props.notifier.bindApiUrl('APPROVAL_BASE_URL', props.apiUrl);
    props.slackFunction.bindSecret(
      'SLACK_SIGNING_SECRET_ID',
      this.slackSigningSecret,
      props.slackSigningSecretName ? 'name' : 'arn',
    );
  }
}
