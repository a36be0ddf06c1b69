import { fileURLToPath } from 'node:url';
import { installDeps } from '../../functions/commons/runtime.ts';
import { VirtualClock } from '../../local/clock.ts';
import { stateMachineArn } from '../../local/cloudformation/template.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { LocalStateMachineRunner } from '../../local/stepfunctions/runner.ts';
import { stepFunctionsIntegrations } from '../../local/stepfunctions/sfn.ts';
import type { Platform } from '../../shared/domain/index.ts';
import type { EventPublisher } from '../../shared/events.ts';
import type { CredentialStore, PlatformAdapter } from '../../shared/platforms/port.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import type { SynthesizedApp } from './global-synth.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LocalDispatcher {
  runner: LocalStateMachineRunner;
  clock: VirtualClock;
  store: DynamoStore;
  dynamo: LocalDynamo;
  stop(): Promise<void>;
}

/**
 * The Dispatcher exactly as the CDK app synthesizes it, run by the local runner on a virtual
 * clock against dynalite, with the real handler modules (functions/publishing/*) wired to the
 * given adapter, event publisher and credentials.
 */
export async function startLocalDispatcher(options: {
  start: number;
  adapter: (platform: Platform) => PlatformAdapter;
  events: EventPublisher;
  credentials: CredentialStore;
  /** The synthesized app (outside vitest, e.g. the benchmark). @default the test run's */
  app?: SynthesizedApp;
}): Promise<LocalDispatcher> {
  const { template, stackName, ids } = options.app ?? (await import('./synthesized-app.ts')).synthesizedApp();
  const { dispatcher: dispatcherId, table: tableId, bus: busId } = ids;

  const dynamo = await startLocalDynamo();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  const clock = new VirtualClock({ start: options.start });
  installDeps({
    now: () => clock.now(),
    adapterFor: options.adapter,
    events: options.events,
    credentials: options.credentials,
  });

  let runner: LocalStateMachineRunner | undefined;
  const names = { [tableId]: dynamo.tableName, [busId]: 'pulsecast-local' };
  runner = await LocalStateMachineRunner.fromTemplate(template, dispatcherId, {
    root: ROOT,
    clock,
    names,
    stackName,
    sdkIntegrations: stepFunctionsIntegrations((arn) =>
      runner && arn === stateMachineArn(runner.machine.name) ? runner : undefined,
    ),
  });
  const store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
  return {
    runner,
    clock,
    store,
    dynamo,
    stop: async () => {
      runner?.stopAll();
      await dynamo.stop();
    },
  };
}
