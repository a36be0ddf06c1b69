import * as z from 'zod';
import {
  ApprovalRequestBody,
  approverIdentity,
  decideOnPost,
  listApprovals,
  reviewSummary,
} from '../../shared/approvals/decisions.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { json, parseJsonBody, parseQuery, pathId, routeGroup } from '../commons/http.ts';
import { callerArn } from '../commons/identity.ts';
import { PageParams, pageRequest } from '../commons/queries.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

const ListQuery = z.object({
  status: z.enum(['pending', 'missed']).default('pending'),
  ...PageParams,
});

/** GET /v1/approvals and POST /v1/posts/{id}/approval: reviews through the API (IAM-signed). */
export const handler = routeGroup({
  'GET /v1/approvals': async (event) => {
    const { status, ...page } = parseQuery(event, ListQuery);
    return json(200, await listApprovals(status, store, pageRequest(page)));
  },

  'POST /v1/posts/{id}/approval': async (event) => {
    const id = pathId(event);
    const body = parseJsonBody(event, ApprovalRequestBody);
    const post = await store.getPost(id);
    if (!post) throw new NotFoundError('post', id);
    const approver = approverIdentity(callerArn(event), body.approver, post);
    const decided = await decideOnPost(
      id,
      { decision: body.decision, step: body.step, approver, comment: body.comment, via: 'api' },
      { store, now },
    );
    return json(200, reviewSummary(decided));
  },
});
