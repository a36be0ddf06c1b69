import * as z from 'zod';
import { CampaignInput } from '../../shared/domain/index.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { saveCampaign } from '../../shared/goals/campaigns.ts';
import { campaignReport, latestStatuses } from '../../shared/goals/evaluate-campaigns.ts';
import { json, parseJsonBody, parseQuery, pathId, QueryLimit, routeGroup } from '../commons/http.ts';
import { now, tableStore } from '../commons/runtime.ts';

const store = tableStore();

/** GET/POST /v1/campaigns, GET /v1/campaigns/{id} and its report (goal evaluations, recommendations). */
export const handler = routeGroup({
  'GET /v1/campaigns': async (event) => {
    const { limit, cursor } = parseQuery(
      event,
      z.strictObject({ limit: QueryLimit, cursor: z.string().optional() }),
    );
    return json(200, await store.listCampaigns({ limit, ...(cursor ? { cursor } : {}) }));
  },

  'POST /v1/campaigns': async (event) => {
    const input = parseJsonBody(event, CampaignInput);
    const { campaign, outcome } = await saveCampaign(input, { store, now });
    return json(outcome === 'created' ? 201 : 200, { ...campaign, outcome });
  },

  'GET /v1/campaigns/{id}': async (event) => {
    const id = pathId(event);
    const campaign = await store.getCampaign(id);
    if (!campaign) throw new NotFoundError('campaign', id);
    const status = await latestStatuses(id, store);
    return json(200, { ...campaign, ...(status ? { status } : {}) });
  },

  'GET /v1/campaigns/{id}/report': async (event) =>
    json(200, await campaignReport(pathId(event), { store, now })),
});
