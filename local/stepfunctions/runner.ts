// Over 500 lines on purpose: one class whose private state (task plans, running executions, timers) every method shares.
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  type RunOptions,
  StateMachine,
} from 'aws-local-stepfunctions';
import type { VirtualClock } from '../clock.ts';
import {
  type FunctionEntry,
  functionEntries,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type ResolveOptions,
  stateMachineArn,
} from '../cloudformation/template.ts';
import {
  evaluateReferencePath,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  parseReferencePath,
} from '../json.ts';
import { type LocalHandler, lambdaContext, loadHandlers } from '../lambda.ts';
import {
  type AslDefinition,
  type AslState,
  allStates,
  assertRunnable,
  childScopes,
  isRfc3339,
  UnsupportedDefinitionError,
} from './asl.ts';
import { type ResolvedStateMachine, resolveStateMachine } from './state-machines.ts';
import { asJson, functionError, TaskError } from './tasks.ts';

/**
 * Runs a state machine synthesized by the CDK app in-process with aws-local-stepfunctions 3.0.0,
 * on a {@link VirtualClock}.
 *
 * Everything runs exactly as synthesized (the library interprets the resolved ASL: paths,
 * Parameters, ResultSelector, Choice, Map, Parallel, Retry, Catch, intrinsics), except for what the
 * library would otherwise do in real time or against AWS:
 *
 * - Task states: every Task gets a local handler or the runner refuses to construct. A
 *   `lambda:invoke` task or a function-ARN task calls the real handler module in-process; any
 *   other integration (`dynamodb:putItem`, `aws-sdk:…`, `events:putEvents`) calls the function the
 *   caller registered under that name, which makes the real call against the local stand-in. So
 *   the library never calls AWS Lambda.
 * - Wait states: the library computes waits from the real clock (`Date.now()`/`setTimeout`).
 *   Each Wait is therefore replaced, mechanically, by a Task state of the same name with the same
 *   InputPath/OutputPath/Next/End, whose local handler evaluates the original
 *   Seconds/Timestamp/SecondsPath/TimestampPath on the state's effective input and sleeps on the
 *   virtual clock, returning its input unchanged. A Wait's output is OutputPath(InputPath(input))
 *   and so is this Task's (no Parameters, ResultSelector or ResultPath), its name and transitions
 *   are the same, and it has no Retry/Catch, so the machine's behaviour is that of the Wait; the
 *   only visible difference, the state type in the event history, is put back to `Wait` in the
 *   recorded events. Like Step Functions, wait timestamps are truncated to whole seconds.
 * - Retry intervals: the library sleeps in real time between attempts; every retryable state gets
 *   a 0 ms interval by default (`retryIntervalOverrides` sets another, in real ms), so retries take
 *   neither real nor virtual time.
 * - The execution timeout (top-level `TimeoutSeconds`, 5 minutes for the Express Dispatcher) runs
 *   on the virtual clock; the execution then ends TIMED_OUT with `States.Timeout`.
 * - The Context object: `$$.Execution.Id/Name/RoleArn/StartTime` and `$$.StateMachine.Id/Name`
 *   are filled in, StartTime from the virtual clock.
 *
 * Two normalizations work around library bugs without changing meaning: `ResultPath: "$"` (the
 * default, spelled out) is dropped because the library would store the result under a key named
 * `$`, and a Task `TimeoutSeconds` beyond Node's timer limit (~24.8 days) is capped there because
 * a longer `setTimeout` fires at once.
 *
 * Task `TimeoutSeconds` (and the library's own 60 s default for Tasks without one) stay in real
 * time: a handler takes no virtual time, so only a real-time limit can catch a hung one.
 *
 * On the clock, an execution as a whole is not tracked work (it waits on the clock, which only
 * moves when tracked work has settled); what it does in real time is: every handler and
 * integration call runs inside `clock.track`. The steps in between are promise continuations,
 * which the clock's idle detection waits for. So `advanceTo` returns only once every execution
 * has gone as far as it can at the target time.
 */

/** A service integration (`dynamodb:putItem`, `aws-sdk:dynamodb:query`, `events:putEvents`, …)
 * keyed by what follows `arn:aws:states:::` in the Task's Resource. */
export type SdkIntegration = (parameters: JsonValue, call: TaskCall) => unknown;

