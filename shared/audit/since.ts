import * as z from 'zod';

/** The furthest back an audit reads: two years (what platforms list is shorter still). */
export const MAX_AUDIT_DAYS = 730;
export const DEFAULT_SINCE = '90d';

/**
 * When an audit starts reading from: `90d` / `12w` back from now, or a date (`2026-01-31`, read as
 * UTC midnight) or instant in the past, within {@link MAX_AUDIT_DAYS}.
 */
export function sinceInstant(value: string, now: Date): string {
  const relative = /^(\d{1,4})([dw])$/.exec(value.trim());
  let at: number;
  if (relative) {
    const days = Number(relative[1]) * (relative[2] === 'w' ? 7 : 1);
    at = now.getTime() - days * 86_400_000;
  } else if (/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value.trim())) {
    at = Date.parse(value.trim().length === 10 ? `${value.trim()}T00:00:00Z` : value.trim());
    if (Number.isNaN(at)) throw new Error(`'${value}' is not a date`);
  } else {
    throw new Error(`'${value}' is neither a span like 90d or 12w nor a date like 2026-01-31`);
  }
  if (at >= now.getTime()) throw new Error(`'${value}' is not in the past`);
  if (now.getTime() - at > MAX_AUDIT_DAYS * 86_400_000)
    throw new Error(`'${value}' is more than ${MAX_AUDIT_DAYS} days back`);
  return new Date(at).toISOString();
}

/** The body of `POST /v1/channels/{id}/audit`. */
export const AuditRequest = z.strictObject({ since: z.string().min(1).max(40).default(DEFAULT_SINCE) });
