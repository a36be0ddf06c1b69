import { ResponsesQuery, ShareOfVoiceQuery } from '../../shared/listening/report.ts';
import {
  capabilitiesOf,
  readSettings,
  responsesFor,
  saveListeningSettings,
  shareOfVoiceFor,
} from '../../shared/listening/service.ts';
import { ListeningSettings } from '../../shared/listening/settings.ts';
import { json, parseJsonBody, parseQuery, routeGroup } from '../commons/http.ts';
import { listeningStore, now } from '../commons/runtime.ts';

const listening = listeningStore();

/** What to listen for (PUT/GET /v1/listening), share of voice and response figures. */
export const handler = routeGroup({
  'PUT /v1/listening': async (event) => {
    const settings = parseJsonBody(event, ListeningSettings);
    return json(200, await saveListeningSettings(settings, { listening, now }));
  },

  'GET /v1/listening': async () => {
    const stored = await readSettings(listening);
    return json(200, { ...stored, capabilities: capabilitiesOf(stored.settings) });
  },

  'GET /v1/listening/share-of-voice': async (event) =>
    json(200, await shareOfVoiceFor(parseQuery(event, ShareOfVoiceQuery), listening)),

  'GET /v1/listening/responses': async (event) =>
    json(200, await responsesFor(parseQuery(event, ResponsesQuery), listening, now())),
});