export interface TaskCall {
  stateName: string;
  resource: string;
  executionArn: string;
  /** Aborted when the execution ends (stopped, timed out, failed). */
  signal: AbortSignal;
}

export interface LocalStateMachineRunnerOptions {
  machine: ResolvedStateMachine;
  /** Handlers by Lambda function logical id (see {@link loadHandlers}). */
  handlers: Readonly<Record<string, LocalHandler>>;
  /** Service integrations by resource name after `arn:aws:states:::`. */
  sdkIntegrations?: Readonly<Record<string, SdkIntegration>>;
  clock: VirtualClock;
  /** The template's functions (timeout and memory for the handlers' context). */
  functions?: readonly FunctionEntry[];
  /** Wait states (by name) that wait this many virtual ms instead of what they say; 0 = instant. */
  waitTimeOverrides?: Readonly<Record<string, number>>;
  /**
   * Real ms to sleep before each retry, per retryable state name: a number for every retrier of
   * the state, or one per retrier. @default 0 for every state
   */
  retryIntervalOverrides?: Readonly<Record<string, number | readonly number[]>>;
  /**
   * How many execution records to keep; beyond it the oldest finished ones are dropped (a month of
   * a per-minute schedule is 43,200 executions). @default 10_000
   */
  historyLimit?: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One entry of an execution's history, as aws-local-stepfunctions logs it; `timestamp` is
 * virtual epoch ms. */
export interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: JsonValue; output?: JsonValue };
  index?: number;
  Error?: string;
  Cause?: unknown;
  [field: string]: unknown;
}

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  status: ExecutionStatus;
  input: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  events: ExecutionEvent[];
}

export interface StartedExecution {
  executionArn: string;
  name: string;
  /** The output; rejects with {@link StateMachineExecutionError} unless the execution succeeds.
   * (A rejection nobody awaits is not reported as unhandled: the history has it.) */
  result: Promise<JsonValue>;
  /** Live: grows as the execution runs. */
  events: readonly ExecutionEvent[];
  record: ExecutionRecord;
}

/** An execution that did not succeed; `error` and `cause` are Step Functions'. */
export class StateMachineExecutionError extends Error {
  readonly status: Exclude<ExecutionStatus, 'RUNNING' | 'SUCCEEDED'>;
  readonly error: string;
  constructor(record: ExecutionRecord) {
    super(`${record.executionArn} ${record.status}: ${record.error ?? ''} ${record.cause ?? ''}`.trim(), {
      cause: record.cause,
    });
    this.name = 'StateMachineExecutionError';
    this.status = record.status as StateMachineExecutionError['status'];
    this.error = record.error ?? '';
  }
}

/** Task states the runner has no local handler for; construction fails with every one listed. */
export class MissingTaskHandlerError extends Error {
  readonly missing: readonly string[];
  constructor(machine: string, missing: readonly string[]) {
    super(
      `State machine ${machine} cannot run locally: Task states without a local handler:\n  - ${missing.join('\n  - ')}`,
    );
    this.name = 'MissingTaskHandlerError';
    this.missing = missing;
  }
}

/** StartExecution of a STANDARD machine with a name already used. */
export class ExecutionAlreadyExistsError extends Error {
  constructor(name: string) {
    super(`Execution already exists: ${name}`);
    this.name = 'ExecutionAlreadyExists';
  }
}

type TaskPlan =
  | { kind: 'lambdaInvoke'; resource: string }
  | { kind: 'lambdaFunction'; resource: string; functionName: string }
  | { kind: 'integration'; resource: string; key: string }
  | { kind: 'wait'; state: AslState };

type LocalTaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LibraryInput = Parameters<LocalTaskHandlers[string]>[0];
type LibraryDefinition = ConstructorParameters<typeof StateMachine>[0];

interface RunningExecution {
  record: ExecutionRecord;
  context: JsonObject;
  abort: AbortController;
  stop?: { error: string; cause: string; status: 'ABORTED' | 'TIMED_OUT' };
  libraryAbort?: () => void;
}

const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;
const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;
const SERVICE_INTEGRATION = /^arn:[^:]+:states:::(.+)$/;
/** The longest real timer Node honours (ms / 1000): a longer one fires immediately. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
/** The Resource of the Task states that stand in for Wait states (never called: overridden). */
const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::pulsecast:local.wait';

