import * as z from 'zod';
import { BadRequestError, PulsecastError } from '../errors.ts';
import { type DecideDeps, decideOnPost } from './decisions.ts';
import { SLACK_ACTIONS } from './requests.ts';

/** The parts of Slack's `block_actions` payload this app reads (the rest is ignored). */
const BlockActions = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string().min(1).max(32) }),
  response_url: z.string().optional(),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().max(2000).optional() })).min(1),
});
const ButtonValue = z.strictObject({
  p: z.string().min(1).max(64),
  r: z.number().int().min(1),
  s: z.number().int().min(0),
});

/** What to tell the clicking user (only them: an ephemeral reply through `response_url`). */
export interface SlackReply {
  responseUrl: string | undefined;
  text: string;
}

/**
 * One click on an approval request's button, from a request whose signature was already checked.
 * The clicking Slack user must be an approver of the step the button was sent for (their Slack id
 * is in the rule), and the round and step must still be the post's: otherwise nothing changes and
 * the reply says why. Requesting changes from Slack records that the approver asked for them;
 * what to change is said in the thread (a button carries no text).
 */
export async function handleSlackAction(form: Uint8Array, deps: DecideDeps): Promise<SlackReply> {
  const payloadText = new URLSearchParams(Buffer.from(form).toString('utf8')).get('payload');
  if (!payloadText) throw new BadRequestError('the body has no payload field');
  let parsed: unknown;
  try {
    parsed = JSON.parse(payloadText);
  } catch (error) {
    throw new BadRequestError('the payload is not JSON', [], { cause: error });
  }
  const payload = BlockActions.safeParse(parsed);
  if (!payload.success) throw new BadRequestError('not a block_actions payload this app sent buttons for');
  const action = payload.data.actions[0];
  const decision =
    action?.action_id === SLACK_ACTIONS.approve
      ? 'approve'
      : action?.action_id === SLACK_ACTIONS.requestChanges
        ? 'request-changes'
        : undefined;
  let value: z.infer<typeof ButtonValue> | undefined;
  try {
    value = ButtonValue.parse(JSON.parse(action?.value ?? ''));
  } catch {
    value = undefined;
  }
  const responseUrl = payload.data.response_url;
  if (!decision || !value)
    return { responseUrl, text: 'This button is not one of Pulsecast’s approval buttons.' };
  try {
    const post = await decideOnPost(
      value.p,
      {
        decision,
        step: value.s + 1,
        round: value.r,
        approver: payload.data.user.id,
        comment:
          decision === 'request-changes' ? 'changes requested in Slack (details in the thread)' : undefined,
        via: 'slack',
      },
      deps,
    );
    const text =
      post.status === 'SCHEDULED'
        ? `Approved: post ${post.id} is scheduled for ${post.scheduledAt}.`
        : decision === 'approve'
          ? `Your approval of post ${post.id} is recorded.`
          : `Your request for changes to post ${post.id} is recorded; reply in the thread with what should change.`;
    return { responseUrl, text };
  } catch (error) {
    if (error instanceof PulsecastError && error.expose) {
      return { responseUrl, text: `Nothing was changed: ${error.message}` };
    }
    throw error;
  }
}

/**
 * Sends the reply to the clicking user. Only to Slack's own hooks host: `response_url` comes from
 * the (signed) request, but a URL elsewhere is no business of ours to call.
 */
export async function sendSlackReply(reply: SlackReply, fetcher: typeof fetch = fetch): Promise<boolean> {
  if (!reply.responseUrl) return false;
  let url: URL;
  try {
    url = new URL(reply.responseUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.hostname !== 'hooks.slack.com') return false;
  const response = await fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: reply.text }),
    signal: AbortSignal.timeout(2_000),
  });
  return response.ok;
}
