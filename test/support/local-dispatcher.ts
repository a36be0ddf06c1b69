import { fileURLToPath } from 'node:url';
import { installDeps } from '../../functions/commons/runtime.ts';
import { VirtualClock } from '../../local/clock.ts';
import { stateMachineArn } from '../../local/cloudformation/template.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { LocalStateMachineRunner } from '../../local/stepfunctions/runner.ts';
import { stepFunctionsIntegrations } from '../../local/stepfunctions/sfn.ts';
import type { Channel, Platform } from '../../shared/domain/index.ts';
import type { EventPublisher } from '../../shared/events.ts';
import type { CredentialStore, PlatformAdapter } from '../../shared/platforms/port.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { noCredentials, RecordingEvents } from './dispatcher-driver.ts';
import type { SynthesizedApp } from './global-synth.ts';
import { RecordingAdapter } from './recording-adapter.ts';

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

/** A {@link LocalDispatcher} whose platforms accept every post, with what they and the bus saw. */
export interface AcceptingDispatcher extends LocalDispatcher {
  /** Every platform's adapter: it records each accepted post and when (on the virtual clock). */
  adapter: RecordingAdapter;
  events: RecordingEvents;
}

/** The synthesized Dispatcher with platforms that accept every post, no credentials, and `channels` stored. */
export async function startAcceptingDispatcher(
  start: number,
  channels: readonly Channel[],
): Promise<AcceptingDispatcher> {
  let clockNow = () => new Date(start);
  const adapter = new RecordingAdapter(
    () => 'ok',
    () => clockNow(),
  );
  const events = new RecordingEvents();
  const local = await startLocalDispatcher({
    start,
    adapter: () => adapter,
    events,
    credentials: noCredentials,
  });
  clockNow = () => local.clock.now();
  for (const channel of channels) await local.store.putChannel(channel);
  return { ...local, adapter, events };
}