/** `arn:…:function:Name[:qualifier]`, `Name[:qualifier]` → `Name`. */
export function functionNameOf(nameOrArn: string): string {
  const arn = LAMBDA_FUNCTION_ARN.exec(nameOrArn);
  if (arn) return arn[1]!;
  const partial = /^(?:\d{12}:function:)?([^:]+)/.exec(nameOrArn);
  return partial?.[1] ?? nameOrArn;
}

export class LocalStateMachineRunner {
  readonly machine: ResolvedStateMachine;
  readonly stateMachineArn: string;
  /** Every execution started, oldest first. */
  readonly executions: ExecutionRecord[] = [];

  private readonly clock: VirtualClock;
  private readonly handlers: Readonly<Record<string, LocalHandler>>;
  private readonly integrations: Readonly<Record<string, SdkIntegration>>;
  private readonly functions: ReadonlyMap<string, FunctionEntry>;
  private readonly plans = new Map<string, TaskPlan>();
  private readonly waitStates = new Set<string>();
  private readonly waitTimeOverrides: Readonly<Record<string, number>>;
  private readonly retryIntervals: Record<string, number | number[]> = {};
  private readonly timeoutSeconds: number | undefined;
  private readonly library: StateMachine;
  private readonly running = new Map<string, RunningExecution>();
  private readonly schedules = new Set<() => void>();
  private readonly historyLimit: number;

  constructor(options: LocalStateMachineRunnerOptions) {
    const { machine } = options;
    this.machine = machine;
    this.clock = options.clock;
    this.handlers = options.handlers;
    this.integrations = options.sdkIntegrations ?? {};
    this.functions = new Map((options.functions ?? []).map((fn) => [fn.logicalId, fn]));
    this.stateMachineArn = stateMachineArn(machine.name);
    this.waitTimeOverrides = options.waitTimeOverrides ?? {};
    this.historyLimit = options.historyLimit ?? 10_000;

    const subject = `State machine ${machine.logicalId}`;
    assertRunnable(subject, machine.definition);
    try {
      // asl-validator, as the library runs it by default (it annotates what it checks: a copy).
      new StateMachine(structuredClone(machine.definition) as unknown as LibraryDefinition);
    } catch (error) {
      throw new UnsupportedDefinitionError(subject, [error instanceof Error ? error.message : String(error)]);
    }

    const missing: string[] = [];
    const invalid: string[] = [];
    const retryable = new Set<string>();
    for (const { name, state, path } of allStates(machine.definition)) {
      if (Array.isArray(state.Retry) && state.Retry.length > 0) retryable.add(name);
      if (state.Type === 'Wait') {
        this.waitStates.add(name);
        this.plans.set(name, { kind: 'wait', state });
        invalid.push(...checkWait(state, path));
      } else if (state.Type === 'Task') {
        const plan = this.planTask(state);
        if (!plan) {
          missing.push(`${path} (${String(state.Resource)}): no local handler for this kind of resource`);
          continue;
        }
        this.plans.set(name, plan);
        const problem = this.missingHandler(plan, state, path);
        if (problem) missing.push(problem);
      }
    }
    if (invalid.length > 0) throw new UnsupportedDefinitionError(subject, invalid);
    if (missing.length > 0) throw new MissingTaskHandlerError(machine.logicalId, missing);

    for (const name of Object.keys(this.waitTimeOverrides)) {
      if (!this.waitStates.has(name)) {
        throw new Error(`waitTimeOverrides.${name}: ${subject} has no Wait state ${name}`);
      }
    }
    for (const name of retryable) this.retryIntervals[name] = 0;
    for (const [name, interval] of Object.entries(options.retryIntervalOverrides ?? {})) {
      if (!retryable.has(name)) {
        throw new Error(`retryIntervalOverrides.${name}: ${subject} has no state ${name} with a Retry`);
      }
      this.retryIntervals[name] = typeof interval === 'number' ? interval : [...interval];
    }

    const executable = structuredClone(machine.definition);
    this.timeoutSeconds =
      typeof executable.TimeoutSeconds === 'number' ? executable.TimeoutSeconds : undefined;
    delete executable.TimeoutSeconds;
    rewriteScope(executable);
    this.library = new StateMachine(executable as unknown as LibraryDefinition, {
      validationOptions: { noValidate: true },
    });
  }

