import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventPublishError } from '../../shared/eventbridge.ts';
import {
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  type EventPublisher,
  type PulsecastEvent,
} from '../../shared/events.ts';
import type { VirtualClock } from '../clock.ts';
import {
  type FunctionEntry,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  lambdaArn,
  parseTemplate,
  type ResolveOptions,
} from '../cloudformation/template.ts';
import {
  evaluateReferencePath,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  parseReferencePath,
} from '../json.ts';
import { type LocalHandler, lambdaContext, SimulatedServiceError } from '../lambda.ts';
import { compilePattern, type EventMatcher, validatePattern } from './pattern.ts';
import { type RetryPolicy, retryPolicyOf } from './retry-policy.ts';

/**
 * The local `pulsecast` event bus: the EventBridge rules of the synthesized template, applied to
 * every published event with the real pattern semantics (pattern.ts), delivering to the real
 * handler modules on the virtual clock.
 *
 * What it mirrors, and where the documentation says so:
 *  - PutEvents turns each entry into the envelope `{version, id, detail-type, source, account,
 *    time, region, resources, detail}` and refuses an entry over 256 KB
 *    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 *  - Rules invoke Lambda targets asynchronously: `publish` returns once the events are accepted
 *    (and archived); each matching target runs later, as tracked work of the clock, so an advance
 *    waits for it.
 *  - A function error (the handler throws) is retried by Lambda's asynchronous invocation: by
 *    default twice, one minute and then two minutes later, within the maximum event age (6 hours),
 *    both overridable by the function's `AWS::Lambda::EventInvokeConfig`
 *    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 *  - A delivery failure (the handler throws a {@link SimulatedServiceError}: the invocation itself
 *    failed) is retried by EventBridge under the target's `RetryPolicy`, by default 185 times
 *    within 24 hours (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html);
 *    locally with a deterministic exponential backoff (1 s, doubling, at most 5 minutes).
 *  - What still fails goes to the dead-letter file (JSON lines), never silently dropped: in AWS it
 *    would go to the target's dead-letter queue (delivery failures) or the function's on-failure
 *    destination or dead-letter queue (function errors), and be dropped where there is none; each
 *    record names that destination.
 *  - The archive (the template's `AWS::Events::Archive` of the bus, with its pattern) is a JSON
 *    lines file of envelopes; {@link LocalEventBus.replay} sends a time range of it to the rules
 *    again, with `replay-name` set, as an EventBridge replay does.
 */

/** What a target passes to its function (`Input`, `InputPath`, or the whole event). */
export type TargetInput =
  | { kind: 'event' }
  | { kind: 'path'; path: string }
  | { kind: 'constant'; value: JsonValue };

export interface LocalRuleTarget {
  /** The target's `Id`. */
  id: string;
  /** The function it invokes, by logical id (the key of its handler). */
  functionLogicalId: string;
  /** @default { kind: 'event' } */
  input?: TargetInput;
  /** The target's `RetryPolicy` (delivery failures). */
  retryPolicy?: RetryPolicy;
  /** The target's dead-letter queue (`DeadLetterConfig.Arn`), by logical id or ARN. */
  deadLetterQueue?: string;
}

export interface LocalRule {
  /** The rule's logical id (or name, for rules given in code). */
  name: string;
  eventPattern: unknown;
  /** `State` is not DISABLED. @default true */
  enabled?: boolean;
  targets: readonly LocalRuleTarget[];
}

/** A function's asynchronous-invocation settings (`AWS::Lambda::EventInvokeConfig`). */
export interface AsyncInvokeConfig {
  /** 0 to 2. @default 2 */
  maximumRetryAttempts?: number;
  /** @default 21600 (6 hours) */
  maximumEventAgeSeconds?: number;
  /** Where AWS sends what still fails (on-failure destination or the function's dead-letter queue). */
  onFailure?: string;
}

