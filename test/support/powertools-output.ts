import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import type { Deps } from '../../functions/commons/runtime.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { noCredentials, RecordingEvents } from './dispatcher-driver.ts';

/**
 * What the Powertools logger and metrics print, read back in tests: JSON log lines and EMF
 * metric lines on stdout and stderr.
 */

/** Everything written to stdout and stderr while `act` runs, as parsed JSON lines. */
export async function printed(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const record = ((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  vi.spyOn(process.stdout, 'write').mockImplementation(record);
  vi.spyOn(process.stderr, 'write').mockImplementation(record);
  try {
    await act().catch(() => undefined);
  } finally {
    vi.restoreAllMocks();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** An Embedded Metric Format line. */
export interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}
export const emfLines = (lines: Record<string, unknown>[]) => lines.filter((line) => '_aws' in line) as Emf[];
export const metricNames = (emf: Emf) =>
  emf._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((metric) => metric.Name));

/** The Lambda context of an invocation of `functionName`. */
export const lambdaContext = (functionName: string): Context =>
  ({
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `request-${functionName}`,
    getRemainingTimeInMillis: () => 30_000,
  }) as Context;

/**
 * A handler's environment as on Lambda, but off it (before the handler modules are imported: they
 * read it when they load): metrics printed, INFO logs, X-Ray off, the table on `dynamo`.
 */
export function stubHandlerEnvironment(dynamo: { endpoint: string; tableName: string }): void {
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', undefined);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('TABLE_NAME', dynamo.tableName);
  vi.stubEnv('EVENT_BUS_NAME', 'pulsecast-test');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'Pulsecast-test');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Pulsecast');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('PULSECAST_LOG_LEVEL', 'INFO');
}

/**
 * The handlers' runtime as on Lambda, on a local DynamoDB: the environment stubbed, then (only
 * now, since the modules read it when they load) the observability module imported and `deps`
 * installed over recorded events and no credentials. Stop `dynamo` after the tests.
 */
export async function startHandlerRuntime(deps: Partial<Deps>): Promise<{
  dynamo: LocalDynamo;
  store: DynamoStore;
  observability: typeof import('../../functions/commons/observability.ts');
}> {
  const dynamo = await startLocalDynamo();
  stubHandlerEnvironment(dynamo);
  const store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
  const observability = await import('../../functions/commons/observability.ts');
  const { installDeps } = await import('../../functions/commons/runtime.ts');
  installDeps({ events: new RecordingEvents(), credentials: noCredentials, ...deps });
  return { dynamo, store, observability };
}
