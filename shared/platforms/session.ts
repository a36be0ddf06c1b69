import type * as z from 'zod';
import type { Channel } from '../domain/index.ts';
import { type CredentialHealth, type CredentialStore, type Credentials, PlatformError } from './port.ts';
import { beforePublishing } from './posting.ts';

/**
 * One way for every adapter to hold a channel's credentials: read the secret, check it with the
 * adapter's schema, refresh it when it is about to run out (or the platform refused it), and
 * write the refreshed secret back. An adapter describes its credentials in a `CredentialSpec`;
 * `CredentialSessions` does the rest.
 */

type SecretOwner = Pick<Channel, 'id' | 'secretRef'>;

/**
 * How long before expiry a long-lived (60-day) token — Meta's, LinkedIn's — is refreshed, and,
 * where it cannot be, reported as expiring: a week leaves a person time to reconnect.
 */
export const LONG_LIVED_REFRESH_AHEAD_MS = 7 * 24 * 3_600_000;

export interface CredentialSpec<C extends object> {
  /** The platform's name as a marketer reads it, for messages. */
  platformName: string;
  /** The secret's shape; a secret that does not fit is the channel's problem (`auth`). */
  schema: z.ZodType<C>;
  /** When the credentials stop working (epoch ms); undefined when unknown or never. */
  expiresAt?(credentials: C): number | undefined;
  /** How long before `expiresAt` the credentials are refreshed. @default 0 */
  refreshAheadMs?: number;
  /** Whether `refresh` can work for these credentials (a refresh token is there and alive). */
  canRefresh?(credentials: C, channel: Channel, now: Date): boolean;
  /** New credentials from the platform; the session stores them. Throws PlatformError. */
  refresh?(credentials: C, channel: Channel): Promise<C>;
  /** What a person must do once the credentials have run out and cannot be refreshed. */
  reconnect?: string;
}

/**
 * Refreshes in flight in this process, per platform and secret. One map for every session, not
 * one per session: the publishing adapter and the Listener's reader of the same channel are two
 * sessions, and with a rotating single-use refresh token (X) two refreshes racing means one of
 * them is refused.
 */
const refreshing = new Map<string, Promise<unknown>>();

/** How long a refused refresh waits before reading the secret once more for another worker's pair. */
export const RACED_REFRESH_WAIT_MS = 750;

/** The credentials of every channel of one platform, with their refreshes in flight. */
export class CredentialSessions<C extends object> {
  constructor(
    private readonly spec: CredentialSpec<C>,
    readonly now: () => Date,
  ) {}

  /** The channel's secret, checked against the schema. Messages name fields, never values. */
  async read(channel: SecretOwner, store: CredentialStore): Promise<C> {
    const parsed = this.spec.schema.safeParse(await store.get(channel.secretRef));
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(secret)'))];
      throw new PlatformError(
        'auth',
        `the ${this.spec.platformName} credentials of channel '${channel.id}' (secret '${channel.secretRef}') are incomplete or malformed: check ${fields.join(', ')}`,
        { platformCode: 'credentials' },
      );
    }
    return parsed.data;
  }

  /**
   * The channel's credentials, refreshed first when they are due. Credentials that have run out
   * and cannot be refreshed are an `auth` failure: a person has to reconnect the channel.
   */
  async open(channel: Channel, store: CredentialStore): Promise<CredentialSession<C>> {
    const credentials = await this.read(channel, store);
    const session = new CredentialSession(this, channel, store, credentials);
    if (!this.due(credentials)) return session;
    if (this.canRefresh(credentials, channel)) {
      await session.refresh();
      return session;
    }
    const expiresAt = this.spec.expiresAt?.(credentials);
    if (expiresAt !== undefined && expiresAt <= this.now().getTime()) {
      throw new PlatformError(
        'auth',
        `the ${this.spec.platformName} token of channel '${channel.id}' expired at ${new Date(expiresAt).toISOString()} and cannot be refreshed; ${this.spec.reconnect ?? 'reconnect the channel'}`,
        { platformCode: 'token-expired' },
      );
    }
    return session;
  }

  canRefresh(credentials: C, channel: Channel): boolean {
    if (!this.spec.refresh) return false;
    return this.spec.canRefresh?.(credentials, channel, this.now()) ?? true;
  }

  /**
   * Refreshes and stores the result, once per secret at a time: a batch publishes a channel's
   * posts concurrently, and two refreshes racing would each store a token (the second possibly
   * rotating the first away). A refresh never publishes anything, so a lost answer here means
   * "not sent", not "unknown".
   */
  refresh(channel: Channel, store: CredentialStore, current: C): Promise<C> {
    const key = `${this.spec.platformName}\u0000${channel.secretRef}`;
    const running = refreshing.get(key) as Promise<C> | undefined;
    if (running) return running;
    const run = beforePublishing(() => this.refreshAndStore(channel, store, current)).finally(() =>
      refreshing.delete(key),
    );
    refreshing.set(key, run);
    return run;
  }

  private async refreshAndStore(channel: Channel, store: CredentialStore, current: C): Promise<C> {
    const refresh = this.spec.refresh;
    if (!refresh) {
      throw new PlatformError(
        'auth',
        `the ${this.spec.platformName} credentials of channel '${channel.id}' cannot be refreshed; reconnect the channel`,
      );
    }
    let next: C;
    try {
      next = await refresh(current, channel);
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'auth') {
        // A rotated refresh token is single-use: another worker (another Lambda container) may
        // have spent it a moment ago and be about to store the new pair. Use theirs rather than
        // disconnecting the channel: read now, and once more after a short wait in case their
        // write had not landed yet.
        for (const wait of [0, RACED_REFRESH_WAIT_MS]) {
          if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
          const latest = await this.read(channel, store);
          if (!sameCredentials(latest, current) && !this.due(latest)) return latest;
        }
      }
      throw error;
    }
    await store.put(channel.secretRef, toCredentials(next));
    return next;
  }

  private due(credentials: C): boolean {
    const expiresAt = this.spec.expiresAt?.(credentials);
    if (expiresAt === undefined) return false;
    return expiresAt - this.now().getTime() <= (this.spec.refreshAheadMs ?? 0);
  }
}

