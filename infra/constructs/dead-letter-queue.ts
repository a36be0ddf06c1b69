import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue as the house keeps them: SQS-managed encryption, TLS only, 14 days. It has
 * no dead-letter queue of its own (AwsSolutions-SQS3), which the acknowledgement says, naming
 * what it catches.
 */
export function deadLetterQueue(scope: Construct, id: string, catches: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${catches}.`,
  });
  return queue;
}
