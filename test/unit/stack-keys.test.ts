import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyNotSetError } from '../../shared/errors.ts';
import { SecretsManagerWebhookSecret } from '../../shared/measuring/webhook-secret.ts';
import { keyFromSecretString, keyReference, parseKeyReference, STACK_KEYS } from '../../shared/stack-keys.ts';

const client = new SecretsManagerClient({ region: 'us-east-1' });
const secrets = mockClient(client);
afterEach(() => secrets.reset());

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Keys-AbCdEf';
const ROOT = 'r'.repeat(20) + '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, 44);

describe('the stack keys secret', () => {
  it('names a field after the secret id, which Secrets Manager ids never contain a # of', () => {
    const reference = keyReference(ARN, STACK_KEYS.unsubscribe);
    expect(reference).toBe(`${ARN}#unsubscribe`);
    expect(parseKeyReference(reference)).toEqual({ secretId: ARN, field: 'unsubscribe' });
    expect(parseKeyReference('shop/pulsecast-webhook')).toEqual({ secretId: 'shop/pulsecast-webhook' });
  });

  it('derives a different key for each purpose from the generated root, and lets a field set by hand win', () => {
    const json = JSON.stringify({ root: ROOT });
    const links = keyFromSecretString(json, STACK_KEYS.approvalLinks, 'Keys');
    const unsubscribe = keyFromSecretString(json, STACK_KEYS.unsubscribe, 'Keys');

    expect(links).toBe(createHmac('sha256', ROOT).update('pulsecast/approvalLinks').digest('hex'));
    expect(unsubscribe).not.toBe(links);
    expect(links).not.toContain(ROOT);
    const rotated = JSON.stringify({ root: ROOT, unsubscribe: 'a-new-key-put-in-by-hand-0123' });
    expect(keyFromSecretString(rotated, STACK_KEYS.unsubscribe, 'Keys')).toBe(
      'a-new-key-put-in-by-hand-0123',
    );
  });

  it('never derives a key someone outside must hold: Slack’s and the shop’s are refused until put in, without quoting the secret', () => {
    const json = JSON.stringify({ root: ROOT });
    for (const field of [STACK_KEYS.slackSigning, STACK_KEYS.conversionsWebhook]) {
      const read = () => keyFromSecretString(json, field, 'Keys');
      expect(read).toThrow(KeyNotSetError);
      expect(read).toThrow(`Keys has no "${field}" yet: put its value in that field`);
      expect(read).not.toThrow(ROOT);
    }
    expect(
      keyFromSecretString(JSON.stringify({ root: ROOT, slackSigning: ' abc ' }), 'slackSigning', 'Keys'),
    ).toBe('abc');
    expect(() => keyFromSecretString('not json', 'unsubscribe', 'Keys')).toThrow(
      'Keys is not a JSON object of keys',
    );
    expect(() => keyFromSecretString('{"root":"short"}', 'unsubscribe', 'Keys')).toThrow(
      'Keys has neither "unsubscribe" nor a "root" of at least 32 characters',
    );
  });

  it('is read from Secrets Manager by the secret id alone, and the function gets its field', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ root: ROOT }) });
    const source = new SecretsManagerWebhookSecret(
      keyReference(ARN, STACK_KEYS.approvalLinks),
      client,
      undefined,
      undefined,
      'the approval link key',
    );

    expect(await source.get()).toBe(
      createHmac('sha256', ROOT).update('pulsecast/approvalLinks').digest('hex'),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: ARN });
  });
});
