import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequestError } from '../errors.ts';

type Key = Record<string, string>;

const NOT_OURS = 'cursor is not one this API returned for this list; start again without it';
const MAX_CURSOR_LENGTH = 4096;

function invalid(cause?: unknown): BadRequestError {
  return new BadRequestError(NOT_OURS, [{ column: 'cursor', message: NOT_OURS }], cause ? { cause } : {});
}

/** Plain opaque cursors (base64url JSON) for positions that are checked in full when read back. */
export function encodeCursor(key: Key | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/** Decodes a plain cursor a caller sent back; anything we did not produce is a 400, not a 500. */
export function decodeCursor(cursor: string | undefined, expectedKeys: readonly string[]): Key | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  return parseKey(cursor, expectedKeys);
}

function parseKey(payload: string, expectedKeys: readonly string[]): Key {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid(error);
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalid();
  const entries = Object.entries(decoded);
  if (entries.length !== expectedKeys.length) throw invalid();
  for (const name of expectedKeys) {
    if (typeof (decoded as Record<string, unknown>)[name] !== 'string') throw invalid();
  }
  return decoded as Key;
}

/**
 * Cursors that hand out a DynamoDB key to continue after. A caller could otherwise forge one
 * (right field names, wrong values) or send one list's cursor to another, and DynamoDB would
 * answer a 500-worthy ValidationException or, worse, start somewhere the caller chose. So each
 * cursor carries an HMAC over the key *and the list it belongs to* (`scope`), with a key only
 * this deployment holds: a cursor that was not made here, for this list, is refused as a 400.
 */
export class SignedCursors {
  constructor(private readonly secret: () => Promise<Uint8Array>) {}

  async encode(scope: string, key: Key | undefined): Promise<string | undefined> {
    if (!key) return undefined;
    const payload = Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
    return `${payload}.${await this.mac(scope, payload)}`;
  }

  async decode(
    scope: string,
    cursor: string | undefined,
    expectedKeys: readonly string[],
  ): Promise<Key | undefined> {
    if (cursor === undefined || cursor === '') return undefined;
    const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(cursor);
    if (cursor.length > MAX_CURSOR_LENGTH || !match) throw invalid();
    const [, payload, offered] = match as unknown as [string, string, string];
    const expected = Buffer.from(await this.mac(scope, payload), 'base64url');
    const given = Buffer.from(offered, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    return parseKey(payload, expectedKeys);
  }

  private async mac(scope: string, payload: string): Promise<string> {
    return createHmac('sha256', await this.secret())
      .update(scope)
      .update('\n')
      .update(payload)
      .digest('base64url');
  }
}
