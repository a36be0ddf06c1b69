import type { ZodType } from 'zod';
import { BadRequestError, ValidationError } from './errors.ts';

/**
 * Parses a raw JSON body with a zod schema: bytes that are not UTF-8 JSON are a 400; JSON that
 * breaks the schema is a 422 (`invalidMessage`) naming each field.
 */
export function parseJsonBytes<T>(raw: Uint8Array, schema: ZodType<T>, invalidMessage: string): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (error) {
    throw new BadRequestError('the body is not valid UTF-8 JSON', [], { cause: error });
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    invalidMessage,
    result.error.issues.map((issue) => ({ column: issue.path.join('.') || 'body', message: issue.message })),
  );
}