  /**
   * Resolves one state machine of a synthesized template, loads the handler modules of the
   * functions its Tasks call (`pulsecast:entry`, resolved against `root`) and builds the runner.
   */
  static async fromTemplate(
    template: unknown,
    logicalId: string,
    options: Omit<LocalStateMachineRunnerOptions, 'machine' | 'handlers' | 'functions'> &
      ResolveOptions & { root: string; handlers?: Readonly<Record<string, LocalHandler>> },
  ): Promise<LocalStateMachineRunner> {
    const machine = resolveStateMachine(template, logicalId, options);
    const functions = functionEntries(template, options);
    const known = new Set(functions.filter((fn) => fn.entry).map((fn) => fn.logicalId));
    const used = referencedFunctions(machine.definition).filter(
      (id) => known.has(id) && !options.handlers?.[id],
    );
    const loaded = await loadHandlers(template, options.root, { ...options, only: used });
    return new LocalStateMachineRunner({
      ...options,
      machine,
      functions,
      handlers: { ...loaded, ...options.handlers },
    });
  }

  /** Executions not finished yet. */
  get runningCount(): number {
    return this.running.size;
  }

  describe(executionArn: string): ExecutionRecord | undefined {
    return this.executions.find((record) => record.executionArn === executionArn);
  }