/** The envelope EventBridge delivers. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601, to the second. */
  time: string;
  region: string;
  resources: string[];
  detail: JsonObject;
  /** Set on events sent again by {@link LocalEventBus.replay}. */
  'replay-name'?: string;
}

export interface DeliveryRecord {
  rule: string;
  target: string;
  functionLogicalId: string;
  eventId: string;
  detailType: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Virtual time of the attempt. */
  at: string;
  replayName?: string;
}

export type FailureKind = 'function-error' | 'delivery-failure' | 'input';

export interface FailedAttempt extends DeliveryRecord {
  kind: FailureKind;
  error: { name: string; message: string };
}

export interface DeadLetter {
  rule: string;
  target: string;
  functionLogicalId: string;
  kind: FailureKind;
  /** Why retrying stopped. */
  reason: string;
  attempts: number;
  error: { name: string; message: string };
  /** Virtual time at which it was given up. */
  failedAt: string;
  /** Where AWS would have put it (a queue or destination of the template); none means AWS drops it. */
  destination?: string;
  event: EventEnvelope;
}

export interface LocalEventBusOptions {
  clock: VirtualClock;
  /** Handlers by function logical id (`loadHandlers`). */
  handlers: Readonly<Record<string, LocalHandler>>;
  rules: readonly LocalRule[];
  /** @default EVENT_BUS_NAME */
  busName?: string;
  /** Append every archived envelope here (JSON lines). @default archive in memory only */
  archivePath?: string;
  /** Which events the archive keeps. @default every event */
  archivePattern?: unknown;
  /** Append every dead letter here (JSON lines). @default in memory only */
  deadLetterPath?: string;
  /** Function settings (timeouts and memory for the Lambda context). */
  functions?: readonly FunctionEntry[];
  /** Asynchronous-invocation settings by function logical id. */
  asyncInvokeConfigs?: Readonly<Record<string, AsyncInvokeConfig>>;
  /** Overrides for every target: retries of function errors and of delivery failures. */
  retries?: { functionErrors?: number; deliveryFailures?: number };
  /** Told about every dead letter as it is written (local mode logs them). */
  onDeadLetter?: (letter: DeadLetter) => void;
}

export interface LocalEventBusTemplateOptions
  extends ResolveOptions,
    Omit<LocalEventBusOptions, 'rules' | 'busName' | 'archivePattern' | 'functions' | 'asyncInvokeConfigs'> {
  /** The logical id of the `AWS::Events::EventBus`. @default the template's only bus */
  bus?: string;
}

