import { json, routeGroup } from '../commons/http.ts';

/** GET /health: liveness, no dependencies touched (and no IAM auth). */
export const handler = routeGroup({
  'GET /health': async () =>
    json(200, { status: 'ok', service: 'pulsecast', time: new Date().toISOString() }),
});
