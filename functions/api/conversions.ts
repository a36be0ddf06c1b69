import { PulsecastError } from '../../shared/errors.ts';
import {
  parseConversionBody,
  recordConversion,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyConversionSignature,
} from '../../shared/measuring/conversions.ts';
import { bodyBytes, header, json, routeGroup } from '../commons/http.ts';
import { now, tableStore, webhookSecret } from '../commons/runtime.ts';

const store = tableStore();

class WebhookNotConfiguredError extends PulsecastError {
  readonly problem = 'webhook-not-configured';
  readonly status = 503;
}

// Resolved once per container. Local mode loads every route module at start, so a deployment
// without a webhook secret answers 503 here instead of keeping the whole API from starting.
const secret = webhookSecret();

/**
 * POST /v1/conversions: the webhook of the user's site or shop. No IAM auth (a shop has no AWS
 * credentials): the HMAC signature of the raw body is checked first, the body parsed after.
 * 201 when recorded, 200 when the event id was seen before (counted once).
 */
export const handler = routeGroup({
  'POST /v1/conversions': async (event) => {
    if (secret instanceof Error) throw new WebhookNotConfiguredError(secret.message);
    const body = bodyBytes(event);
    verifyConversionSignature({
      secret: await secret.get(),
      timestamp: header(event, TIMESTAMP_HEADER),
      signature: header(event, SIGNATURE_HEADER),
      body,
      // Freshness is about the sender's real clock: local mode's `now()` is virtual and may be
      // days ahead, which would refuse every honestly signed request after a clock advance.
      now: new Date(),
    });
    const result = await recordConversion(parseConversionBody(body), { store, now });
    return json(result.created ? 201 : 200, result);
  },
});
