import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnsubscribeSignatureError } from '../errors.ts';
import type { PreferenceStore } from '../store/notifications.ts';

/**
 * One-click unsubscribe (RFC 8058) without IAM: each email carries a link of its own,
 * `<api>/v1/unsubscribe?r=<address>&s=<signature>`, where the signature is an HMAC-SHA256 of
 * the address under a secret only Pulsecast holds. The endpoint takes no credentials and trusts
 * nothing but that signature: a valid one can only ever unsubscribe the address it was made for.
 * Mail clients POST to it (`List-Unsubscribe=One-Click`); a person who opens the link gets a
 * page with a button (a GET changes nothing: link scanners open every link of a message).
 */

/** The HMAC key, read from Secrets Manager deployed, from local mode's secrets file locally. */
export interface UnsubscribeKey {
  get(): Promise<string>;
}

const DOMAIN = 'pulsecast-unsubscribe-v1';

function sign(key: string, address: string): string {
  return createHmac('sha256', key).update(`${DOMAIN}\n${address.toLowerCase()}`).digest('base64url');
}

/** The address's own unsubscribe link. */
export async function unsubscribeLink(apiUrl: string, key: UnsubscribeKey, address: string): Promise<string> {
  const url = new URL('/v1/unsubscribe', apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
  // Keep any stage path of the API's base URL (`https://…/prod/v1/unsubscribe`).
  url.pathname = `${new URL(apiUrl).pathname.replace(/\/$/, '')}/v1/unsubscribe`;
  url.searchParams.set('r', Buffer.from(address.toLowerCase()).toString('base64url'));
  url.searchParams.set('s', sign(await key.get(), address));
  return url.toString();
}

/** The address a link was made for; throws UnsubscribeSignatureError for anything else. */
export async function verifyUnsubscribe(
  key: UnsubscribeKey,
  query: { r?: string | undefined; s?: string | undefined },
): Promise<string> {
  const address = query.r ? Buffer.from(query.r, 'base64url').toString('utf8') : '';
  if (!/^[^@\s]+@[^@\s]+$/.test(address) || !query.s) {
    throw new UnsubscribeSignatureError(
      'this unsubscribe link is incomplete: use the whole link from the email',
    );
  }
  const expected = Buffer.from(sign(await key.get(), address));
  const given = Buffer.from(query.s);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new UnsubscribeSignatureError(
      'this unsubscribe link is not valid: use the whole link from the email',
    );
  }
  return address;
}

/** Records the choice; repeating it changes nothing. */
export async function unsubscribe(store: PreferenceStore, address: string, now: Date): Promise<void> {
  await store.putRecipientPreference({ address, unsubscribed: true, updatedAt: now.toISOString() });
}

/** Whether email may go to `address`. */
export async function mayEmail(store: PreferenceStore, address: string): Promise<boolean> {
  return !(await store.getRecipientPreference(address))?.unsubscribed;
}
