import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CredentialStore } from '../platforms/port.ts';
import { keyFromSecretString, parseKeyReference } from '../stack-keys.ts';

/**
 * Where the conversion webhook's HMAC secret comes from. Its value is never logged, returned or
 * put in an error message: errors name the place it was looked for, nothing more.
 */
export interface WebhookSecret {
  get(): Promise<string>;
}

/**
 * A webhook request as its signature check sees it: the raw body (checked before anything parses
 * it), the timestamp and signature headers as sent, the secret, and the real clock.
 */
export interface SignedRequest {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Uint8Array;
  now: Date;
}

/** How a sender signs its webhook requests: the headers it puts the timestamp and signature in, and the check. */
export interface SigningScheme {
  timestamp: string;
  signature: string;
  verify(request: SignedRequest): void;
}

/**
 * The secret in Secrets Manager, cached: one named by context (its whole string), or a field of
 * the stack's Keys secret (`<id>#<field>`, shared/stack-keys.ts).
 */
export class SecretsManagerWebhookSecret implements WebhookSecret {
  private cached?: { value: string; at: number };

  constructor(
    private readonly secretId: string,
    private readonly client: SecretsManagerClient = new SecretsManagerClient({}),
    /** A rotated secret reaches every container within this long. */
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
    /** What the secret is, for error messages (other HMAC keys are kept the same way). */
    private readonly what = 'the conversion webhook secret',
  ) {}

  async get(): Promise<string> {
    if (this.cached && this.clock() - this.cached.at < this.ttlMs) return this.cached.value;
    // `<id>#<field>`: one field of the stack's Keys secret (shared/stack-keys.ts).
    const { secretId, field } = parseKeyReference(this.secretId);
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const text = result.SecretString?.trim();
    if (!text) throw new Error(`${this.what} ${secretId} holds no string`);
    const value = field ? keyFromSecretString(text, field, `the stack's Keys secret (${this.what})`) : text;
    this.cached = { value, at: this.clock() };
    return value;
  }
}

/** A fixed value (local mode's `PULSECAST_CONVERSIONS_SECRET`, tests). */
export class StaticWebhookSecret implements WebhookSecret {
  constructor(private readonly value: string) {}
  async get(): Promise<string> {
    return this.value;
  }
}

/** The entry of the local secrets file (`PULSECAST_SECRETS_FILE`) that holds `{ "secret": "…" }`. */
export const LOCAL_SECRET_REF = 'pulsecast/conversions-webhook';

/** A secret shorter than this is a mistake, not a secret. */
export const MIN_SECRET_LENGTH = 16;

/**
 * The `pulsecast/conversions-webhook` entry of local mode's secrets file, `{ "secret": "…" }`;
 * `file` names the file in errors.
 */
export function fileWebhookSecret(
  store: CredentialStore,
  file: string,
  ref = LOCAL_SECRET_REF,
): WebhookSecret {
  return {
    async get() {
      const { secret } = await store.get(ref);
      if (!secret || secret.length < MIN_SECRET_LENGTH) {
        throw new Error(`${file}: "${ref}" needs a "secret" of at least ${MIN_SECRET_LENGTH} characters`);
      }
      return secret;
    },
  };
}
