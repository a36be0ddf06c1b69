import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../functions/commons/config.ts';
import { json, problem } from '../functions/commons/http.ts';
import { logger } from '../functions/commons/observability.ts';
import { dynamoClient, installDeps } from '../functions/commons/runtime.ts';
import type { EventPublisher } from '../shared/events.ts';
import { FileChartHost } from '../shared/notify/chart-host.ts';
import { FileCredentialStore } from '../shared/platforms/credentials.ts';
import { listeningRegistry } from '../shared/platforms/listening-registry.ts';
import { adapterRegistry } from '../shared/platforms/registry.ts';
import { createDocumentClient, DynamoStore } from '../shared/store/dynamo.ts';
import { DynamoListeningStore } from '../shared/store/listening.ts';
import { DynamoTable } from '../shared/store/table.ts';
import { AdvanceJobs } from './advance-jobs.ts';
import { chartRoute } from './charts.ts';
import { VirtualClock } from './clock.ts';
import { functionEntries, stateMachineArn } from './cloudformation/template.ts';
import { DurationError, parseDuration } from './duration.ts';
import { startLocalDynamo } from './dynamo.ts';
import { InProcessDynaliteHandler } from './dynamo-in-process.ts';
import { LocalEventBus } from './events/bus.ts';
import { putEventsRoute } from './events/put-events.ts';
import { schedulesFrom, startSchedules } from './events/schedules.ts';
import { ensureDataFolder } from './files.ts';
import { COLLECTOR_SWEEP, DISPATCHER_SWEEP, IdleSweeps } from './idle-sweeps.ts';
import { lambdaContext, loadHandlers } from './lambda.ts';
import {
  bodyText,
  isolateFromAws,
  LOCAL_UNSUBSCRIBE_REF,
  notifyWrites,
  restoredClock,
  saveClock,
  syncDemoChannels,
  writeLocalSecrets,
} from './local-mode-support.ts';
import { localNotifications, localNotifyContext } from './outbox.ts';
import { startLocalApi } from './server.ts';
import { loadSimulatorConfig } from './simulators/audience.ts';
import { persistSimulatorsIn } from './simulators/base.ts';
import { startSimulatorFleet } from './simulators/fleet.ts';
import type { HistoryInput } from './simulators/history.ts';
import { withDefaultHistory } from './simulators/history-accounts.ts';
import { LocalStateMachineRunner } from './stepfunctions/runner.ts';
import { stepFunctionsIntegrations } from './stepfunctions/sfn.ts';
import { resolveStateMachines } from './stepfunctions/state-machines.ts';
import { synthesizeLocal } from './synth.ts';
import { type Usage, UsageMeter } from './usage.ts';

export interface LocalModeOptions {
  root: string;
  port: number;
  /** Where dynalite, the outbox and the local secrets live; a temporary folder when absent. */
  dataDir: string;
  /** Create the demo channels (one per platform, each pointed at its simulator). */
  seedDemoChannels?: boolean;
  /**
   * `real`: local time follows the wall clock (and `POST /_local/clock/advance` jumps ahead);
   * `manual`: time moves only when advanced (tests).
   * @default 'real'
   */
  clockMode?: 'real' | 'manual';
  /**
   * Where the virtual clock starts when the data folder has no clock of its own yet.
   * @default now (or PULSECAST_CLOCK_START)
   */
  start?: number;
  /**
   * Leave out the Dispatcher and Collector firings that provably find nothing due
   * (local/idle-sweeps.ts); `false` runs every firing (the equivalence test compares the two).
   * @default true
   */
  skipIdleSweeps?: boolean;
  /**
   * Past posts for the simulated accounts that can serve them and whose config sets none
   * (local/simulators/history.ts): the demo's accounts start with a history to audit.
   */
  simulatorHistory?: HistoryInput;
}

