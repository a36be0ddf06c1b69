import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue as Pulsecast makes each one: SQS-managed encryption, TLS only, kept 14
 * days. It has no dead-letter queue of its own; `owners` says whose failures it keeps (for the
 * cdk-nag acknowledgement).
 */
export function deadLetterQueue(scope: Construct, id: string, owners: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${owners}.`,
  });
  return queue;
}
