import { randomBytes } from 'node:crypto';

// The tokens a simulator issues, expires and revokes.

/** Issued access and refresh tokens, each belonging to one account. */
export class TokenStore {
  private readonly tokens = new Map<
    string,
    { account: string; kind: 'access' | 'refresh'; expiresAt?: number; revoked: boolean }
  >();

  constructor(private readonly clock: () => Date) {}

  /** A new random token (or the given value) for an account, valid for `ttlSeconds` if given. */
  issue(
    account: string,
    options: { kind?: 'access' | 'refresh'; ttlSeconds?: number; value?: string } = {},
  ): string {
    const value = options.value ?? randomBytes(24).toString('base64url');
    this.tokens.set(value, {
      account,
      kind: options.kind ?? 'access',
      revoked: false,
      ...(options.ttlSeconds !== undefined
        ? { expiresAt: this.clock().getTime() + options.ttlSeconds * 1000 }
        : {}),
    });
    return value;
  }

  check(
    value: string,
    kind: 'access' | 'refresh' = 'access',
  ): { ok: true; account: string } | { ok: false; reason: 'invalid' | 'expired' } {
    const token = this.tokens.get(value);
    if (!token || token.kind !== kind) return { ok: false, reason: 'invalid' };
    if (token.revoked) return { ok: false, reason: 'invalid' };
    if (token.expiresAt !== undefined && token.expiresAt <= this.clock().getTime())
      return { ok: false, reason: 'expired' };
    return { ok: true, account: token.account };
  }

  revoke(value: string): void {
    const token = this.tokens.get(value);
    if (token) token.revoked = true;
  }

  /** Every token, for a simulator that keeps its state across restarts. */
  snapshot(): [
    string,
    { account: string; kind: 'access' | 'refresh'; expiresAt?: number; revoked: boolean },
  ][] {
    return [...this.tokens.entries()];
  }

  /** Tokens a previous run issued (a refreshed token saved in the secrets file must keep working). */
  restore(entries: ReturnType<TokenStore['snapshot']>): void {
    for (const [value, token] of entries) if (!this.tokens.has(value)) this.tokens.set(value, token);
  }

  /** Makes every token of this kind issued so far expire now. */
  expireAll(kind: 'access' | 'refresh' = 'access'): void {
    const now = this.clock().getTime();
    for (const token of this.tokens.values())
      if (token.kind === kind) token.expiresAt = Math.min(token.expiresAt ?? now, now);
  }
}
