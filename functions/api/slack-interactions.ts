import { handleSlackAction, sendSlackReply } from '../../shared/approvals/slack-actions.ts';
import { SLACK_SIGNING } from '../../shared/approvals/slack-signature.ts';
import { ApprovalsNotConfiguredError, slackSigningSecret } from '../commons/approval-runtime.ts';
import { routeGroup, signedBody } from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();
const secret = slackSigningSecret();

/**
 * POST /v1/slack/interactions: the Slack app's interactivity request URL (approval buttons). No
 * IAM auth — Slack has no AWS credentials — so Slack's signature of the raw body is checked
 * first, with a 5-minute window on its timestamp, before anything is parsed or read. Slack wants
 * a 200 within 3 seconds: the decision is one conditional write, and the clicking user hears how
 * it went in an ephemeral reply.
 */
export const handler = routeGroup({
  'POST /v1/slack/interactions': async (event) => {
    if (secret instanceof Error) throw new ApprovalsNotConfiguredError(secret.message);
    const body = await signedBody(event, secret, SLACK_SIGNING);
    const reply = await handleSlackAction(body, { store, now });
    await sendSlackReply(reply).catch((error: unknown) => {
      logger.warn('the reply to Slack could not be sent', { error: (error as Error).message });
    });
    return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '' };
  },
});
