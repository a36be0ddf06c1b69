import {
  type FunctionEntry,
  lambdaArn,
  parseTemplate,
  type ResolveOptions,
} from '../cloudformation/template.ts';
import { evaluateReferencePath, isJsonObject, type JsonValue, parseReferencePath } from '../json.ts';
import type { EventEnvelope } from './archive.ts';
import { type RetryPolicy, retryPolicyOf } from './retry-policy.ts';

// How the synthesized template's EventBridge rules, archive and asynchronous-invocation settings
// become the local bus's rules (bus.ts runs them). Everything local mode cannot run exactly is a
// problem listed by resource, never silently skipped.

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
/** What a bus of the template is made of, read from its resources. */
export interface TemplateBus {
  busId: string;
  busName: string;
  rules: LocalRule[];
  archivePattern: unknown;
  asyncInvokeConfigs: Record<string, AsyncInvokeConfig>;
  functions: FunctionEntry[];
  /** Rules of the template this bus does not run, with why. */
  ignoredRules: { logicalId: string; reason: string }[];
  /** What the template asks for that local mode cannot run. */
  problems: string[];
}

/** Reads one `AWS::Events::EventBus` of a template: its rules, its archive, its functions' settings. */
export function readBusFromTemplate(
  template: unknown,
  options: ResolveOptions & { bus?: string },
): TemplateBus {
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
      problems.push(`${at}.EventPattern: contains CloudFormation intrinsics, which are not resolved locally`);
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

  return {
    busId,
    busName,
    rules,
    archivePattern,
    asyncInvokeConfigs,
    functions: functionSettings(resources),
    ignoredRules,
    problems,
  };
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

/** What the function receives for this target. */
export function targetInput(target: LocalRuleTarget, envelope: EventEnvelope): JsonValue {
  const input = target.input ?? { kind: 'event' };
  if (input.kind === 'constant') return input.value;
  const event = envelope as unknown as JsonValue;
  if (input.kind === 'event') return event;
  const value = evaluateReferencePath(input.path, event, null);
  if (value === undefined) throw new Error(`InputPath ${input.path} selects nothing in the event`);
  return value;
}
