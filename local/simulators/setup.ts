import type { SimContext, SimulatorHandle, SimulatorOptions } from './base.ts';

/** What every platform simulator can be started with, besides its own settings. */
export type PlatformSimulatorOptions = Pick<SimulatorOptions, 'clock' | 'audience' | 'port'>;

/** The options of a simulator of accounts `A`: each account given overrides the defaults (`numberedAccounts`). */
export interface AccountsSimulatorOptions<A> extends PlatformSimulatorOptions {
  accounts?: Partial<A>[];
}

/** A running simulator of accounts `A`, with the accounts it serves. */
export interface AccountsSimulatorHandle<A> extends SimulatorHandle {
  readonly accounts: readonly A[];
  /** The simulator's state, for seeding it (local/simulators/history.ts). */
  readonly ctx: SimContext;
}

/**
 * A simulator's accounts: the first is `first`, later ones are numbered (`nth(2)`, `nth(3)`, …),
 * and each takes its own overrides on top. One account when none are given.
 */
export function numberedAccounts<A>(
  given: Partial<A>[] | undefined,
  first: A,
  nth: (n: number) => Partial<A>,
): A[] {
  return (given ?? [{}]).map((overrides, i) => ({ ...first, ...(i > 0 ? nth(i + 1) : {}), ...overrides }));
}

/** `numbered('x-sim-access-token-', 2)` → `x-sim-access-token-0002`. */
export function numbered(prefix: string, n: number, digits = 4): string {
  return `${prefix}${String(n).padStart(digits, '0')}`;
}
