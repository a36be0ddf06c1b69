import * as z from 'zod';
import { checkLink, decideByLink } from '../../shared/approvals/decisions.ts';
import { decisionPage, outcomePage, PAGE_HEADERS } from '../../shared/approvals/page.ts';
import { currentStep, findApprover } from '../../shared/approvals/review.ts';
import { NotFoundError, PulsecastError, ValidationError } from '../../shared/errors.ts';
import { ApprovalsNotConfiguredError, approvalLinks } from '../commons/approval-runtime.ts';
import {
  type ApiEvent,
  type ApiResult,
  bodyBytes,
  header,
  mediaType,
  pathId,
  routeGroup,
  UnsupportedMediaTypeError,
} from '../commons/http.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();
// Resolved once per container; without a key the pages answer 503 instead of the API not starting.
const links = approvalLinks();

const Form = z.object({
  token: z.string().max(2048).optional(),
  decision: z.enum(['approve', 'request-changes']),
  comment: z.string().max(2000).optional(),
});

const page = (statusCode: number, body: string): ApiResult => ({ statusCode, headers: PAGE_HEADERS, body });

/**
 * A refusal as a page for a browser (the link's holder is a person), as problem details for
 * anything that does not ask for HTML.
 */
async function asPage(event: ApiEvent, work: () => Promise<ApiResult>): Promise<ApiResult> {
  try {
    return await work();
  } catch (error) {
    const browser = header(event, 'accept')?.includes('text/html') ?? false;
    if (browser && error instanceof PulsecastError && error.expose) {
      return page(error.status, outcomePage('Nothing was changed', error.message));
    }
    throw error;
  }
}

/**
 * The page an approval email links to. No IAM auth — the approver has no AWS credentials — so
 * each request proves itself with the link's HMAC (shared/approvals/links.ts), checked before the
 * post is read: GET shows the post and a form (following a link decides nothing, since mail
 * scanners follow links), POST decides, once.
 */
export const handler = routeGroup({
  'GET /v1/approvals/{id}/link': (event) =>
    asPage(event, async () => {
      if (links instanceof Error) throw new ApprovalsNotConfiguredError(links.message);
      const id = pathId(event);
      const token = event.queryStringParameters?.token;
      const claims = await checkLink(id, token, { store, now, links });
      const post = await store.getPost(id);
      if (!post) throw new NotFoundError('post', id);
      if (post.status !== 'PENDING_APPROVAL') {
        return page(
          200,
          outcomePage(`Post ${id} is ${post.status}`, 'There is nothing left to decide on it.'),
        );
      }
      const step = currentStep(post);
      const approver = step ? findApprover(step, claims.a) : undefined;
      const decision = event.queryStringParameters?.decision;
      return page(
        200,
        decisionPage({
          post,
          approver: claims.a,
          token: token ?? '',
          decision: decision === 'approve' || decision === 'request-changes' ? decision : undefined,
          timezone: approver?.timezone,
        }),
      );
    }),

  'POST /v1/approvals/{id}/link': (event) =>
    asPage(event, async () => {
      if (links instanceof Error) throw new ApprovalsNotConfiguredError(links.message);
      const id = pathId(event);
      if (mediaType(event) !== 'application/x-www-form-urlencoded') {
        throw new UnsupportedMediaTypeError('send the form as application/x-www-form-urlencoded');
      }
      const fields = Object.fromEntries(new URLSearchParams(Buffer.from(bodyBytes(event)).toString('utf8')));
      const form = Form.safeParse(fields);
      if (!form.success) {
        throw new ValidationError('choose Approve or Request changes', [
          { column: 'decision', message: 'is approve or request-changes' },
        ]);
      }
      const token = form.data.token ?? event.queryStringParameters?.token;
      const decided = await decideByLink(
        id,
        token,
        { decision: form.data.decision, comment: form.data.comment },
        { store, now, links },
      );
      const message =
        decided.status === 'SCHEDULED'
          ? `Every step approved it: post ${id} is scheduled for ${decided.scheduledAt}.`
          : form.data.decision === 'approve'
            ? `Your approval of post ${id} is recorded.`
            : `Your request for changes to post ${id} is recorded; it will not be published unless it is edited and approved again.`;
      return page(200, outcomePage('Thank you', message));
    }),
});
