import { randomUUID } from 'node:crypto';
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
  type ResolveOptions,
} from '../cloudformation/template.ts';
import { type JsonObject, type JsonValue, parseReferencePath } from '../json.ts';
import { type LocalHandler, lambdaContext, SimulatedServiceError } from '../lambda.ts';
import { type EventEnvelope, JsonLinesWriter, readArchive } from './archive.ts';
import { compilePattern, type EventMatcher, validatePattern } from './pattern.ts';
import {
  type AsyncInvokeConfig,
  type LocalRule,
  type LocalRuleTarget,
  readBusFromTemplate,
  targetInput,
  UnsupportedRuleError,
} from './rules.ts';

export type { EventEnvelope } from './archive.ts';
export {
  type AsyncInvokeConfig,
  type LocalRule,
  type LocalRuleTarget,
  type TargetInput,
  UnsupportedRuleError,
} from './rules.ts';

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
  private readonly files = new JsonLinesWriter();

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
    const { rules, busName, busId, archivePattern, asyncInvokeConfigs, functions, ignoredRules, problems } =
      readBusFromTemplate(template, options);
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
      functions,
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
    await this.files.idle();
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
    if (this.options.archivePath) await this.files.append(this.options.archivePath, kept);
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
      await this.clock.track(this.files.append(path, [letter]), `dead letter of ${envelope.id}`);
    } catch (error) {
      // The letter is still in `deadLetters`; say loudly that the file does not have it.
      process.emitWarning(
        `the dead letter of event ${envelope.id} could not be written to ${path}: ${(error as Error).message}`,
      );
    }
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

function errorOf(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}
