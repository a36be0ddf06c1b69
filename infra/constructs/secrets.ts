import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * A random HMAC key the stack generates (letters and digits), with the reason it is rotated by
 * hand rather than by Secrets Manager (cdk-nag AwsSolutions-SMG4): someone outside holds a copy,
 * or rotating would void what was already signed with it.
 */
export function generatedHmacSecret(
  scope: Construct,
  id: string,
  props: { description: string; length: number; removalPolicy: RemovalPolicy; manualRotationReason: string },
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: props.description,
    generateSecretString: { passwordLength: props.length, excludePunctuation: true, includeSpace: false },
    removalPolicy: props.removalPolicy,
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: props.manualRotationReason });
  return secret;
}
