import type { Stats } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CredentialStore, Credentials } from './port.ts';

/** A secret that is missing or not a JSON object of strings. The message never holds its value. */
export class CredentialsError extends Error {
  constructor(
    readonly secretRef: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`credentials '${secretRef}': ${reason}`, options);
    this.name = 'CredentialsError';
  }
}

function parseCredentials(secretRef: string, text: string | undefined): Credentials {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    // The parse error would quote the secret: leave it out.
    throw new CredentialsError(secretRef, 'the secret is not a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CredentialsError(secretRef, 'the secret is not a JSON object');
  }
  const entries = Object.entries(value);
  if (!entries.every(([, v]) => typeof v === 'string')) {
    throw new CredentialsError(secretRef, 'every field of the secret must be a string');
  }
  return Object.fromEntries(entries) as Credentials;
}

/** Channel credentials in AWS Secrets Manager, one secret per channel, cached per container. */
export class SecretsManagerCredentialStore implements CredentialStore {
  private readonly cache = new Map<string, { value: Credentials; at: number }>();

  constructor(
    private readonly client: SecretsManagerClient = new SecretsManagerClient({}),
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(secretRef: string): Promise<Credentials> {
    const cached = this.cache.get(secretRef);
    if (cached && this.clock() - cached.at < this.ttlMs) return cached.value;
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: secretRef }));
      const value = parseCredentials(secretRef, result.SecretString);
      this.cache.set(secretRef, { value, at: this.clock() });
      return value;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new CredentialsError(secretRef, 'no such secret', { cause: error });
      }
      throw error;
    }
  }

  async put(secretRef: string, credentials: Credentials): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({ SecretId: secretRef, SecretString: JSON.stringify(credentials) }),
    );
    this.cache.set(secretRef, { value: credentials, at: this.clock() });
  }
}

const versionOf = (info: Stats) => `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;

/** How recently modified a secrets file must not be for its contents to be kept (see below). */
const RACY_MS = 100;

/**
 * Local mode: credentials in one JSON file keyed by `secretRef` (`PULSECAST_SECRETS_FILE`). The
 * file is read again only when it changed (another inode, size or modification time): every
 * publish, health check and metrics read asks for credentials, and a simulated month asks
 * thousands of times; a `stat` is one trip to the disk thread pool where a read is four. A file
 * modified in the last 100 ms by someone else is not kept: file times are coarse (a few ms), so a
 * write that soon after could leave the same size and time behind. What the store itself wrote
 * (token refreshes, once an hour or more often in a fast-forward) is kept at once, under the
 * times of its own new file.
 */
export class FileCredentialStore implements CredentialStore {
  private cached?: { version: string; all: Readonly<Record<string, unknown>>; own?: boolean };

  constructor(private readonly path: string) {}

  private async readAll(): Promise<Readonly<Record<string, unknown>>> {
    let version: string | undefined;
    try {
      const statedAt = Date.now();
      const info = await stat(this.path);
      const current = versionOf(info);
      if (this.cached?.version === current && this.cached.own) return this.cached.all;
      if (Math.max(info.mtimeMs, info.ctimeMs) < statedAt - RACY_MS) version = current;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    if (version !== undefined && this.cached?.version === version) return this.cached.all;
    try {
      // Read after the stat: a change in between is seen by the next call's stat.
      const value: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        this.cached = version === undefined ? undefined : { version, all: value as Record<string, unknown> };
        return value as Record<string, unknown>;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`the secrets file ${this.path} is not valid JSON`);
    }
    throw new Error(`the secrets file ${this.path} must hold a JSON object keyed by secretRef`);
  }

  async get(secretRef: string): Promise<Credentials> {
    const all = await this.readAll();
    if (!(secretRef in all)) throw new CredentialsError(secretRef, `not in ${this.path}`);
    return parseCredentials(secretRef, JSON.stringify(all[secretRef]));
  }

  async put(secretRef: string, credentials: Credentials): Promise<void> {
    const all = { ...(await this.readAll()), [secretRef]: credentials };
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(all, null, 2)}\n`);
      await rename(temporary, this.path);
      // Stated through the open file, after the rename: this store's own file, whatever came after.
      this.cached = { version: versionOf(await file.stat()), all, own: true };
    } finally {
      await file.close();
    }
  }
}
