import { z } from 'zod';
import { saveChannel } from '../../shared/channels.ts';
import { ChannelInput } from '../../shared/domain/index.ts';
import { json, parseJsonBody, parseQuery, QueryLimit, routeGroup } from '../commons/http.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

/** GET/POST /v1/channels: social accounts; credentials are secret references, never values. */
export const handler = routeGroup({
  'GET /v1/channels': async (event) => {
    const { limit, cursor } = parseQuery(
      event,
      z.strictObject({ limit: QueryLimit, cursor: z.string().optional() }),
    );
    return json(200, await store.listChannels({ limit, ...(cursor ? { cursor } : {}) }));
  },

  'POST /v1/channels': async (event) => {
    const input = parseJsonBody(event, ChannelInput);
    const { channel, outcome } = await saveChannel(input, { store, now });
    return json(outcome === 'created' ? 201 : 200, { ...channel, outcome });
  },
});
