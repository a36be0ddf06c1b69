import * as z from 'zod';
import { createChannel, replaceChannel } from '../../shared/channels.ts';
import { ChannelInput } from '../../shared/domain/index.ts';
import { BadRequestError, NotFoundError } from '../../shared/errors.ts';
import {
  type ApiEvent,
  header,
  json,
  parseJsonBody,
  parseQuery,
  pathId,
  QueryLimit,
  routeGroup,
} from '../commons/http.ts';
import { channelPolicy, now, tableStore } from '../commons/runtime.ts';

const store = tableStore();
const policy = channelPolicy();

/** The channel's version as an entity tag: what `If-Match` sends back. */
const etag = (version: number) => `"${version}"`;

/** `If-Match: "3"` (or `W/"3"`, or `3`) → 3; absent or `*` → undefined (a blind write, refused). */
function ifMatchVersion(event: ApiEvent): number | undefined {
  const value = header(event, 'if-match')?.trim();
  if (value === undefined || value === '' || value === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!match) {
    throw new BadRequestError(`If-Match must be the channel's version as returned in its ETag, e.g. "3"`, [
      { column: 'If-Match', message: `'${value.slice(0, 40)}' is not a version` },
    ]);
  }
  return Number(match[1]);
}

/** /v1/channels: social accounts; credentials are secret references, never values. */
export const handler = routeGroup({
  'GET /v1/channels': async (event) => {
    const { limit, cursor } = parseQuery(
      event,
      z.strictObject({ limit: QueryLimit, cursor: z.string().optional() }),
    );
    return json(200, await store.listChannels({ limit, ...(cursor ? { cursor } : {}) }));
  },

  'GET /v1/channels/{id}': async (event) => {
    const id = pathId(event);
    const channel = await store.getChannel(id);
    if (!channel) throw new NotFoundError('channel', id);
    return json(200, channel, { etag: etag(channel.version) });
  },

  /** Creates a channel; an existing id is a 409 (replace it with PUT). */
  'POST /v1/channels': async (event) => {
    const input = parseJsonBody(event, ChannelInput);
    const { channel, outcome } = await createChannel(input, { store, now, policy });
    return json(outcome === 'created' ? 201 : 200, { ...channel, outcome }, { etag: etag(channel.version) });
  },

  /** Replaces a channel at the version `If-Match` names. */
  'PUT /v1/channels/{id}': async (event) => {
    const id = pathId(event);
    const input = parseJsonBody(event, ChannelInput);
    const { channel, outcome } = await replaceChannel(id, input, ifMatchVersion(event), {
      store,
      now,
      policy,
    });
    return json(200, { ...channel, outcome }, { etag: etag(channel.version) });
  },
});
