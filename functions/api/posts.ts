import { z } from 'zod';
import { cancelPost, editPost, PostPatch } from '../../shared/calendar/edit.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { json, parseJsonBody, parseQuery, QueryLimit, routeGroup } from '../commons/http.ts';
import { PostFilterQuery } from '../commons/queries.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

const ListQuery = PostFilterQuery.extend({ limit: QueryLimit, cursor: z.string().optional() });

function postId(event: { pathParameters?: Record<string, string | undefined> }): string {
  return decodeURIComponent(event.pathParameters?.id ?? '');
}

/** GET/PATCH/DELETE /v1/posts… */
export const handler = routeGroup({
  'GET /v1/posts': async (event) => {
    const { limit, cursor, ...filter } = parseQuery(event, ListQuery);
    const page = await store.listPosts(filter, { limit, ...(cursor ? { cursor } : {}) });
    return json(200, page);
  },

  'GET /v1/posts/{id}': async (event) => {
    const id = postId(event);
    const post = await store.getPost(id);
    if (!post) throw new NotFoundError('post', id);
    // Metric snapshots are collected once posts are published (measuring); none yet.
    return json(200, { ...post, metrics: [] });
  },

  'PATCH /v1/posts/{id}': async (event) => {
    const patch = parseJsonBody(event, PostPatch);
    const result = await editPost(postId(event), patch, { store, now });
    return json(200, {
      ...result.post,
      ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
    });
  },

  'DELETE /v1/posts/{id}': async (event) => json(200, await cancelPost(postId(event), { store, now })),
});
