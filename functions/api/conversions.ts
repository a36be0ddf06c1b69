import { problemError } from '../../shared/errors.ts';
import {
  CONVERSION_SIGNING,
  parseConversionBody,
  recordConversion,
} from '../../shared/measuring/conversions.ts';
import { json, routeGroup, signedBody } from '../commons/http.ts';
import { now, tableStore, webhookSecret } from '../commons/runtime.ts';

const store = tableStore();

class WebhookNotConfiguredError extends problemError('webhook-not-configured', 503) {}

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
    const body = await signedBody(event, secret, CONVERSION_SIGNING);
    const result = await recordConversion(parseConversionBody(body), { store, now });
    return json(result.created ? 201 : 200, result);
  },
});
