import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';

/**
 * The DynamoDB client. Local mode (which sets PULSECAST_LOCAL_UNSIGNED for its embedded
 * dynalite, reached on 127.0.0.1 only) skips request signing: dynalite does not check
 * signatures, and signing every request of thousands of simulated executions is a tenth of
 * local mode's time. On AWS the variable is never set.
 */
function dynamoClient(): DynamoDBClient {
  if (process.env.PULSECAST_LOCAL_UNSIGNED !== '1') return new DynamoDBClient({});
  return new DynamoDBClient({
    signer: {
      sign: async (request) => {
        // dynalite only checks that a well-formed SigV4 header is there.
        request.headers.authorization =
          'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=local';
        request.headers['x-amz-date'] = '20260101T000000Z';
        return request;
      },
    },
  });
}

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
  store ??= new DynamoStore({
    tableName: requireEnv('TABLE_NAME'),
    client: createDocumentClient(dynamoClient()),
  });
  return store;
}
