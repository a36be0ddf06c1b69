import { BadRequestError } from '../errors.ts';

type Key = Record<string, string>;

/** Opaque pagination cursors: the DynamoDB key to continue after, base64url-encoded JSON. */
export function encodeCursor(key: Key | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/** Decodes a cursor a caller sent back; anything we did not produce is a 400, not a 500. */
export function decodeCursor(cursor: string | undefined, expectedKeys: readonly string[]): Key | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const invalid = () => new BadRequestError('cursor is not one this API returned; start again without it');
  if (cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new BadRequestError('cursor is not one this API returned; start again without it', [], {
      cause: error,
    });
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalid();
  const entries = Object.entries(decoded);
  if (entries.length !== expectedKeys.length) throw invalid();
  for (const name of expectedKeys) {
    if (typeof (decoded as Record<string, unknown>)[name] !== 'string') throw invalid();
  }
  return decoded as Key;
}