/** One use of a channel's credentials (a publish, a lookup, a metrics read). */
export class CredentialSession<C extends object> {
  private refreshedHere = false;
  private readonly seen = new Set<string>();

  constructor(
    private readonly sessions: CredentialSessions<C>,
    readonly channel: Channel,
    private readonly store: CredentialStore,
    private current: C,
  ) {
    this.remember(current);
  }

  get credentials(): C {
    return this.current;
  }

  /** Whether this session refreshed the credentials. */
  get refreshed(): boolean {
    return this.refreshedHere;
  }

  /** Every secret value this session has held (old tokens too), for redaction. */
  get secrets(): string[] {
    return [...this.seen];
  }

  get canRefresh(): boolean {
    return this.sessions.canRefresh(this.current, this.channel);
  }

  async refresh(): Promise<void> {
    this.current = await this.sessions.refresh(this.channel, this.store, this.current);
    this.remember(this.current);
    this.refreshedHere = true;
  }

  /**
   * Sends with the current credentials; when the platform refuses them, refreshes once and sends
   * again. A refused request was not processed, so sending it again cannot publish twice.
   */
  async send<R>(attempt: (credentials: C) => Promise<R>, refused: (result: R) => boolean): Promise<R> {
    const result = await attempt(this.current);
    if (!refused(result) || this.refreshedHere || !this.canRefresh) return result;
    await this.refresh();
    return attempt(this.current);
  }

  private remember(credentials: C): void {
    for (const value of credentialSecrets(credentials as Record<string, unknown>)) this.seen.add(value);
  }
}

/**
 * The values of a secret that are secret (tokens, passwords, client secrets), for redaction.
 * Identifiers (a Page id, an organisation URN, a handle) are left out so that error messages can
 * still name the object.
 */
export function credentialSecrets(credentials: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(credentials)
    .filter(([key, value]) => /token|secret|password|jwt/i.test(key) && typeof value === 'string')
    .map(([, value]) => value as string)
    .filter((value) => value.length >= 6);
}

/** A credentials object as stored: string fields only, the unset ones left out. */
function toCredentials(values: object): Credentials {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function sameCredentials(a: object, b: object): boolean {
  return JSON.stringify(toCredentials(a)) === JSON.stringify(toCredentials(b));
}

/**
 * Runs a credential probe and says how the credentials stand: a refused or expired token becomes
 * a status, and a platform that cannot be asked just now is `unknown` (not an alarm).
 */
export async function credentialHealth(
  platformName: string,
  channel: Pick<Channel, 'id'>,
  probe: () => Promise<{ refreshed: boolean; expiresAt?: string; warning?: string }>,
): Promise<CredentialHealth> {
  try {
    const result = await probe();
    const at = result.expiresAt ? { expiresAt: result.expiresAt } : {};
    if (result.warning) return { status: 'expiring', ...at, message: result.warning };
    if (result.refreshed) {
      return {
        status: 'refreshed',
        ...at,
        message: `the ${platformName} token of channel '${channel.id}' was refreshed`,
      };
    }
    return {
      status: 'ok',
      ...at,
      message: `the ${platformName} credentials of channel '${channel.id}' work`,
    };
  } catch (error) {
    if (error instanceof PlatformError && error.kind === 'auth') {
      const expired =
        error.details.platformCode === 'token-expired' || error.details.platformCode === 'refresh-failed';
      return { status: expired ? 'expired' : 'invalid', message: error.message };
    }
    if (error instanceof PlatformError) {
      return {
        status: 'unknown',
        message: `could not check the ${platformName} credentials now: ${error.message}`,
      };
    }
    throw error;
  }
}
