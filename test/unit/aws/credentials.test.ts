import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CredentialsError,
  FileCredentialStore,
  SecretsManagerCredentialStore,
} from '../../../shared/platforms/credentials.ts';

const client = new SecretsManagerClient({ region: 'us-east-1' });
const secrets = mockClient(client);
afterEach(() => secrets.reset());

const SECRET_VALUE = 'sk-very-secret-0123456789';

describe('SecretsManagerCredentialStore', () => {
  it('reads a channel secret once and serves it from cache within the TTL', async () => {
    let now = 0;
    const store = new SecretsManagerCredentialStore(client, 60_000, () => now);
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ accessToken: SECRET_VALUE }) });
    expect(await store.get('pulsecast/x-main')).toEqual({ accessToken: SECRET_VALUE });
    now = 59_000;
    await store.get('pulsecast/x-main');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now = 61_000;
    await store.get('pulsecast/x-main');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('writes refreshed tokens back', async () => {
    const store = new SecretsManagerCredentialStore(client);
    secrets.on(PutSecretValueCommand).resolves({});
    await store.put('pulsecast/x-main', { accessToken: 'new' });
    expect(secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'pulsecast/x-main',
      SecretString: '{"accessToken":"new"}',
    });
  });

  it('names a missing secret and never quotes a malformed one', async () => {
    const store = new SecretsManagerCredentialStore(client);
    secrets
      .on(GetSecretValueCommand, { SecretId: 'pulsecast/missing' })
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    secrets
      .on(GetSecretValueCommand, { SecretId: 'pulsecast/broken' })
      .resolves({ SecretString: `{${SECRET_VALUE}` });
    await expect(store.get('pulsecast/missing')).rejects.toThrow(/pulsecast\/missing.*no such secret/);
    const error = await store.get('pulsecast/broken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(String((error as Error).message)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(error)).not.toContain(SECRET_VALUE);
  });
});

describe('FileCredentialStore', () => {
  it('reads secrets by secretRef from the local JSON file and writes updates privately', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    writeFileSync(path, JSON.stringify({ 'local/x-main': { accessToken: SECRET_VALUE } }));
    const store = new FileCredentialStore(path);
    expect(await store.get('local/x-main')).toEqual({ accessToken: SECRET_VALUE });
    await store.put('local/x-main', { accessToken: 'rotated' });
    expect(JSON.parse(readFileSync(path, 'utf8'))['local/x-main']).toEqual({ accessToken: 'rotated' });
    expect(statSync(path).mode & 0o077).toBe(0);
    await expect(store.get('local/other')).rejects.toBeInstanceOf(CredentialsError);
  });

  it('sees every change to the file, however soon and however small, though it reads it only when it changed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    const write = (token: string) =>
      writeFileSync(path, JSON.stringify({ 'local/x-main': { accessToken: token } }));
    const store = new FileCredentialStore(path);
    const other = new FileCredentialStore(path);

    // Written just now: a same-size rewrite right after a read can carry the same file times.
    write('token-1');
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-1' });
    write('token-2');
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-2' });

    // Settled: the contents are kept, and a rewrite in place (same size) is still seen.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-2' });
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-2' });
    write('token-3');
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-3' });

    // Another store (another function) refreshing the token.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-3' });
    await other.put('local/x-main', { accessToken: 'token-4' });
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-4' });

    // Its own refresh, kept at once; then someone else's rewrite in place is still seen.
    await store.put('local/x-main', { accessToken: 'token-5' });
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-5' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    writeFileSync(path, `${JSON.stringify({ 'local/x-main': { accessToken: 'token-6' } }, null, 2)}\n`);
    expect(await store.get('local/x-main')).toEqual({ accessToken: 'token-6' });
  });
});
