import type { SimContext, SimulatorHandle, SimulatorOptions } from './base.ts';

/** What every platform simulator can be started with, besides its own settings. */
export type PlatformSimulatorOptions = Pick<SimulatorOptions, 'clock' | 'audience' | 'port'>;

/** The options of a simulator of accounts `A`: each account given overrides the defaults (`numberedAccounts`). */
export interface AccountsSimulatorOptions<A> extends PlatformSimulatorOptions {
  accounts?: Partial<A>[];
}

/** The options of a simulator whose accounts hold OAuth tokens that expire and refresh (LinkedIn, X). */
export interface OAuthSimulatorOptions<A> extends AccountsSimulatorOptions<A> {
  /** Lifetime of access tokens, the starting ones included. @default the platform's (X two hours, LinkedIn 60 days) */
  accessTokenTtlSeconds?: number;
  /** Status polls a video needs before it is ready. @default 1 */
  videoProcessingPolls?: number;
}

/** A running simulator of accounts `A`, with the accounts it serves. */
export interface AccountsSimulatorHandle<A> extends SimulatorHandle {
  readonly accounts: readonly A[];
  /** The simulator's state, for seeding it (local/simulators/history.ts). */
  readonly ctx: SimContext;
}

/**
 * A simulator's accounts: the first is `first`, later ones are numbered (channel
 * `{channelPrefix}-{n}` and `nth(n)` for n = 2, 3, …), and each takes its own overrides on top.
 * One account when none are given.
 */
export function numberedAccounts<A extends { channel: string }>(
  channelPrefix: string,
  given: Partial<A>[] | undefined,
  first: A,
  nth: (n: number) => Partial<A>,
): A[] {
  const numberedOne = (n: number): Partial<A> => ({ ...nth(n), channel: `${channelPrefix}-${n}` });
  return (given ?? [{}]).map((overrides, i) => ({
    ...first,
    ...(i > 0 ? numberedOne(i + 1) : {}),
    ...overrides,
  }));
}

/** `numbered('x-sim-access-token-', 2)` → `x-sim-access-token-0002`. */
export function numbered(prefix: string, n: number, digits = 4): string {
  return `${prefix}${String(n).padStart(digits, '0')}`;
}

/** The `n`th simulated account's OAuth tokens on a platform: `{prefix}-sim-access-token-000n` and its refresh token. */
export function oauthSimTokens(prefix: string, n = 1): { accessToken: string; refreshToken: string } {
  return {
    accessToken: numbered(`${prefix}-sim-access-token-`, n),
    refreshToken: numbered(`${prefix}-sim-refresh-token-`, n),
  };
}
