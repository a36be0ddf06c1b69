import * as z from 'zod';
import { cancelPost, editPost, PostPatch, Settlement, settlePost } from '../../shared/calendar/edit.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { listPostsByMetric, MetricSort, postMeasurements } from '../../shared/measuring/history.ts';
import { json, parseJsonBody, parseQuery, pathId, QueryBoolean, routeGroup } from '../commons/http.ts';
import { actorOf } from '../commons/identity.ts';
import { PageParams, PostFilterQuery, pageRequest } from '../commons/queries.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

const ListQuery = PostFilterQuery.safeExtend({
  ...PageParams,
  /** A metric of the latest snapshot, `-` first for descending: `sort=-reach`. */
  sort: MetricSort.optional(),
});
const ShowQuery = z.object({ raw: QueryBoolean.optional() });
/** `?version=N`: cancel only if the post is still at the version the caller read. */
const CancelQuery = z.object({ version: z.coerce.number().int().min(1).optional() });

/** GET/PATCH/DELETE /v1/posts…, and a person settling a post's outcome. */
export const handler = routeGroup({
  'GET /v1/posts': async (event) => {
    const { limit, cursor, sort, ...filter } = parseQuery(event, ListQuery);
    const request = pageRequest({ limit, cursor });
    const page = sort
      ? await listPostsByMetric(store, filter, sort, request)
      : await store.listPosts(filter, request);
    return json(200, page);
  },

  'GET /v1/posts/{id}': async (event) => {
    const id = pathId(event);
    const { raw } = parseQuery(event, ShowQuery);
    const post = await store.getPost(id);
    if (!post) throw new NotFoundError('post', id);
    // `metrics`: the snapshot history, oldest first (`?raw=true` adds each platform payload).
    return json(200, { ...post, ...(await postMeasurements(store, id, { raw: raw ?? false })) });
  },

  'PATCH /v1/posts/{id}': async (event) => {
    const id = pathId(event);
    const patch = parseJsonBody(event, PostPatch);
    const result = await editPost(id, patch, { store, now, ...actorOf(event) });
    return json(200, {
      ...result.post,
      ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
    });
  },

  'DELETE /v1/posts/{id}': async (event) => {
    const { version } = parseQuery(event, CancelQuery);
    return json(200, await cancelPost(pathId(event), { store, now }, version));
  },

  'POST /v1/posts/{id}/settle': async (event) =>
    json(200, await settlePost(pathId(event), parseJsonBody(event, Settlement), { store, now })),
});