  /** Starts an execution at the current virtual time (StartExecution). */
  start(input: unknown = {}, options: { executionName?: string } = {}): StartedExecution {
    const name = options.executionName ?? randomUUID();
    if (
      this.machine.stateMachineType === 'STANDARD' &&
      this.executions.some((record) => record.name === name)
    ) {
      throw new ExecutionAlreadyExistsError(name);
    }
    const jsonInput = asJson(input, 'the execution input');
    const kind = this.machine.stateMachineType === 'EXPRESS' ? 'express' : 'execution';
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${kind}:${this.machine.name}:${name}`;
    const startMs = this.clock.nowMs();
    const record: ExecutionRecord = {
      executionArn,
      name,
      stateMachineArn: this.stateMachineArn,
      status: 'RUNNING',
      input: jsonInput,
      startDate: new Date(startMs),
      events: [],
    };
    this.executions.push(record);
    if (this.executions.length > this.historyLimit) {
      const oldestFinished = this.executions.findIndex((old) => old.status !== 'RUNNING');
      if (oldestFinished >= 0) this.executions.splice(oldestFinished, 1);
    }
    const execution: RunningExecution = {
      record,
      abort: new AbortController(),
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          RoleArn: this.machine.roleArn ?? `arn:aws:iam::${LOCAL_ACCOUNT}:role/${this.machine.name}Role`,
          StartTime: new Date(startMs).toISOString(),
          RedriveCount: 0,
          Input: jsonInput,
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.machine.name },
      },
    };
    this.running.set(executionArn, execution);

    // The library stamps `$$.Execution.StartTime` with `new Date()` while `run()` executes
    // synchronously; during that window (and only then: nothing else runs, and every handler is
    // deferred past it) `Date` reads the virtual clock, so StartTime is the virtual start.
    const run = withFrozenDate(startMs, () =>
      this.library.run(jsonInput as LibraryInput, {
        overrides: {
          taskResourceLocalHandlers: this.localHandlers(execution),
          retryIntervalOverrides: this.retryIntervals,
        },
        context: {
          Execution: { ...(execution.context.Execution as JsonObject) },
          StateMachine: execution.context.StateMachine,
        },
      }),
    );
    execution.libraryAbort = run.abort;
    void this.collectEvents(run.eventLogs, record);

    if (this.timeoutSeconds !== undefined) {
      const seconds = this.timeoutSeconds;
      this.clock.sleepUntil(startMs + seconds * 1000, execution.abort.signal).then(
        () =>
          this.stopRunning(execution, {
            status: 'TIMED_OUT',
            error: 'States.Timeout',
            cause: `Execution timed out after ${seconds} seconds`,
          }),
        () => undefined,
      );
    }

    const result = run.result.then(
      (output) => {
        record.status = 'SUCCEEDED';
        record.output = output as JsonValue;
        return output as JsonValue;
      },
      (error: unknown) => {
        this.recordFailure(execution, error);
        throw new StateMachineExecutionError(record);
      },
    );
    const finished = result.finally(() => {
      record.stopDate = this.clock.now();
      this.running.delete(executionArn);
      execution.abort.abort(new Error(`execution ${record.status}`));
    });
    // Failures are in the history; a caller that does not await the result must not crash the
    // process with an unhandled rejection.
    finished.catch(() => undefined);
    return { executionArn, name, result: finished, events: record.events, record };
  }

  /** StopExecution: the execution ends ABORTED with this error and cause. */
  stop(executionArn: string, details: { error?: string; cause?: string } = {}): void {
    const execution = this.running.get(executionArn);
    if (!execution) return;
    this.stopRunning(execution, {
      status: 'ABORTED',
      error: details.error ?? '',
      cause: details.cause ?? '',
    });
  }

  /**
   * Starts an execution every `rateMs` of virtual time, as an EventBridge Scheduler `rate(...)`
   * schedule targeting the state machine does. The first one starts at `startMs` (default: one
   * interval from now). Returns a function that deletes the schedule.
   */
  scheduleEvery(
    rateMs: number,
    input: unknown | ((instant: Date) => unknown) = {},
    options: { startMs?: number } = {},
  ): () => void {
    const cancel = this.clock.every(rateMs, options.startMs ?? this.clock.nowMs() + rateMs, (instant) => {
      this.start(typeof input === 'function' ? (input as (instant: Date) => unknown)(instant) : input);
    });
    const remove = (): void => {
      cancel();
      this.schedules.delete(remove);
    };
    this.schedules.add(remove);
    return remove;
  }

  /** Deletes every schedule and stops every running execution (teardown). */
  stopAll(): void {
    for (const remove of [...this.schedules]) remove();
    for (const execution of [...this.running.values()]) {
      this.stopRunning(execution, {
        status: 'ABORTED',
        error: 'Stopped',
        cause: 'the local runner was stopped',
      });
    }
  }

  private stopRunning(execution: RunningExecution, stop: NonNullable<RunningExecution['stop']>): void {
    if (execution.stop || execution.record.status !== 'RUNNING') return;
    execution.stop = stop;
    execution.libraryAbort?.();
    execution.abort.abort(new Error(stop.error));
  }

  private recordFailure(execution: RunningExecution, error: unknown): void {
    const { record } = execution;
    if (error instanceof ExecutionAbortedError && execution.stop) {
      record.status = execution.stop.status;
      record.error = execution.stop.error;
      record.cause = execution.stop.cause;
    } else if (error instanceof ExecutionError && error.cause instanceof Error) {
      record.status = 'FAILED';
      record.error = error.cause.name;
      record.cause = error.cause.message;
    } else {
      record.status = 'FAILED';
      record.error = 'States.Runtime';
      record.cause = error instanceof Error ? error.message : String(error);
    }
  }

  private async collectEvents(
    events: AsyncGenerator<{ type: string; timestamp: number }>,
    record: ExecutionRecord,
  ): Promise<void> {
    for await (const event of events) {
      const recorded = { ...event, timestamp: this.clock.nowMs() } as ExecutionEvent;
      if (recorded.state && this.waitStates.has(recorded.state.name)) {
        recorded.state = { ...recorded.state, type: 'Wait' };
      }
      record.events.push(recorded);
    }
  }

  private planTask(state: AslState): TaskPlan | undefined {
    const resource = typeof state.Resource === 'string' ? state.Resource : '';
    if (LAMBDA_INVOKE.test(resource)) return { kind: 'lambdaInvoke', resource };
    const fn = LAMBDA_FUNCTION_ARN.exec(resource);
    if (fn) return { kind: 'lambdaFunction', resource, functionName: fn[1]! };
    const integration = SERVICE_INTEGRATION.exec(resource);
    if (integration) return { kind: 'integration', resource, key: integration[1]! };
    return undefined;
  }

  private missingHandler(plan: TaskPlan, state: AslState, path: string): string | undefined {
    switch (plan.kind) {
      case 'lambdaFunction':
        return this.handlers[plan.functionName]
          ? undefined
          : `${path} (${plan.resource}): no handler for function ${plan.functionName}`;
      case 'lambdaInvoke': {
        const parameters = isJsonObject(state.Parameters) ? state.Parameters : {};
        const invocationType = parameters.InvocationType;
        if (invocationType !== undefined && invocationType !== 'RequestResponse') {
          return `${path} (${plan.resource}): InvocationType ${String(invocationType)} is not supported locally`;
        }
        // A dynamic `FunctionName.$` is checked when it is called (Lambda.ResourceNotFoundException).
        if ('FunctionName.$' in parameters) return undefined;
        if (typeof parameters.FunctionName !== 'string') return `${path} (${plan.resource}): no FunctionName`;
        const name = functionNameOf(parameters.FunctionName);
        return this.handlers[name]
          ? undefined
          : `${path} (${plan.resource}): no handler for function ${name}`;
      }
      case 'integration':
        return this.integrations[plan.key]
          ? undefined
          : `${path} (${plan.resource}): no sdkIntegrations['${plan.key}']`;
      case 'wait':
        return undefined;
    }
  }

  /** The local handler of every Task (and former Wait) state, for one execution. */
  private localHandlers(execution: RunningExecution): LocalTaskHandlers {
    const handlers: LocalTaskHandlers = {};
    for (const [stateName, plan] of this.plans) {
      handlers[stateName] = (input) =>
        this.runTask(stateName, plan, input as JsonValue, execution) as Promise<never>;
    }
    return handlers;
  }

  private runTask(
    stateName: string,
    plan: TaskPlan,
    input: JsonValue,
    execution: RunningExecution,
  ): Promise<JsonValue> {
    const { signal } = execution.abort;
    const label = `${this.machine.name}/${execution.record.name}/${stateName}`;
    switch (plan.kind) {
      case 'wait':
        return this.wait(stateName, plan.state, input, execution);
      case 'lambdaFunction':
        return this.invokeFunction(plan.functionName, input, label);
      case 'lambdaInvoke':
        return this.lambdaInvoke(input, label);
      case 'integration': {
        const integration = this.integrations[plan.key]!;
        const call: TaskCall = {
          stateName,
          resource: plan.resource,
          executionArn: execution.record.executionArn,
          signal,
        };
        return this.clock.track(async () => {
          await null; // out of the library's synchronous run() window (see start())
          let result: unknown;
          try {
            result = await integration(input, call);
          } catch (error) {
            throw error instanceof Error ? new TaskError(error.name, error.message) : functionError(error);
          }
          return asJson(result, `the result of ${stateName}`);
        }, label);
      }
    }
  }

  /** `arn:aws:states:::lambda:invoke`: the Lambda Invoke API's response around the payload. */
  private async lambdaInvoke(parameters: JsonValue, label: string): Promise<JsonValue> {
    if (!isJsonObject(parameters) || typeof parameters.FunctionName !== 'string') {
      throw new TaskError('States.Runtime', 'lambda:invoke needs a FunctionName string', {
        retryable: false,
        catchable: false,
      });
    }
    const payload = await this.invokeFunction(
      functionNameOf(parameters.FunctionName),
      parameters.Payload ?? {},
      label,
    );
    const requestId = randomUUID();
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Date: this.clock.now().toUTCString(),
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-RequestId': requestId,
    };
    return {
      ExecutedVersion: '$LATEST',
      Payload: payload,
      SdkHttpMetadata: {
        AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
        HttpHeaders: headers,
        HttpStatusCode: 200,
      },
      SdkResponseMetadata: { RequestId: requestId },
      StatusCode: 200,
    };
  }

  private invokeFunction(functionName: string, payload: JsonValue, label: string): Promise<JsonValue> {
    const handler = this.handlers[functionName];
    if (!handler) {
      return Promise.reject(
        new TaskError(
          'Lambda.ResourceNotFoundException',
          `Function not found: ${functionName} (no local handler)`,
        ),
      );
    }
    return this.clock.track(async () => {
      // Out of the library's synchronous run() window (see start()): handler code never sees the
      // frozen Date.
      await null;
      const event = structuredClone(payload);
      let result: unknown;
      try {
        result = await handler(event, lambdaContext(functionName, this.functions.get(functionName)));
      } catch (error) {
        throw functionError(error);
      }
      return asJson(result, `the result of ${functionName}`);
    }, `${label} → ${functionName}`);
  }

  private async wait(
    stateName: string,
    state: AslState,
    input: JsonValue,
    execution: RunningExecution,
  ): Promise<JsonValue> {
    const now = this.clock.nowMs();
    const override = this.waitTimeOverrides[stateName];
    let until: number;
    if (override !== undefined) {
      until = now + override;
    } else if (typeof state.Seconds === 'number') {
      until = now + state.Seconds * 1000;
    } else if (typeof state.SecondsPath === 'string') {
      const seconds = evaluateReferencePath(state.SecondsPath, input, execution.context);
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw runtimeError(
          `${stateName}: SecondsPath '${state.SecondsPath}' is ${JSON.stringify(seconds)}, not a non-negative integer`,
        );
      }
      until = now + seconds * 1000;
    } else {
      const timestamp =
        typeof state.Timestamp === 'string'
          ? state.Timestamp
          : evaluateReferencePath(String(state.TimestampPath), input, execution.context);
      if (typeof timestamp !== 'string' || !isRfc3339(timestamp)) {
        throw runtimeError(`${stateName}: ${JSON.stringify(timestamp)} is not an RFC 3339 timestamp`);
      }
      // Step Functions considers a wait timestamp up to the second and truncates the rest.
      until = Math.floor(Date.parse(timestamp) / 1000) * 1000;
    }
    await this.clock.sleepUntil(until, execution.abort.signal);
    return input;
  }
}

/** The logical ids of the Lambda functions a definition's Tasks call (statically). */
export function referencedFunctions(definition: AslDefinition): string[] {
  const names = new Set<string>();
  for (const { state } of allStates(definition)) {
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
    const direct = LAMBDA_FUNCTION_ARN.exec(state.Resource);
    if (direct) names.add(direct[1]!);
    const parameters = state.Parameters;
    if (
      LAMBDA_INVOKE.test(state.Resource) &&
      isJsonObject(parameters) &&
      typeof parameters.FunctionName === 'string'
    ) {
      names.add(functionNameOf(parameters.FunctionName));
    }
  }
  return [...names];
}

function runtimeError(message: string): TaskError {
  // States.Runtime is neither retried nor caught (not even by States.ALL).
  return new TaskError('States.Runtime', message, { retryable: false, catchable: false });
}

/** Wait fields the runner evaluates itself: they must be well formed before anything runs. */
function checkWait(state: AslState, path: string): string[] {
  const problems: string[] = [];
  for (const field of ['SecondsPath', 'TimestampPath'] as const) {
    const value = state[field];
    if (value !== undefined && (typeof value !== 'string' || !parseReferencePath(value))) {
      problems.push(`${path}.${field}: ${JSON.stringify(value)} is not a reference path`);
    }
  }
  if (typeof state.Timestamp === 'string' && !isRfc3339(state.Timestamp)) {
    problems.push(`${path}.Timestamp: ${state.Timestamp} is not an RFC 3339 timestamp`);
  }
  return problems;
}

/** Replaces Wait states and applies the normalizations described at the top, in place. */
function rewriteScope(scope: AslDefinition): void {
  for (const [name, state] of Object.entries(scope.States)) {
    for (const child of childScopes(state, name)) rewriteScope(child.scope);
    if (state.ResultPath === '$') delete state.ResultPath;
    if (Array.isArray(state.Catch)) {
      for (const catcher of state.Catch)
        if (isJsonObject(catcher) && catcher.ResultPath === '$') delete catcher.ResultPath;
    }
    if (
      state.Type === 'Task' &&
      typeof state.TimeoutSeconds === 'number' &&
      state.TimeoutSeconds > MAX_TIMER_SECONDS
    ) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
    if (state.Type === 'Wait') {
      const task: AslState = {
        Type: 'Task',
        Resource: LOCAL_WAIT_RESOURCE,
        TimeoutSeconds: MAX_TIMER_SECONDS,
      };
      for (const field of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End'] as const) {
        if (field in state) task[field] = state[field]!;
      }
      scope.States[name] = task;
    }
  }
}

/** Runs `fn` with `Date.now()` and `new Date()` answering `nowMs`; synchronous code only. */
function withFrozenDate<T>(nowMs: number, fn: () => T): T {
  const RealDate = globalThis.Date;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) =>
      args.length === 0 ? new target(nowMs) : Reflect.construct(target, args, newTarget),
    get: (target, property, receiver) =>
      property === 'now' ? () => nowMs : Reflect.get(target, property, receiver),
  });
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}
