import { describe, expect, it } from 'vitest';
import {
  signConversion,
  verifyConversionSignature,
  WebhookAuthError,
} from '../../shared/measuring/conversions.ts';

const SECRET = 'whsec-0123456789abcdef';
const NOW = new Date('2026-12-08T12:00:00.000Z');
const AT = String(NOW.getTime() / 1000);
const BODY = new TextEncoder().encode('{"id":"evt-1","value":10,"currency":"EUR"}');

function verify(overrides: Partial<Parameters<typeof verifyConversionSignature>[0]> = {}) {
  return () =>
    verifyConversionSignature({
      secret: SECRET,
      timestamp: AT,
      signature: signConversion(SECRET, AT, BODY),
      body: BODY,
      now: NOW,
      ...overrides,
    });
}

describe('the conversion webhook signature', () => {
  it('is HMAC-SHA256 of timestamp + "." + raw body, as docs/architecture.md#conversions fixes it', () => {
    // Computed independently: printf '%s' '1796731200.{"id":"evt-1","value":10,"currency":"EUR"}' | openssl dgst -sha256 -hmac whsec-0123456789abcdef
    expect(signConversion(SECRET, AT, BODY)).toBe(
      'sha256=5d31af3778975011000502674773c4454a283856f1b86d109fbf25252014a04e',
    );
    expect(verify()).not.toThrow();
  });

  it.each([
    [
      'another secret',
      { signature: signConversion('another-secret-entirely', AT, BODY) },
      'signature-invalid',
    ],
    [
      'a changed body',
      { body: new TextEncoder().encode('{"id":"evt-1","value":1000,"currency":"EUR"}') },
      'signature-invalid',
    ],
    ['a changed timestamp', { timestamp: String(Number(AT) + 1) }, 'signature-invalid'],
    [
      'a truncated signature',
      { signature: signConversion(SECRET, AT, BODY).slice(0, 40) },
      'signature-invalid',
    ],
    ['no hex at all', { signature: 'sha256=zzzz' }, 'signature-invalid'],
    [
      'another scheme',
      { signature: `md5=${signConversion(SECRET, AT, BODY).slice(7)}` },
      'signature-invalid',
    ],
    ['no signature', { signature: undefined }, 'signature-missing'],
    ['no timestamp', { timestamp: undefined }, 'signature-missing'],
    ['a timestamp in milliseconds', { timestamp: `${NOW.getTime()}.5` }, 'timestamp-invalid'],
  ])('refuses %s', (_what, overrides, problem) => {
    expect(verify(overrides)).toThrow(WebhookAuthError);
    try {
      verify(overrides)();
    } catch (error) {
      expect((error as WebhookAuthError).problem).toBe(problem);
      expect((error as WebhookAuthError).status).toBe(401);
      expect((error as Error).message).not.toContain(SECRET);
    }
  });

  it('refuses a correctly signed request more than 5 minutes old or ahead (a replay, a wrong clock)', () => {
    for (const skew of [-301, 301]) {
      const at = String(Number(AT) + skew);
      expect(verify({ timestamp: at, signature: signConversion(SECRET, at, BODY) })).toThrow(
        /refused as replays/,
      );
    }
    const at = String(Number(AT) - 299);
    expect(verify({ timestamp: at, signature: signConversion(SECRET, at, BODY) })).not.toThrow();
  });

  it('accepts any one of several signatures, so a sender can sign with old and new secret while rotating', () => {
    const both = `sha256=${'0'.repeat(64)}, ${signConversion(SECRET, AT, BODY)}`;
    expect(verify({ signature: both })).not.toThrow();
  });
});
