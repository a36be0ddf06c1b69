import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { STACK_KEYS } from '../../shared/stack-keys.ts';
import type { PulsecastFunction } from './pulsecast-function.ts';

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
  /** The stack's Keys secret (infra/constructs/secrets.ts): the link key, and Slack's unless named. */
  readonly keys: secretsmanager.ISecret;
  /**
   * Name of an existing secret holding the Slack app's signing secret (its value as Slack shows it).
   * @default - the `slackSigning` field of the stack's Keys secret, to be filled with Slack's value
   */
  readonly slackSigningSecretName?: string;
}

/**
 * Approvals' keys (docs/architecture.md#approvals): the HMAC key of approval links, read only by
 * the function that signs them (the notifier) and the one that checks them (the page), and the
 * Slack app's signing secret, read only by the Slack endpoint. Both are fields of the stack's Keys
 * secret (unless Slack's is named by context), in Secrets Manager rather than in the table beside
 * the cursor key: whoever can read the table could otherwise mint approvals
 * (docs/adr/0015-approvals-due-index-and-signed-links.md).
 */
export class PulsecastApproving extends Construct {
  public readonly linkKey: secretsmanager.ISecret;
  public readonly slackSigningSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: PulsecastApprovingProps) {
    super(scope, id);
    this.linkKey = props.keys;
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
      props.slackFunction.bindSecret('SLACK_SIGNING_SECRET_ID', this.slackSigningSecret, 'name');
    } else {
      this.slackSigningSecret = props.keys;
      props.slackFunction.bindStackKey('SLACK_SIGNING_SECRET_ID', props.keys, STACK_KEYS.slackSigning);
    }

    props.linkFunction.bindStackKey('APPROVAL_LINK_SECRET_ID', props.keys, STACK_KEYS.approvalLinks);
    props.notifier.bindStackKey('APPROVAL_LINK_SECRET_ID', props.keys, STACK_KEYS.approvalLinks);
    props.notifier.bindApiUrl('APPROVAL_BASE_URL', props.apiUrl);
  }
}
