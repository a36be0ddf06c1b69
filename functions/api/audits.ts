import { beginAudit, recordProgress } from '../../shared/audit/import.ts';
import { loadAuditReport } from '../../shared/audit/load.ts';
import { AuditRequest, sinceInstant } from '../../shared/audit/since.ts';
import { ValidationError } from '../../shared/errors.ts';
import { config, required } from '../commons/config.ts';
import { bodyBytes, json, parseJsonBody, pathId, routeGroup } from '../commons/http.ts';
import { accountReaderFor } from '../commons/platform-runtime.ts';
import { now, tableStore } from '../commons/runtime.ts';
import { executionStarter } from '../commons/sfn-runtime.ts';

const store = tableStore();

/** /v1/channels/{id}/audit: import the channel's own history, and the report on it. */
export const handler = routeGroup({
  /** Starts the Auditor: 202 with the audit's id; GET shows how it stands and, after, the report. */
  'POST /v1/channels/{id}/audit': async (event) => {
    const channel = pathId(event);
    const body = bodyBytes(event).length === 0 ? AuditRequest.parse({}) : parseJsonBody(event, AuditRequest);
    let since: string;
    try {
      since = sinceInstant(body.since, now());
    } catch (error) {
      throw new ValidationError('the body has invalid fields', [
        { column: 'since', message: (error as Error).message },
      ]);
    }
    const deps = { store, audits: store.audits, readerFor: accountReaderFor, now };
    const { audit, state } = await beginAudit(deps, { channel, since });
    try {
      await executionStarter()(required(config(), 'AUDITOR_STATE_MACHINE_ARN'), audit.id, state);
    } catch (error) {
      await recordProgress(deps, state, 'FAILED', 'the import could not be started; try again');
      throw error;
    }
    return json(202, audit, { location: `/v1/channels/${channel}/audit` });
  },

  /** The latest audit's state and the channel's report (over the audited period). */
  'GET /v1/channels/{id}/audit': async (event) => {
    const channel = pathId(event);
    const report = await loadAuditReport(
      { store, audits: store.audits, readerFor: accountReaderFor, now },
      channel,
    );
    return json(200, report);
  },
});
