import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { readUtm } from '../calendar/utm.ts';
import { HttpUrl, Slug } from '../domain/index.ts';
import { PulsecastError, ValidationError } from '../errors.ts';
import { parseJsonBytes } from '../json-body.ts';
import type { ChannelStore } from '../store/channels.ts';
import type { Conversion, MeasurementStore } from '../store/measurements.ts';
import type { PostStore } from '../store/posts.ts';
import type { SignedRequest, SigningScheme } from './webhook-secret.ts';

/**
 * The conversion webhook (`POST /v1/conversions`, docs/architecture.md#conversions): the user's site
 * or shop reports a conversion, Pulsecast checks that the shop sent it, keeps it once, and
 * attributes it to the post whose UTM-tagged link brought the visitor.
 *
 * Authentication (no AWS credentials at a shop): `X-Pulsecast-Timestamp: <unix seconds>` and
 * `X-Pulsecast-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + raw body)>`. The
 * timestamp is signed with the body, so an old request cannot be replayed with a fresh one, and a
 * timestamp more than five minutes off is refused. The signature is compared in constant time
 * and checked before the body is parsed: nothing unauthenticated gets further than that.
 */

export const TIMESTAMP_HEADER = 'x-pulsecast-timestamp';
export const SIGNATURE_HEADER = 'x-pulsecast-signature';
/** How far the sender's clock (and the network) may be from ours. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** The request did not prove it comes from the holder of the webhook secret. */
export class WebhookAuthError extends PulsecastError {
  readonly status = 401;
  constructor(
    readonly problem:
      | 'signature-missing'
      | 'signature-invalid'
      | 'timestamp-invalid'
      | 'timestamp-out-of-range',
    message: string,
  ) {
    super(message);
  }
}

/** `sha256=<hex>` for a body sent at `timestamp` (unix seconds): what a sender puts in the header. */
export function signConversion(
  secret: string,
  timestamp: string | number,
  body: string | Uint8Array,
): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

/**
 * Throws WebhookAuthError unless one of the header's signatures (several, comma-separated, are
 * allowed while a sender rotates secrets) is the body's, and the timestamp is within tolerance.
 */
export function verifyConversionSignature(input: SignedRequest & { toleranceSeconds?: number }): void {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) {
    throw new WebhookAuthError(
      'signature-missing',
      `sign the request: headers ${TIMESTAMP_HEADER} (unix seconds) and ${SIGNATURE_HEADER} (sha256=<hex HMAC of timestamp + "." + body>)`,
    );
  }
  if (!/^\d{1,12}$/.test(timestamp.trim())) {
    throw new WebhookAuthError('timestamp-invalid', `${TIMESTAMP_HEADER} must be the unix time in seconds`);
  }
  const expected = Buffer.from(signConversion(input.secret, timestamp.trim(), input.body).slice(7), 'hex');
  const offered = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('sha256='))
    .map((part) => part.slice(7));
  let matched = false;
  for (const hex of offered) {
    // Decoding stops at the first non-hex character; a wrong length is compared against the
    // expected value anyway, so that the time taken says nothing about the input.
    const candidate = /^[0-9a-f]+$/i.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
    const comparable = candidate.length === expected.length ? candidate : Buffer.alloc(expected.length);
    const equal = timingSafeEqual(comparable, expected);
    matched ||= equal && candidate.length === expected.length;
  }
  if (!matched) {
    throw new WebhookAuthError(
      'signature-invalid',
      'the signature does not match the body; sign the exact bytes sent, with the current secret',
    );
  }
  const skew = Math.abs(input.now.getTime() / 1000 - Number(timestamp.trim()));
  if (skew > (input.toleranceSeconds ?? TIMESTAMP_TOLERANCE_SECONDS)) {
    throw new WebhookAuthError(
      'timestamp-out-of-range',
      `the timestamp is ${Math.round(skew)} s away from now; requests older than ${input.toleranceSeconds ?? TIMESTAMP_TOLERANCE_SECONDS} s are refused as replays (check the sender's clock)`,
    );
  }
}

/** How a shop signs the conversions it sends. */
export const CONVERSION_SIGNING: SigningScheme = {
  timestamp: TIMESTAMP_HEADER,
  signature: SIGNATURE_HEADER,
  verify: verifyConversionSignature,
};

const UtmString = z.string().trim().min(1).max(256);

/** What a shop sends. Unknown fields are allowed (shops send more than we read). */
export const ConversionInput = z.looseObject({
  /** The sender's event id: re-sending the same event is safe, it counts once. */
  id: z.string().trim().min(1).max(256),
  /** When it happened; when it arrived if left out. */
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  value: z.number().finite().nonnegative().max(1e12),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, like EUR or USD'),
  /** What was converted, as the shop names it (`purchase`, `signup`). */
  kind: z.string().trim().min(1).max(64).optional(),
  /** The UTM fields the visitor arrived with … */
  utm: z
    .looseObject({
      source: UtmString.optional(),
      medium: UtmString.optional(),
      campaign: UtmString.optional(),
      content: UtmString.optional(),
      term: UtmString.optional(),
    })
    .optional(),
  /** … or the landing page they arrived on (its `utm_*` parameters are read). */
  landingUrl: HttpUrl.optional(),
});
export type ConversionInput = z.infer<typeof ConversionInput>;

