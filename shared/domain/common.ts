import * as z from 'zod';

/** An IANA time zone name that this runtime knows (e.g. `Europe/Berlin`, `Asia/Kolkata`). */
export const IanaTimezone = z.string().refine(isIanaTimezone, {
  message: 'is not an IANA time zone name (for example Europe/Berlin or America/New_York)',
});

/** Zone names already checked: building an Intl formatter per row made large uploads slow. */
const knownZones = new Map<string, boolean>();

export function isIanaTimezone(value: string): boolean {
  if (value.length === 0 || value.length > 64) return false;
  let known = knownZones.get(value);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      known = true;
    } catch {
      known = false;
    }
    if (knownZones.size < 1000) knownZones.set(value, known);
  }
  return known;
}

/** A UTC instant as stored: ISO-8601 with milliseconds and `Z`. */
export const UtcInstant = z.iso.datetime({ offset: false, precision: 3 });

/** User-chosen identifiers (channels, campaigns, posts): short, URL- and key-safe. */
/**
 * What the store keeps on every record besides its content: when it was created and last written,
 * and its version, incremented by every write (every write is conditional on the version it read).
 */
export const STORED_FIELDS = {
  createdAt: UtcInstant,
  updatedAt: UtcInstant,
  version: z.number().int().min(1),
};

export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain only letters, digits, ".", "_" and "-"');

export const HttpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'is not an http(s) URL');

/** One page of a list, with an opaque cursor for the next page when there is one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
