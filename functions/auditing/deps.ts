import type { AuditDeps } from '../../shared/audit/import.ts';
import { accountReaderFor } from '../commons/platform-runtime.ts';
import { credentialStore, now, tableStore } from '../commons/runtime.ts';

/** What the Auditor's and the audience snapshot's steps work with. */
export function auditDeps(): AuditDeps {
  const store = tableStore();
  return { store, audits: store.audits, readerFor: accountReaderFor, credentials: credentialStore(), now };
}
