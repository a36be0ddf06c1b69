import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { problemError } from '../errors.ts';

/**
 * Signed approval links (the email half of approval requests). A link names one post, one review
 * round, one step and one approver, and expires; it is an HMAC-SHA256 over exactly those claims
 * with a key only this deployment holds (docs/adr/0015-approvals-due-index-and-signed-links.md). It is single use without
 * any store of its own: a decision is recorded on the post under a conditional write, for that
 * approver, step and round, and `decide` refuses a second decision for the same three — so the
 * second of two racing clicks loses the conditional write, reads the post again and is refused.
 */
export const LinkClaims = z.strictObject({
  /** post id */
  p: z.string().min(1).max(64),
  /** review round */
  r: z.number().int().min(1),
  /** step index */
  s: z.number().int().min(0),
  /** approver email */
  a: z.string().min(3).max(320),
  /** expiry, epoch seconds */
  e: z.number().int(),
  /** nonce: two links for the same claims still differ */
  n: z.string().max(32),
});
export type LinkClaims = z.infer<typeof LinkClaims>;

/** A link that is not ours, was altered, expired or no longer fits the post: refused, nothing changes. */
export class ApprovalLinkError extends problemError('approval-link-refused', 403) {}

const MAX_TOKEN_LENGTH = 2048;
/** How long a link lives at most; it also dies when its post falls due. */
export const LINK_TTL_MS = 14 * 24 * 3_600_000;

export class ApprovalLinks {
  constructor(private readonly key: () => Promise<string>) {}

  async sign(claims: Omit<LinkClaims, 'n' | 'e'> & { expiresAt: Date }): Promise<string> {
    const { expiresAt, ...rest } = claims;
    const full: LinkClaims = {
      ...rest,
      e: Math.floor(expiresAt.getTime() / 1000),
      n: randomBytes(6).toString('base64url'),
    };
    const payload = Buffer.from(JSON.stringify(full), 'utf8').toString('base64url');
    return `${payload}.${await this.mac(payload)}`;
  }

  /** The claims of a link this deployment signed that has not expired; otherwise ApprovalLinkError. */
  async verify(token: string | undefined, now: Date): Promise<LinkClaims> {
    const refused = (why: string) => new ApprovalLinkError(`this approval link ${why}`);
    if (!token || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      throw refused('is not valid; open the link from the latest email');
    }
    const [payload = '', mac = ''] = token.split('.');
    const expected = Buffer.from(await this.mac(payload), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw refused('is not valid; open the link from the latest email');
    }
    let claims: LinkClaims;
    try {
      claims = LinkClaims.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch (error) {
      throw new ApprovalLinkError('this approval link is not valid', { cause: error });
    }
    if (claims.e * 1000 <= now.getTime())
      throw refused('has expired; use the API or the CLI, or a newer email');
    return claims;
  }

  private async mac(payload: string): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(`pulsecast-approval-link\n${payload}`)
      .digest('base64url');
  }
}

/** When a link sent now for a post due at `scheduledAt` expires: at its time, or after 14 days. */
export function linkExpiry(now: Date, scheduledAt: string): Date {
  return new Date(Math.min(Date.parse(scheduledAt), now.getTime() + LINK_TTL_MS));
}