export interface LocalMode {
  apiUrl: string;
  store: DynamoStore;
  /** Listening's store, on the same table. */
  listening: DynamoListeningStore;
  clock: VirtualClock;
  seededChannels: string[];
  outboxDir: string;
  simulators: { platform: string; url: string }[];
  stateMachines: string[];
  /**
   * Runs everything due up to now + `ms` in order, and resolves when the system is idle. The
   * Dispatcher and Collector firings that would find nothing due are left out and counted
   * (local/idle-sweeps.ts): how the demo plays weeks of history in seconds.
   */
  advance(ms: number): Promise<AdvanceResult>;
  /** The same as `advance` (the name the demo's start-up uses). */
  fastForward(ms: number): Promise<AdvanceResult>;
  /** What the run so far would have been billed for on AWS (local/usage.ts). */
  usage(): Usage;
  stop(): Promise<void>;
}

export interface AdvanceResult {
  from: string;
  to: string;
  executions: { started: number; succeeded: number; failed: number };
  schedulesFired: number;
  /** Dispatcher and Collector firings left out because they had provably nothing to do. */
  idleSweepsSkipped: number;
  eventsDelivered: number;
}

/**
 * Local mode: the whole system in one process, from the same definitions that deploy. The CDK
 * app is synthesized in-process; its state machines run on aws-local-stepfunctions with every
 * Task mapped to the real handler module, its schedules fire on a virtual clock, and events go
 * through a bus that applies the synthesized rules. DynamoDB is dynalite, the platforms are the
 * simulators, and nothing calls AWS or the internet.
 */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  // Local mode's own settings (the simulators', the outbox's) and the base of its functions'
  // configuration: read here, and passed on.
  const env = { ...process.env };
  isolateFromAws();
  ensureDataFolder(options.dataDir);
  const outboxDir = join(options.dataDir, 'outbox');
  mkdirSync(outboxDir, { recursive: true });

  const dynamo = await startLocalDynamo({ path: join(options.dataDir, 'dynamodb') });
  // The AWS SDK's own variable: whatever DynamoDB call is left to the SDK's defaults (a Step
  // Functions DynamoDB task) reaches dynalite, not AWS. Pulsecast's own code gets its table below.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  const tableClient = dynamoClient({
    endpoint: dynamo.endpoint,
    unsigned: true,
    requestHandler: new InProcessDynaliteHandler(dynamo.server),
  });
  // Every write tells the idle-sweep skipper that the due index may have changed.
  const writes = { onWrite: () => {} };
  notifyWrites(tableClient, () => writes.onWrite());
  const meter = new UsageMeter();
  meter.meterDynamo(tableClient);
  const documentClient = createDocumentClient(tableClient);
  const store = new DynamoStore({ tableName: dynamo.tableName, client: documentClient });
  const listening = new DynamoListeningStore(
    new DynamoTable({ tableName: dynamo.tableName, client: documentClient }),
  );

  const clockFile = join(options.dataDir, 'clock.json');
  const clock = new VirtualClock({ start: restoredClock(clockFile) ?? options.start ?? Date.now() });

  // The platforms: one simulator each, sharing the clock and the audience model, keeping what
  // was published on them in the data folder.
  persistSimulatorsIn(join(options.dataDir, 'simulators'));
  const fleet = await startSimulatorFleet({
    clock: () => clock.now(),
    config: options.simulatorHistory
      ? withDefaultHistory(loadSimulatorConfig(env), options.simulatorHistory)
      : loadSimulatorConfig(env),
  });
  const secretsFile = writeLocalSecrets(options.dataDir, fleet.secrets);
  // Slack payloads and .eml files land in the outbox (or a real webhook / SMTP server if configured).
  const notifications = localNotifications(options.dataDir, env, () => clock.now());
  // Slack takes images only by URL: local mode serves the digest's charts itself.
  let localApiUrl = `http://127.0.0.1:${options.port}`;
  const charts = new FileChartHost(join(outboxDir, 'charts'), () => localApiUrl);

  // The deployable definitions, synthesized here (bundling skipped: the handlers run from source).
  const { template, stackName, ids } = await synthesizeLocal(
    localNotifyContext(env),
    env.PULSECAST_SYNTH_CACHE,
  );
  const names: Record<string, string> = {
    [ids.table]: dynamo.tableName,
    [ids.bus]: 'pulsecast-local',
  };
  // `Ref` of a secret is its ARN, which the stack takes apart (the name is its 7th field).
  for (const [id, resource] of Object.entries(
    (template as { Resources: Record<string, { Type: string }> }).Resources,
  )) {
    if (resource.Type === 'AWS::SecretsManager::Secret') {
      names[id] = `arn:aws:secretsmanager:us-east-1:000000000000:secret:pulsecast/local/${id}-LOCAL1`;
    }
  }
  const resolveOptions = { names, stackName };

  // The composition root of local mode (functions/commons/runtime.ts): one process runs every
  // function, so its configuration is all their environments together, plus local mode's own
  // settings — the secrets file (read in place of Secrets Manager) and channels that may point
  // at the simulators on 127.0.0.1 over http, with `local/` secrets.
  const functionEnvironments = functionEntries(template, resolveOptions).map((fn) => fn.environment);
  const bus: { current?: LocalEventBus } = {};
  const events: EventPublisher = {
    publish: async (published) => {
      if (!bus.current) throw new Error('local mode: an event was published before the event bus started');
      meter.usage.events += [published].flat().length;
      await bus.current.publish(published);
    },
  };
  installDeps({
    config: parseConfig(
      Object.assign({}, env, ...functionEnvironments, {
        PULSECAST_SECRETS_FILE: secretsFile,
        PULSECAST_LOCAL_CHANNELS: '1',
      }),
    ),
    now: () => clock.now(),
    store,
    adapterFor: adapterRegistry({ now: () => clock.now() }),
    listening,
    listeningFor: listeningRegistry({ now: () => clock.now() }),
    events,
    slack: notifications.slack,
    email: notifications.email,
    senderAddress: notifications.sender,
    charts,
    unsubscribeKey: {
      get: async () => {
        const { secret } = await new FileCredentialStore(secretsFile).get(LOCAL_UNSUBSCRIBE_REF);
        if (!secret) throw new Error(`${secretsFile}: "${LOCAL_UNSUBSCRIBE_REF}" has no "secret"`);
        return secret;
      },
    },
  });

  const seededChannels = await syncDemoChannels(store, fleet.channels, options.seedDemoChannels ?? true);

  const functions = new Map(functionEntries(template, resolveOptions).map((fn) => [fn.logicalId, fn]));
  const handlers = Object.fromEntries(
    Object.entries(await loadHandlers(template, options.root, resolveOptions)).map(([id, handler]) => [
      id,
      meter.meterHandler(handler, functions.get(id)?.memorySize ?? 128),
    ]),
  );
  const eventBus = LocalEventBus.fromTemplate(template, {
    ...resolveOptions,
    clock,
    handlers,
    archivePath: join(options.dataDir, 'events.jsonl'),
    deadLetterPath: join(options.dataDir, 'dead-letters.jsonl'),
  });
  bus.current = eventBus;

  const runners = new Map<string, LocalStateMachineRunner>();
  const byArn = (arn: string) =>
    [...runners.values()].find((runner) => stateMachineArn(runner.machine.name) === arn);
  for (const machine of resolveStateMachines(template, resolveOptions)) {
    runners.set(
      machine.logicalId,
      await LocalStateMachineRunner.fromTemplate(template, machine.logicalId, {
        ...resolveOptions,
        root: options.root,
        clock,
        handlers,
        sdkIntegrations: stepFunctionsIntegrations(byArn),
      }),
    );
  }

  // The API starts the Auditor (and any other execution) on the local runners, by ARN.
  installDeps({
    startExecution: async (arn, name, input) => {
      // A function's environment holds the `Ref` of the state machine: its ARN by logical id.
      const runner =
        byArn(arn) ?? [...runners.values()].find((r) => stateMachineArn(r.machine.logicalId) === arn);
      if (!runner) throw new Error(`local mode: no state machine ${arn}`);
      runner.start(input, { executionName: name });
    },
  });

  let schedulesFired = 0;
  const sweeps = new Map([
    [ids.dispatcher, DISPATCHER_SWEEP],
    [ids.collector, COLLECTOR_SWEEP],
  ]);
  const sweepRunning = () =>
    [...sweeps.keys()].some((id) => runners.get(id)?.executions.some((e) => e.status === 'RUNNING'));
  const idleSweeps =
    options.skipIdleSweeps === false ? undefined : new IdleSweeps(sweeps, store, sweepRunning);
  if (idleSweeps) writes.onWrite = () => idleSweeps.tableWritten();
  const listenerId = ids.listener;
  const cancelSchedules = startSchedules(schedulesFrom(template, resolveOptions), clock, (schedule, at) => {
    schedulesFired++;
    if (schedule.target.kind === 'stateMachine') {
      // The execution waits on the clock itself (Wait states), so it is not returned (tracked).
      const start = () => runners.get(schedule.target.logicalId)?.start(schedule.input ?? {});
      // Fast-forwarding, a Listener with nothing to listen for would only read that it has none.
      if (idleSweeps && schedule.target.logicalId === listenerId)
        return idleSweeps.listening(() => listening.getListeningSettings()).then((due) => due && start());
      if (idleSweeps)
        return idleSweeps.due(schedule.target.logicalId, at.getTime()).then((due) => due && start());
      start();
      return undefined;
    }
    // A function target runs now; the clock tracks the returned promise.
    const handler = handlers[schedule.target.logicalId];
    return handler?.(
      schedule.input ?? {},
      lambdaContext(schedule.target.logicalId, functions.get(schedule.target.logicalId)),
    );
  });

  // The API, with the local-only clock routes beside the real ones.
  const executionsNow = () => {
    const all = [...runners.values()].flatMap((runner) => runner.executions);
    return {
      started: all.length,
      succeeded: all.filter((execution) => execution.status === 'SUCCEEDED').length,
      failed: all.filter((execution) => execution.status !== 'SUCCEEDED' && execution.status !== 'RUNNING')
        .length,
    };
  };
  // One advance at a time: the API's jumps and the real-time ticker queue behind each other.
  let advancing: Promise<unknown> = Promise.resolve();
  const advanceTo = (targetMs: number): Promise<AdvanceResult> => {
    const run = advancing.then(async () => {
      const before = {
        executions: executionsNow(),
        fired: schedulesFired,
        skipped: idleSweeps?.skipped ?? 0,
        delivered: eventBus.deliveries.length,
      };
      const from = clock.now().toISOString();
      if (targetMs > clock.nowMs()) await clock.advanceTo(targetMs);
      const after = executionsNow();
      return {
        from,
        to: clock.now().toISOString(),
        executions: {
          started: after.started - before.executions.started,
          succeeded: after.succeeded - before.executions.succeeded,
          failed: after.failed - before.executions.failed,
        },
        schedulesFired: schedulesFired - before.fired,
        idleSweepsSkipped: (idleSweeps?.skipped ?? 0) - before.skipped,
        eventsDelivered: eventBus.deliveries.length - before.delivered,
      };
    });
    advancing = run.catch(() => undefined);
    // The time reached is kept even when the advance failed (its caller hears of that).
    void advancing
      .then(() => saveClock(clockFile, clock.nowMs()))
      .catch((error: unknown) =>
        logger.warn(`${clockFile} could not be saved; make the data folder writable`, {
          source: 'local clock',
          error,
        }),
      );
    return run;
  };
  // Local time = wall clock + offset; an advance moves the offset, so real time carries on from there.
  let offset = clock.nowMs() - Date.now();
  const advance = (ms: number): Promise<AdvanceResult> => {
    offset += ms;
    return advanceTo(Date.now() + offset);
  };

  const jobs = new AdvanceJobs<AdvanceResult>();
  const jobPath = (id: string) => `/_local/clock/advance?job=${encodeURIComponent(id)}`;
  const api = await startLocalApi({
    port: options.port,
    root: options.root,
    localRoutes: {
      'GET /_local/clock': async () => json(200, { now: clock.now().toISOString() }),
      'POST /_local/events': putEventsRoute(eventBus),
      'GET /_local/charts': chartRoute(charts),
      'POST /_local/clock/advance': async (event) => {
        let ms: number;
        let background: boolean;
        try {
          const body = JSON.parse(bodyText(event) || '{}') as { by?: unknown; async?: unknown };
          if (typeof body.by !== 'string')
            throw new DurationError('send {"by": "PT24H"} (an ISO-8601 duration)');
          if (body.async !== undefined && typeof body.async !== 'boolean')
            throw new DurationError('"async" must be true or false');
          ms = parseDuration(body.by);
          background = body.async === true;
        } catch (error) {
          return problem(400, 'bad-request', (error as Error).message);
        }
        if (!background) return json(200, await advance(ms));
        // A long advance answers at once with a job to poll (GET /_local/clock/advance?job=…).
        const from = clock.now().toISOString();
        const target = new Date(clock.nowMs() + ms).toISOString();
        const startedBefore = executionsNow().started;
        const job = jobs.start(advance(ms), () => ({
          from,
          target,
          reached: clock.now().toISOString(),
          executions: executionsNow().started - startedBefore,
        }));
        return json(202, job, { location: jobPath(job.id) });
      },
      'GET /_local/clock/advance': async (event) => {
        const id = event.queryStringParameters?.job;
        if (!id) return problem(400, 'bad-request', 'name the job: GET /_local/clock/advance?job=<id>');
        const job = jobs.get(id);
        return job ? json(200, job) : problem(404, 'not-found', `no advance job ${id}`);
      },
    },
  });
  localApiUrl = api.url;
  installDeps({ apiUrl: api.url });

  // Approval links point at this server (the synthesized APPROVAL_BASE_URL names API Gateway).
  installDeps({ approvalBaseUrl: api.url });

  // Real-time mode: every second, catch up with the wall clock (plus what was advanced).
  let ticker: NodeJS.Timeout | undefined;
  if ((options.clockMode ?? 'real') === 'real') {
    let busy = false;
    ticker = setInterval(() => {
      if (busy) return;
      busy = true;
      advanceTo(Date.now() + offset)
        .catch((error: unknown) =>
          logger.error('catching up with the wall clock failed', { source: 'local clock', error }),
        )
        .finally(() => {
          busy = false;
        });
    }, 1000);
  }

  return {
    apiUrl: api.url,
    store,
    listening,
    clock,
    seededChannels,
    outboxDir,
    simulators: fleet.simulators.map((sim) => ({ platform: sim.platform, url: sim.url })),
    stateMachines: [...runners.values()].map((runner) => runner.machine.name),
    advance,
    fastForward: advance,
    usage: () => {
      const usage = structuredClone(meter.usage);
      for (const runner of runners.values()) {
        for (const execution of runner.executions) {
          if (!execution.stopDate) continue;
          usage[runner.machine.stateMachineType === 'EXPRESS' ? 'express' : 'standard'].requests++;
          if (runner.machine.stateMachineType === 'EXPRESS') {
            const ms = execution.stopDate.getTime() - execution.startDate.getTime();
            usage.express.gbSeconds += (Math.max(1, Math.ceil(ms / 100)) / 10) * (64 / 1024);
          } else {
            usage.standard.transitions += execution.events.filter(
              (event) => event.type === 'StateEntered',
            ).length;
          }
        }
      }
      usage.schedulerInvocations = schedulesFired;
      usage.idleSweepsSkipped = idleSweeps?.skipped ?? 0;
      return usage;
    },
    stop: async () => {
      if (ticker) clearInterval(ticker);
      await advancing;
      saveClock(clockFile, clock.nowMs());
      cancelSchedules();
      for (const runner of runners.values()) runner.stopAll();
      await api.stop();
      await fleet.stop();
      await dynamo.stop();
    },
  };
}
