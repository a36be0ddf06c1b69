import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalHandler } from './lambda.ts';

/**
 * What a local run would have been billed for on AWS, counted as it happens: the inputs of the
 * cost figures (`npm run bench`, priced by bench/prices.ts).
 */
export interface Usage {
  /** Lambda invocations and GB-seconds (local wall time × the function's memory: an upper bound). */
  lambda: { requests: number; gbSeconds: number };
  /** Express executions and their billed GB-seconds (local-time duration, 100 ms steps, 64 MB). */
  express: { requests: number; gbSeconds: number };
  /** Standard executions and their state transitions. */
  standard: { requests: number; transitions: number };
  /**
   * DynamoDB capacity units as dynalite reports them (item sizes, the table only: writes to the
   * global secondary indexes are not in dynalite's count, so write units are a lower bound).
   */
  dynamodb: { readUnits: number; writeUnits: number };
  /** PutEvents entries. */
  events: number;
  /** EventBridge Scheduler invocations, including the idle sweeps local mode left out. */
  schedulerInvocations: number;
  /** Dispatcher and Collector firings local mode left out: on AWS each is an Express execution. */
  idleSweepsSkipped: number;
}

export const emptyUsage = (): Usage => ({
  lambda: { requests: 0, gbSeconds: 0 },
  express: { requests: 0, gbSeconds: 0 },
  standard: { requests: 0, transitions: 0 },
  dynamodb: { readUnits: 0, writeUnits: 0 },
  events: 0,
  schedulerInvocations: 0,
  idleSweepsSkipped: 0,
});

const READS = /^(Get|BatchGet|Query|Scan|TransactGet)/;
const WRITES = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;

/** Counts usage; local mode feeds it from its DynamoDB client, handlers and runners. */
export class UsageMeter {
  readonly usage: Usage = emptyUsage();

  /** Asks dynalite for the capacity every request consumed and adds it up. */
  meterDynamo(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const read = READS.test(command);
        if (!read && !WRITES.test(command)) return next(args);
        const input = args.input as { ReturnConsumedCapacity?: string };
        input.ReturnConsumedCapacity ??= 'TOTAL';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const units = [consumed]
          .flat()
          .reduce(
            (sum: number, entry) =>
              sum + ((entry as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0),
            0,
          );
        if (read) this.usage.dynamodb.readUnits += units;
        else this.usage.dynamodb.writeUnits += units;
        return result;
      },
      { step: 'initialize', name: 'pulsecastLocalUsage' },
    );
  }

  /** A handler that counts its invocations and their duration at `memoryMb`. */
  meterHandler(handler: LocalHandler, memoryMb: number): LocalHandler {
    return async (event, context) => {
      const started = performance.now();
      try {
        return await handler(event, context);
      } finally {
        this.usage.lambda.requests++;
        this.usage.lambda.gbSeconds += ((performance.now() - started) / 1000) * (memoryMb / 1024);
      }
    };
  }
}