/** Rules local mode cannot run as synthesized (each problem names the resource and why). */
export class UnsupportedRuleError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(`${message}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'UnsupportedRuleError';
  }
}

/** PutEvents' limit on one entry. */
export const MAX_ENTRY_BYTES = 256 * 1024;
const FUNCTION_ERROR_DELAYS_MS = [60_000, 120_000];
const DEFAULT_ASYNC_MAX_AGE_S = 6 * 3600;
const DEFAULT_DELIVERY_RETRIES = 185;
const DEFAULT_DELIVERY_MAX_AGE_S = 24 * 3600;
const DELIVERY_BACKOFF_BASE_MS = 1000;
const DELIVERY_BACKOFF_MAX_MS = 5 * 60_000;

interface CompiledRule {
  rule: LocalRule;
  matches: EventMatcher;
}

export class LocalEventBus implements EventPublisher {
  readonly busName: string;
  /** Rules of the template on other buses, and why they are not run here. */
  readonly ignoredRules: { logicalId: string; reason: string }[] = [];
  /** Every successful invocation, in order. */
  readonly deliveries: DeliveryRecord[] = [];
  /** Every failed attempt (retried or not). */
  readonly failedAttempts: FailedAttempt[] = [];
  /** What was given up after the retries. */
  readonly deadLetters: DeadLetter[] = [];
  /** Every archived envelope (also appended to `archivePath`). */
  readonly archived: EventEnvelope[] = [];

  private readonly clock: VirtualClock;
  private readonly rules: CompiledRule[];
  private readonly archiveMatches: EventMatcher;
  private readonly functions = new Map<string, FunctionEntry>();
  private readonly options: LocalEventBusOptions;
  private inFlightCount = 0;
  /** Keeps file appends in order. */
  private writes: Promise<unknown> = Promise.resolve();
  private readonly createdDirs = new Set<string>();

  constructor(options: LocalEventBusOptions) {
    this.options = options;
    this.clock = options.clock;
    this.busName = options.busName ?? EVENT_BUS_NAME;
    for (const fn of options.functions ?? []) this.functions.set(fn.logicalId, fn);
    const problems: string[] = [];
    this.rules = [];
    for (const rule of options.rules) {
      for (const problem of validatePattern(rule.eventPattern)) {
        problems.push(`rule ${rule.name}: EventPattern ${problem}`);
      }
      for (const target of rule.targets) {
        const where = `rule ${rule.name}, target ${target.id}`;
        if (!options.handlers[target.functionLogicalId]) {
          problems.push(
            `${where}: no handler for function ${target.functionLogicalId} (does it have pulsecast:entry metadata?)`,
          );
        }
        if (target.input?.kind === 'path' && parseReferencePath(target.input.path)?.root !== '$') {
          problems.push(
            `${where}: InputPath ${target.input.path} is not a path into the event ($.detail, $.detail.x)`,
          );
        }
      }
      if (problems.length === 0) this.rules.push({ rule, matches: compilePattern(rule.eventPattern) });
    }
    const archiveProblems =
      options.archivePattern === undefined ? [] : validatePattern(options.archivePattern);
    for (const problem of archiveProblems) problems.push(`archive: EventPattern ${problem}`);
    if (problems.length > 0) {
      throw new UnsupportedRuleError(`the ${this.busName} bus cannot run locally`, problems);
    }
    this.archiveMatches =
      options.archivePattern === undefined
        ? () => true
        : compilePattern(options.archivePattern, 'archive pattern');
  }

  /**
   * A bus that runs the synthesized rules of one `AWS::Events::EventBus` of a template. Refuses
   * (with {@link UnsupportedRuleError} listing every problem) a rule whose pattern local mode
   * cannot match exactly, a target that is not a function of the template with a handler, and an
   * `InputTransformer`. Rules on other buses are listed in {@link ignoredRules}.
   */
  static fromTemplate(template: unknown, options: LocalEventBusTemplateOptions): LocalEventBus {
    const parsed = parseTemplate(template);
    const resources = parsed.Resources;
    const problems: string[] = [];
    const buses = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::EventBus');
    const busId = options.bus ?? (buses.length === 1 ? buses[0]![0] : undefined);
    if (!busId || resources[busId]?.Type !== 'AWS::Events::EventBus') {
      throw new UnsupportedRuleError('no event bus to run', [
        options.bus
          ? `${options.bus} is not an AWS::Events::EventBus of the template`
          : `pass options.bus: the template has ${buses.length} buses (${buses.map(([id]) => id).join(', ') || 'none'})`,
      ]);
    }
    const busProperties = resources[busId]!.Properties ?? {};
    const busName =
      options.names?.[busId] ?? (typeof busProperties.Name === 'string' ? busProperties.Name : busId);
    const onThisBus = (value: unknown): boolean => {
      const ref = referencedId(value);
      if (ref) return ref.logicalId === busId;
      return value === busName || value === busId || value === busProperties.Name;
    };

    const ignoredRules: { logicalId: string; reason: string }[] = [];
    const rules: LocalRule[] = [];
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Events::Rule') continue;
      const properties = resource.Properties ?? {};
      const at = `Resources.${logicalId}.Properties`;
      if (properties.ScheduleExpression !== undefined) {
        ignoredRules.push({
          logicalId,
          reason: 'a scheduled rule (local mode runs AWS::Scheduler::Schedule resources, see schedules.ts)',
        });
        continue;
      }
      if (properties.EventBusName === undefined || !onThisBus(properties.EventBusName)) {
        ignoredRules.push({
          logicalId,
          reason: `on another bus (${JSON.stringify(properties.EventBusName ?? 'default')})`,
        });
        continue;
      }
      let eventPattern: unknown = properties.EventPattern;
      if (typeof eventPattern === 'string') {
        try {
          eventPattern = JSON.parse(eventPattern);
        } catch {
          problems.push(`${at}.EventPattern: is not JSON`);
          continue;
        }
      }
      if (containsIntrinsic(eventPattern)) {
        problems.push(
          `${at}.EventPattern: contains CloudFormation intrinsics, which are not resolved locally`,
        );
        continue;
      }
      const targets: LocalRuleTarget[] = [];
      const rawTargets = Array.isArray(properties.Targets) ? properties.Targets : [];
      rawTargets.forEach((raw: unknown, i: number) => {
        const target = ruleTarget(raw, `${at}.Targets[${i}]`, resources, problems);
        if (target) targets.push(target);
      });
      rules.push({ name: logicalId, eventPattern, enabled: properties.State !== 'DISABLED', targets });
    }

    let archivePattern: unknown;
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Events::Archive' || !onThisBus(resource.Properties?.SourceArn)) continue;
      // An archive without a pattern keeps every event of the bus.
      archivePattern = resource.Properties?.EventPattern ?? archivePattern;
      if (typeof archivePattern === 'string') archivePattern = JSON.parse(archivePattern) as unknown;
      if (containsIntrinsic(archivePattern)) {
        problems.push(`Resources.${logicalId}.Properties.EventPattern: contains intrinsics`);
      }
    }

    const asyncInvokeConfigs: Record<string, AsyncInvokeConfig> = {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      const properties = resource.Properties ?? {};
      if (resource.Type === 'AWS::Lambda::Function' && isJsonObject(properties.DeadLetterConfig)) {
        const dlq = describeArn(properties.DeadLetterConfig.TargetArn);
        if (dlq) asyncInvokeConfigs[logicalId] = { ...asyncInvokeConfigs[logicalId], onFailure: dlq };
      }
      if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
      const fn = referencedId(properties.FunctionName)?.logicalId;
      if (!fn) continue;
      const destination = isJsonObject(properties.DestinationConfig)
        ? isJsonObject(properties.DestinationConfig.OnFailure)
          ? describeArn(properties.DestinationConfig.OnFailure.Destination)
          : undefined
        : undefined;
      asyncInvokeConfigs[fn] = {
        ...asyncInvokeConfigs[fn],
        ...(typeof properties.MaximumRetryAttempts === 'number'
          ? { maximumRetryAttempts: properties.MaximumRetryAttempts }
          : {}),
        ...(typeof properties.MaximumEventAgeInSeconds === 'number'
          ? { maximumEventAgeSeconds: properties.MaximumEventAgeInSeconds }
          : {}),
        ...(destination ? { onFailure: destination } : {}),
      };
    }

    for (const rule of rules) {
      for (const problem of validatePattern(rule.eventPattern)) {
        problems.push(`Resources.${rule.name}.Properties.EventPattern: ${problem}`);
      }
      for (const target of rule.targets) {
        if (!options.handlers[target.functionLogicalId]) {
          problems.push(
            `Resources.${rule.name}.Properties.Targets (${target.id}): no handler for function ${target.functionLogicalId} (does it have pulsecast:entry metadata?)`,
          );
        }
      }
    }
    if (problems.length > 0) {
      throw new UnsupportedRuleError(`the rules of bus ${busId} cannot run locally`, problems);
    }
    const bus = new LocalEventBus({
      clock: options.clock,
      handlers: options.handlers,
      rules,
      busName,
      ...(options.archivePath !== undefined ? { archivePath: options.archivePath } : {}),
      ...(archivePattern !== undefined ? { archivePattern } : {}),
      ...(options.deadLetterPath !== undefined ? { deadLetterPath: options.deadLetterPath } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.onDeadLetter !== undefined ? { onDeadLetter: options.onDeadLetter } : {}),
      functions: functionSettings(resources),
      asyncInvokeConfigs,
    });
    bus.ignoredRules.push(...ignoredRules);
    return bus;
  }

  /** The rules this bus runs. */
  get ruleNames(): string[] {
    return this.rules.map(({ rule }) => rule.name);
  }

  /** Deliveries started and not yet finished (including those waiting to be retried). */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * PutEvents: wraps each event in the EventBridge envelope (time from the clock), archives it,
   * and starts an asynchronous delivery to every target of every enabled rule it matches. Resolves
   * once the events are accepted, not delivered.
   */
  async publish(events: readonly PulsecastEvent[]): Promise<void> {
    // Entries fail one by one, as in PutEvents: the others are still accepted, then the failures
    // are reported (as EventBridgePublisher reports entries that keep failing).
    const envelopes: EventEnvelope[] = [];
    const failures: string[] = [];
    for (const event of events) {
      const size = entrySize(event);
      if (size > MAX_ENTRY_BYTES) {
        failures.push(
          `a ${event.type} event is ${size} bytes, over the ${MAX_ENTRY_BYTES}-byte PutEvents entry limit`,
        );
      } else {
        envelopes.push(this.envelope(event));
      }
    }
    await this.archive(envelopes);
    for (const envelope of envelopes) this.route(envelope);
    if (failures.length > 0) throw new EventPublishError(failures.join('; '));
  }

  /**
   * Sends the archived events whose time lies in [from, to) to the rules again (all of them, or
   * the named ones), with `replay-name` set; replayed events are not archived again. Resolves
   * with the number of events replayed once their deliveries have started.
   */
  async replay(
    from: Date | number,
    to: Date | number,
    options: { name?: string; rules?: readonly string[] } = {},
  ): Promise<number> {
    const fromMs = typeof from === 'number' ? from : from.getTime();
    const toMs = typeof to === 'number' ? to : to.getTime();
    const name = options.name ?? `local-replay-${randomUUID()}`;
    await this.writes;
    const archived = this.options.archivePath ? await readArchive(this.options.archivePath) : this.archived;
    const selected = archived.filter((envelope) => {
      const time = Date.parse(envelope.time);
      return time >= fromMs && time < toMs && envelope['replay-name'] === undefined;
    });
    const only = options.rules ? new Set(options.rules) : undefined;
    for (const envelope of selected) this.route({ ...envelope, 'replay-name': name }, only);
    return selected.length;
  }

  private envelope(event: PulsecastEvent): EventEnvelope {
    // What crosses PutEvents is JSON: Dates become strings, undefined disappears.
    const detail = JSON.parse(JSON.stringify(event.detail)) as JsonObject;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': event.type,
      source: EVENT_SOURCE,
      account: LOCAL_ACCOUNT,
      time: this.clock
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [],
      detail,
    };
  }

  private async archive(envelopes: readonly EventEnvelope[]): Promise<void> {
    const kept = envelopes.filter((envelope) => this.archiveMatches(envelope));
    if (kept.length === 0) return;
    this.archived.push(...kept);
    if (this.options.archivePath) await this.append(this.options.archivePath, kept);
  }

  private route(envelope: EventEnvelope, only?: ReadonlySet<string>): void {
    for (const { rule, matches } of this.rules) {
      if (rule.enabled === false || (only && !only.has(rule.name)) || !matches(envelope)) continue;
      for (const target of rule.targets) {
        this.inFlightCount += 1;
        void this.deliver(rule, target, envelope).finally(() => {
          this.inFlightCount -= 1;
        });
      }
    }
  }

  /**
   * One event to one target, with retries. Each attempt is tracked work of the clock; the waits
   * between attempts are clock sleeps (untracked: tracked work must not wait on the clock).
   */
  private async deliver(rule: LocalRule, target: LocalRuleTarget, envelope: EventEnvelope): Promise<void> {
    const fn = target.functionLogicalId;
    const handler = this.options.handlers[fn]!;
    const asyncConfig = this.options.asyncInvokeConfigs?.[fn] ?? {};
    const functionRetries =
      this.options.retries?.functionErrors ??
      asyncConfig.maximumRetryAttempts ??
      FUNCTION_ERROR_DELAYS_MS.length;
    const functionMaxAgeMs = (asyncConfig.maximumEventAgeSeconds ?? DEFAULT_ASYNC_MAX_AGE_S) * 1000;
    const deliveryRetries =
      this.options.retries?.deliveryFailures ??
      target.retryPolicy?.maximumRetryAttempts ??
      DEFAULT_DELIVERY_RETRIES;
    const deliveryMaxAgeMs =
      (target.retryPolicy?.maximumEventAgeSeconds ?? DEFAULT_DELIVERY_MAX_AGE_S) * 1000;
    const acceptedAt = this.clock.nowMs();
    const base = {
      rule: rule.name,
      target: target.id,
      functionLogicalId: fn,
      eventId: envelope.id,
      detailType: envelope['detail-type'],
      ...(envelope['replay-name'] ? { replayName: envelope['replay-name'] } : {}),
    };

    let input: JsonValue;
    try {
      input = targetInput(target, envelope);
    } catch (error) {
      await this.deadLetter(
        rule,
        target,
        envelope,
        'input',
        errorOf(error),
        0,
        'the input could not be built',
      );
      return;
    }

    let functionErrors = 0;
    let deliveryFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const label = `event ${envelope['detail-type']} → ${rule.name}/${target.id} (attempt ${attempt})`;
      const outcome = await this.clock.track(async () => {
        // The first attempt starts on a later turn of the event loop: EventBridge delivers after
        // PutEvents has returned, so the publisher carries on before any consumer runs. It is
        // tracked from here, so the clock cannot settle in between.
        if (attempt === 1) await new Promise((resolve) => setImmediate(resolve));
        try {
          await handler(structuredClone(input), lambdaContext(fn, this.functions.get(fn)));
          return undefined;
        } catch (error) {
          return error as unknown;
        }
      }, label);
      const at = this.clock.now().toISOString();
      if (outcome === undefined) {
        this.deliveries.push({ ...base, attempt, at });
        return;
      }
      const kind: FailureKind =
        outcome instanceof SimulatedServiceError ? 'delivery-failure' : 'function-error';
      const error = errorOf(outcome);
      this.failedAttempts.push({ ...base, attempt, at, kind, error });

      let delayMs: number;
      let stop: string | undefined;
      if (kind === 'function-error') {
        functionErrors += 1;
        delayMs =
          FUNCTION_ERROR_DELAYS_MS[Math.min(functionErrors - 1, FUNCTION_ERROR_DELAYS_MS.length - 1)]!;
        if (functionErrors > functionRetries) {
          stop = `the function failed ${functionErrors} time(s); ${functionRetries} retries allowed`;
        } else if (this.clock.nowMs() + delayMs - acceptedAt > functionMaxAgeMs) {
          stop = 'the event reached its maximum age';
        }
      } else {
        deliveryFailures += 1;
        delayMs = Math.min(DELIVERY_BACKOFF_BASE_MS * 2 ** (deliveryFailures - 1), DELIVERY_BACKOFF_MAX_MS);
        if (deliveryFailures > deliveryRetries) {
          stop = `delivery failed ${deliveryFailures} time(s); ${deliveryRetries} retries allowed`;
        } else if (this.clock.nowMs() + delayMs - acceptedAt > deliveryMaxAgeMs) {
          stop = 'the event reached its maximum age';
        }
      }
      if (stop) {
        await this.deadLetter(rule, target, envelope, kind, error, attempt, stop);
        return;
      }
      await this.clock.sleep(delayMs);
    }
  }

  private async deadLetter(
    rule: LocalRule,
    target: LocalRuleTarget,
    envelope: EventEnvelope,
    kind: FailureKind,
    error: { name: string; message: string },
    attempts: number,
    reason: string,
  ): Promise<void> {
    const destination =
      kind === 'function-error'
        ? this.options.asyncInvokeConfigs?.[target.functionLogicalId]?.onFailure
        : target.deadLetterQueue;
    const letter: DeadLetter = {
      rule: rule.name,
      target: target.id,
      functionLogicalId: target.functionLogicalId,
      kind,
      reason,
      attempts,
      error,
      failedAt: this.clock.now().toISOString(),
      ...(destination ? { destination } : {}),
      event: envelope,
    };
    this.deadLetters.push(letter);
    this.options.onDeadLetter?.(letter);
    const path = this.options.deadLetterPath;
    if (!path) return;
    try {
      await this.clock.track(this.append(path, [letter]), `dead letter of ${envelope.id}`);
    } catch (error) {
      // The letter is still in `deadLetters`; say loudly that the file does not have it.
      process.emitWarning(
        `the dead letter of event ${envelope.id} could not be written to ${path}: ${(error as Error).message}`,
      );
    }
  }

  private append(path: string, records: readonly unknown[]): Promise<void> {
    const text = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    const write = this.writes.then(async () => {
      const dir = dirname(path);
      if (!this.createdDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.createdDirs.add(dir);
      }
      await appendFile(path, text, 'utf8');
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}

/** PutEvents' entry size: Time (14 bytes), Source, DetailType, Detail and Resources, in UTF-8. */
function entrySize(event: PulsecastEvent): number {
  return (
    14 +
    Buffer.byteLength(EVENT_SOURCE) +
    Buffer.byteLength(event.type) +
    Buffer.byteLength(JSON.stringify(event.detail))
  );
}

/** What the function receives for this target. */
function targetInput(target: LocalRuleTarget, envelope: EventEnvelope): JsonValue {
  const input = target.input ?? { kind: 'event' };
  if (input.kind === 'constant') return input.value;
  const event = envelope as unknown as JsonValue;
  if (input.kind === 'event') return event;
  const value = evaluateReferencePath(input.path, event, null);
  if (value === undefined) throw new Error(`InputPath ${input.path} selects nothing in the event`);
  return value;
}

function errorOf(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

async function readArchive(path: string): Promise<EventEnvelope[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const envelopes: EventEnvelope[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const envelope = parseArchived(line);
    if (envelope) envelopes.push(envelope);
    else torn++;
  }
  if (torn > 0)
    process.emitWarning(
      `${path}: skipped ${torn} archived event(s) cut short by a crash while they were being appended`,
    );
  return envelopes;
}

/**
 * One archive line. A crash in the middle of an append leaves the start of a line without its
 * newline, and the next run's first append continues that line: the envelope after the torn
 * part is still whole, and is found by where an envelope starts.
 */
function parseArchived(line: string): EventEnvelope | undefined {
  const start = '{"version":"0"';
  for (let at = 0; at !== -1; at = line.indexOf(start, at + 1)) {
    try {
      return JSON.parse(line.slice(at)) as EventEnvelope;
    } catch {
      // torn here: try where the next envelope starts
    }
  }
  return undefined;
}

/** One rule target of the template, or undefined (with the problem recorded). */
function ruleTarget(
  raw: unknown,
  at: string,
  resources: Record<string, { Type: string }>,
  problems: string[],
): LocalRuleTarget | undefined {
  if (!isJsonObject(raw) || typeof raw.Id !== 'string') {
    problems.push(`${at}: a target needs an Id and an Arn`);
    return undefined;
  }
  const ref = referencedId(raw.Arn);
  const type = ref ? resources[ref.logicalId]?.Type : undefined;
  if (!ref || type !== 'AWS::Lambda::Function' || ref.attribute !== 'Arn') {
    problems.push(
      `${at} (${raw.Id}): only Lambda function targets (Fn::GetAtt [function, Arn]) run locally, got ${
        type ? `a ${type}` : JSON.stringify(raw.Arn)
      }`,
    );
    return undefined;
  }
  if (raw.InputTransformer !== undefined) {
    problems.push(
      `${at} (${raw.Id}): InputTransformer is not supported locally (use the event or InputPath)`,
    );
    return undefined;
  }
  if (raw.Input !== undefined && raw.InputPath !== undefined) {
    problems.push(`${at} (${raw.Id}): Input and InputPath are mutually exclusive`);
    return undefined;
  }
  let input: TargetInput = { kind: 'event' };
  if (raw.Input !== undefined) {
    try {
      if (typeof raw.Input !== 'string') throw new Error('not a string');
      input = { kind: 'constant', value: JSON.parse(raw.Input) as JsonValue };
    } catch {
      problems.push(`${at} (${raw.Id}): Input must be a JSON string`);
      return undefined;
    }
  } else if (raw.InputPath !== undefined) {
    if (typeof raw.InputPath !== 'string' || parseReferencePath(raw.InputPath)?.root !== '$') {
      problems.push(
        `${at} (${raw.Id}): InputPath ${JSON.stringify(raw.InputPath)} is not a path such as $.detail`,
      );
      return undefined;
    }
    input = { kind: 'path', path: raw.InputPath };
  }
  const deadLetter = isJsonObject(raw.DeadLetterConfig) ? describeArn(raw.DeadLetterConfig.Arn) : undefined;
  return {
    id: raw.Id,
    functionLogicalId: ref.logicalId,
    input,
    ...retryPolicyOf(raw.RetryPolicy),
    ...(deadLetter ? { deadLetterQueue: deadLetter } : {}),
  };
}

/**
 * What the Lambda context of each function needs (timeout, memory). Read directly, without
 * resolving the environment: the bus needs no more, and loadHandlers resolves the rest.
 */
function functionSettings(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): FunctionEntry[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => ({
      logicalId,
      arn: lambdaArn(logicalId),
      environment: {},
      timeoutSeconds: typeof resource.Properties?.Timeout === 'number' ? resource.Properties.Timeout : 3,
      memorySize: typeof resource.Properties?.MemorySize === 'number' ? resource.Properties.MemorySize : 128,
    }));
}

/** `{ Ref: X }` or `{ "Fn::GetAtt": [X, attribute] }` (or `"X.attribute"`). */
function referencedId(value: unknown): { logicalId: string; attribute?: string } | undefined {
  if (!isJsonObject(value) || Object.keys(value).length !== 1) return undefined;
  if (typeof value.Ref === 'string') return { logicalId: value.Ref };
  const getAtt = value['Fn::GetAtt'];
  const [id, attribute] =
    typeof getAtt === 'string' ? getAtt.split('.', 2) : Array.isArray(getAtt) ? getAtt : [];
  return typeof id === 'string' && typeof attribute === 'string' ? { logicalId: id, attribute } : undefined;
}

/** A queue or destination: its logical id when it is a resource of the template, else the ARN. */
function describeArn(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return referencedId(value)?.logicalId;
}

function containsIntrinsic(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsIntrinsic);
  if (!isJsonObject(value)) return false;
  return Object.entries(value).some(
    ([key, inner]) => key === 'Ref' || key.startsWith('Fn::') || containsIntrinsic(inner),
  );
}