/** Parses the raw body: not JSON → 400; JSON that breaks the schema → 422 naming each field. */
export function parseConversionBody(body: Uint8Array): ConversionInput {
  return parseJsonBytes(body, ConversionInput, 'the conversion has invalid fields');
}

export interface ConversionResult {
  id: string;
  /** false: the event was seen before; nothing new was recorded. */
  created: boolean;
  attributed: boolean;
  postId?: string;
  reason?: string;
}

/**
 * Attributes a conversion by its UTM fields (the explicit `utm` object wins over the landing
 * page's) and records it once. `utm_content` names the post (Pulsecast tags every link with its
 * post's id); a `utm_source` or `utm_medium` that contradicts the post (another platform, an
 * email campaign that reused the id) leaves the conversion unattributed, with the reason. An
 * unattributed conversion is kept and counted as such, never dropped.
 */
export async function recordConversion(
  input: ConversionInput,
  deps: { store: MeasurementStore & AttributionStore; now: () => Date },
): Promise<ConversionResult> {
  const receivedAt = deps.now().toISOString();
  const occurredAt = input.occurredAt ? new Date(input.occurredAt).toISOString() : receivedAt;
  if (Date.parse(occurredAt) - Date.parse(receivedAt) > 24 * 3_600_000) {
    throw new ValidationError('the conversion is in the future', [
      {
        column: 'occurredAt',
        message: `${input.occurredAt} is more than a day ahead of now (${receivedAt})`,
      },
    ]);
  }
  const fromUrl = input.landingUrl ? readUtm(input.landingUrl) : {};
  const utm = { ...fromUrl, ...stripUndefined(input.utm ?? {}) };
  const known = Object.fromEntries(
    (['source', 'medium', 'campaign', 'content', 'term'] as const)
      .filter((key) => typeof utm[key] === 'string')
      .map((key) => [key, utm[key] as string]),
  ) as Conversion['utm'];

  const attribution = await attribute(known, deps.store);
  const conversion: Conversion = {
    eventId: input.id,
    occurredAt,
    receivedAt,
    value: input.value,
    currency: input.currency,
    ...(input.kind ? { kind: input.kind } : {}),
    utm: known,
    ...attribution,
  };
  const { created, conversion: stored } = await deps.store.recordConversion(conversion);
  return {
    id: stored.eventId,
    created,
    attributed: stored.postId !== undefined,
    ...(stored.postId ? { postId: stored.postId } : {}),
    ...(stored.unattributedReason ? { reason: stored.unattributedReason } : {}),
  };
}

/** What attributing a conversion reads: the post its UTM content names, and that post's channel. */
type AttributionStore = Pick<PostStore, 'getPost'> & Pick<ChannelStore, 'getChannel'>;

async function attribute(
  utm: Conversion['utm'],
  store: AttributionStore,
): Promise<Pick<Conversion, 'postId' | 'channel' | 'campaign' | 'unattributedReason'>> {
  if (!utm.content) {
    return { unattributedReason: 'no utm_content: the visitor did not come through a tagged post link' };
  }
  // Post ids are Slugs: anything else names no post, and is not looked up. A landing page's
  // utm_content can be 2,000 multi-byte characters, a key DynamoDB refuses to read.
  const post = Slug.safeParse(utm.content).success ? await store.getPost(utm.content) : undefined;
  if (!post) return { unattributedReason: `utm_content '${utm.content}' names no post` };
  if (utm.medium && utm.medium.toLowerCase() !== 'social') {
    return { unattributedReason: `utm_medium '${utm.medium}' is not social` };
  }
  if (utm.source) {
    const channel = await store.getChannel(post.channel);
    if (channel && utm.source.toLowerCase() !== channel.platform) {
      return {
        unattributedReason: `utm_source '${utm.source}' does not match post '${post.id}' (${channel.platform})`,
      };
    }
  }
  return { postId: post.id, channel: post.channel, ...(post.campaign ? { campaign: post.campaign } : {}) };
}

/** Conversions of one post, summed per currency (values in different currencies are never added). */
export function conversionTotals(conversions: readonly Conversion[]): {
  count: number;
  value: Record<string, number>;
} {
  const value: Record<string, number> = {};
  for (const conversion of conversions) {
    // Cents, to keep sums of prices exact.
    value[conversion.currency] =
      Math.round(((value[conversion.currency] ?? 0) + conversion.value) * 100) / 100;
  }
  return { count: conversions.length, value };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
