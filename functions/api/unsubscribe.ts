import { escapeHtml } from '../../shared/notify/email.ts';
import { unsubscribe, verifyUnsubscribe } from '../../shared/notify/unsubscribe.ts';
import type { ApiEvent } from '../commons/http.ts';
import { routeGroup } from '../commons/http.ts';
import { now, tableStore, unsubscribeKey } from '../commons/runtime.ts';

const store = tableStore();
const key = unsubscribeKey();

function page(statusCode: number, title: string, body: string) {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    },
    body: `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937;line-height:1.5"><h1 style="font-size:1.4rem">${escapeHtml(title)}</h1>${body}</body></html>`,
  };
}

const query = (event: ApiEvent) => ({ r: event.queryStringParameters?.r, s: event.queryStringParameters?.s });

/**
 * GET /v1/unsubscribe: a page with one button (opening a link changes nothing: mail scanners
 * open links). POST /v1/unsubscribe: RFC 8058 one-click from the mail client, or the button.
 * No IAM auth: the HMAC signature in the link is the only credential, checked before anything.
 */
export const handler = routeGroup({
  'GET /v1/unsubscribe': async (event) => {
    const address = await verifyUnsubscribe(key, query(event));
    const action = `?r=${encodeURIComponent(query(event).r ?? '')}&s=${encodeURIComponent(query(event).s ?? '')}`;
    return page(
      200,
      'Stop Pulsecast emails?',
      `<p>${escapeHtml(address)} will get no more digests or alerts from Pulsecast. Slack messages are not affected.</p><form method="post" action="${escapeHtml(action)}"><button type="submit" style="font-size:1rem;padding:.6rem 1.2rem">Unsubscribe</button></form>`,
    );
  },
  'POST /v1/unsubscribe': async (event) => {
    const address = await verifyUnsubscribe(key, query(event));
    await unsubscribe(store, address, now());
    return page(
      200,
      'Unsubscribed',
      `<p>${escapeHtml(address)} will get no more emails from Pulsecast. To get them again, ask whoever runs Pulsecast for your team.</p>`,
    );
  },
});
