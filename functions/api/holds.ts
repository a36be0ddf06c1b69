import { HoldInput, HoldListQuery, listHolds, releaseHold, startHold } from '../../shared/holds/holds.ts';
import { type ApiEvent, json, parseJsonBody, parseQuery, pathId, routeGroup } from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { eventPublisher, now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

/** Who asked: the caller's IAM principal (deployed, IAM auth), else `api` (local mode). */
function caller(event: ApiEvent): string {
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: string } } };
  return context.authorizer?.iam?.userArn ?? 'api';
}

/** Crisis holds: start one, list them, release one (docs/architecture.md#crisis-holds). */
export const handler = routeGroup({
  'POST /v1/holds': async (event) => {
    const input = parseJsonBody(event, HoldInput);
    const started = await startHold(input, caller(event), { store, events: eventPublisher(), now });
    if (started.deliveryError) {
      logger.warn('the hold is in force but Hold Started could not be put on the bus', {
        holdId: started.hold.id,
        error: started.deliveryError,
      });
    }
    // 201 for a new hold, 200 for the active one the same request already started.
    return json(started.created ? 201 : 200, { ...started.hold, eventDelivered: started.eventDelivered });
  },

  'GET /v1/holds': async (event) => {
    const { status } = parseQuery(event, HoldListQuery);
    return json(200, { items: await listHolds(store, status) });
  },

  'DELETE /v1/holds/{id}': async (event) =>
    json(200, await releaseHold(pathId(event), caller(event), { store, now })),
});
