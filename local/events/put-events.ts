import * as z from 'zod';
import {
  type ApiEvent,
  type ApiResult,
  errorToProblem,
  json,
  parseJsonBody,
} from '../../functions/commons/http.ts';
import type { EventPublisher, PulsecastEvent } from '../../shared/events.ts';

/** What `POST /_local/events` takes: PutEvents entries on the `pulsecast` bus (source `pulsecast`). */
const PutEventsBody = z.strictObject({
  entries: z
    .array(
      z.strictObject({ detailType: z.string().min(1).max(128), detail: z.record(z.string(), z.unknown()) }),
    )
    .min(1)
    .max(10),
});

/**
 * Local mode's PutEvents: puts events on the local bus as one of Pulsecast's producers would, so
 * a reaction can be tried (and tested) without its producer — a `Mention Spike Detected` for the
 * autoHold rule, say. The bus applies the synthesized rules and archives the events as for any
 * other; the details are not checked against a schema, as EventBridge does not check them.
 */
export function putEventsRoute(bus: EventPublisher): (event: ApiEvent) => Promise<ApiResult> {
  return async (event) => {
    try {
      const { entries } = parseJsonBody(event, PutEventsBody);
      // The bus takes any detail type: the typed names are for the producers in shared/events.ts.
      await bus.publish(
        entries.map(({ detailType, detail }) => ({ type: detailType, detail }) as unknown as PulsecastEvent),
      );
      return json(200, { entries: entries.length });
    } catch (error) {
      return errorToProblem(error, event, event.requestContext.requestId);
    }
  };
}
