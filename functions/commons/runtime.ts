import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';

/** Reads a required environment variable at cold start; a missing one stops the function early and says which. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * The clock handlers read. Real time on AWS; local mode swaps in its controllable clock so a
 * month of a calendar can run in seconds.
 */
let clock: () => Date = () => new Date();
export const now = (): Date => clock();
export function setClock(next: () => Date): void {
  clock = next;
}

let store: DynamoStore | undefined;
/** The table adapter, created once per container (the SDK client reuses its connections). */
export function tableStore(): DynamoStore {
  store ??= new DynamoStore({ tableName: requireEnv('TABLE_NAME'), client: createDocumentClient() });
  return store;
}
