import { randomBytes } from 'node:crypto';
import type { VirtualClock } from '../clock.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  parseTemplate,
  type ResolveOptions,
  TemplateResolutionError,
} from '../cloudformation/template.ts';
import { isJsonObject, type JsonValue } from '../json.ts';
import { type RetryPolicy, retryPolicyOf } from './retry-policy.ts';
import { parseScheduleExpression } from './schedule-expressions.ts';

/**
 * EventBridge Scheduler schedules (`AWS::Scheduler::Schedule`) of the synthesized template, run
 * on the virtual clock: each starts its state machine or function at the occurrences its
 * expression gives (schedule-expressions.ts), with the Scheduler's context attributes in its input.
 */

export interface LocalSchedule {
  logicalId: string;
  /** `Name`, else the logical id. */
  name: string;
  expression: string;
  /** `ScheduleExpressionTimezone`. @default 'UTC' */
  timezone: string;
  /** `State` is ENABLED (the default). */
  enabled: boolean;
  /** What the schedule starts, by logical id (state machines and functions keep their ids locally). */
  target: { kind: 'stateMachine' | 'lambda'; logicalId: string };
  /**
   * `Target.Input` parsed as JSON; undefined when the schedule passes none. Context attributes
   * (`<aws.scheduler.scheduled-time>` …) are still in it: {@link startSchedules} hands `fire` a
   * copy in which they are replaced for that occurrence (see {@link scheduleInput}).
   */
  input: JsonValue | undefined;
  /** `Target.Input` as written (what the context attributes are replaced in). */
  inputText?: string;
  /** `GroupName`. @default 'default' */
  group?: string;
  /** `StartDate` / `EndDate` as epoch ms. */
  startMs?: number;
  endMs?: number;
  /** `FlexibleTimeWindow` (informational: local schedules fire at the exact minute). */
  flexibleWindowMinutes?: number;
  /** `Target.RetryPolicy` (informational: what the Scheduler retries when starting the target fails). */
  retryPolicy?: RetryPolicy;
  /** `Target.DeadLetterConfig.Arn`, by logical id when it refers to a queue of the template. */
  deadLetterQueue?: string;
}

/**
 * Every `AWS::Scheduler::Schedule` of a synthesized template. Refuses (with a
 * {@link TemplateResolutionError} listing every problem) an expression it cannot evaluate, an
 * unknown time zone, a target that is not a state machine or a function of the template, and an
 * `Input` that is not JSON.
 */
export function schedulesFrom(template: unknown, _options: ResolveOptions = {}): LocalSchedule[] {
  const parsed = parseTemplate(template);
  const problems: string[] = [];
  const schedules: LocalSchedule[] = [];
  for (const [logicalId, resource] of Object.entries(parsed.Resources)) {
    if (resource.Type !== 'AWS::Scheduler::Schedule') continue;
    const path = `Resources.${logicalId}.Properties`;
    const properties = resource.Properties ?? {};
    const problem = (message: string): void => {
      problems.push(`${path}${message}`);
    };
    const expression = properties.ScheduleExpression;
    const timezone = properties.ScheduleExpressionTimezone ?? 'UTC';
    if (typeof expression !== 'string' || typeof timezone !== 'string') {
      problem('.ScheduleExpression/ScheduleExpressionTimezone: must be plain strings');
      continue;
    }
    try {
      parseScheduleExpression(expression, timezone);
    } catch (error) {
      problem(`.ScheduleExpression: ${(error as Error).message}`);
    }
    const targetProperties = isJsonObject(properties.Target) ? properties.Target : undefined;
    const target = targetProperties ? scheduleTarget(targetProperties.Arn, parsed.Resources) : undefined;
    if (!target) {
      problem(
        `.Target.Arn: local mode runs schedules that start a state machine (Ref) or invoke a function (Fn::GetAtt Arn) of the template, got ${JSON.stringify(targetProperties?.Arn)}`,
      );
      continue;
    }
    let input: JsonValue | undefined;
    const rawInput = targetProperties?.Input;
    if (typeof rawInput === 'string') {
      try {
        input = JSON.parse(rawInput) as JsonValue;
      } catch {
        problem('.Target.Input: is not JSON');
      }
      for (const [keyword, name] of rawInput.matchAll(/<aws\.scheduler\.([^>]*)>/g)) {
        if (!CONTEXT_ATTRIBUTES.has(name ?? '')) {
          problem(
            `.Target.Input: ${keyword} is not a Scheduler context attribute (${[...CONTEXT_ATTRIBUTES].join(', ')})`,
          );
        }
      }
    } else if (rawInput !== undefined) {
      problem('.Target.Input: must be a JSON string (intrinsics in Input are not resolved locally)');
    }
    const date = (field: 'StartDate' | 'EndDate'): number | undefined => {
      const value = properties[field];
      if (value === undefined) return undefined;
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(ms)) problem(`.${field}: is not a date`);
      return ms;
    };
    const startMs = date('StartDate');
    const endMs = date('EndDate');
    const window = isJsonObject(properties.FlexibleTimeWindow) ? properties.FlexibleTimeWindow : undefined;
    const deadLetter = isJsonObject(targetProperties?.DeadLetterConfig)
      ? referencedId(targetProperties.DeadLetterConfig.Arn)
      : undefined;
    const name = properties.Name;
    const group = properties.GroupName;
    schedules.push({
      logicalId,
      name: typeof name === 'string' ? name : logicalId,
      expression,
      timezone,
      enabled: (properties.State ?? 'ENABLED') === 'ENABLED',
      target,
      input,
      ...(typeof rawInput === 'string' ? { inputText: rawInput } : {}),
      ...(typeof group === 'string' ? { group } : {}),
      ...(startMs !== undefined ? { startMs } : {}),
      ...(endMs !== undefined ? { endMs } : {}),
      ...(window?.Mode === 'FLEXIBLE' && typeof window.MaximumWindowInMinutes === 'number'
        ? { flexibleWindowMinutes: window.MaximumWindowInMinutes }
        : {}),
      ...retryPolicyOf(targetProperties?.RetryPolicy),
      ...(deadLetter ? { deadLetterQueue: deadLetter.logicalId } : {}),
    });
  }
  if (problems.length > 0) {
    throw new TemplateResolutionError(`schedules local mode cannot run:\n  - ${problems.join('\n  - ')}`);
  }
  return schedules;
}

/** https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html */
const CONTEXT_ATTRIBUTES = new Set(['schedule-arn', 'scheduled-time', 'execution-id', 'attempt-number']);

/**
 * The input of one occurrence, with the Scheduler's context attributes replaced in the input text,
 * as the Scheduler does when it invokes the target: the schedule's ARN, the scheduled time
 * (`2022-03-22T18:59:43Z`), an execution id and the attempt number.
 */
export function scheduleInput(schedule: LocalSchedule, instant: Date, attempt = 1): JsonValue | undefined {
  if (schedule.inputText === undefined || !schedule.inputText.includes('<aws.scheduler.')) {
    return schedule.input;
  }
  const values: Record<string, string> = {
    'schedule-arn': `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/${schedule.group ?? 'default'}/${schedule.name}`,
    'scheduled-time': instant.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'execution-id': randomBytes(8).toString('hex'),
    'attempt-number': String(attempt),
  };
  // Replaced in the text, so a keyword inside a JSON string keeps the string valid.
  const text = schedule.inputText.replace(
    /<aws\.scheduler\.([^>]*)>/g,
    (keyword, name: string) => values[name] ?? keyword,
  );
  return JSON.parse(text) as JsonValue;
}

/** `{ Ref: X }` or `{ "Fn::GetAtt": [X, attribute] }` (or `"X.attribute"`). */
function referencedId(value: unknown): { logicalId: string; attribute?: string } | undefined {
  if (!isJsonObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  if (typeof value.Ref === 'string') return { logicalId: value.Ref };
  const getAtt = value['Fn::GetAtt'];
  const [id, attribute] =
    typeof getAtt === 'string' ? getAtt.split('.', 2) : Array.isArray(getAtt) ? getAtt : [];
  return typeof id === 'string' && typeof attribute === 'string' ? { logicalId: id, attribute } : undefined;
}

function scheduleTarget(
  arn: unknown,
  resources: Record<string, { Type: string }>,
): LocalSchedule['target'] | undefined {
  const ref = referencedId(arn);
  const type = ref ? resources[ref.logicalId]?.Type : undefined;
  if (!ref || !type) return undefined;
  const isArn = ref.attribute === undefined || ref.attribute === 'Arn';
  // Ref of a state machine is its ARN; Ref of a function is its name, so only GetAtt Arn counts.
  if (type === 'AWS::StepFunctions::StateMachine' && isArn) {
    return { kind: 'stateMachine', logicalId: ref.logicalId };
  }
  if (type === 'AWS::Lambda::Function' && ref.attribute === 'Arn') {
    return { kind: 'lambda', logicalId: ref.logicalId };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// running them

/**
 * Registers every enabled schedule on the clock and calls `fire(schedule, instant)` at each
 * occurrence, with `schedule.input` as the target receives it that time (context attributes
 * replaced, see {@link scheduleInput}); a promise it returns is tracked by the clock, so it must not wait on the clock; a
 * throw or rejection fails the clock's advance, as any schedule callback does). A rate counts from
 * its StartDate, else from now; a cron or at fires at its next occurrence at or after now (and
 * after StartDate), until EndDate. Occurrences due at the same instant fire in the order of
 * `schedules`. Returns a function that cancels them all.
 */
export function startSchedules(
  schedules: readonly LocalSchedule[],
  clock: VirtualClock,
  fire: (schedule: LocalSchedule, instant: Date) => unknown,
): () => void {
  const cancels: Array<() => void> = [];
  for (const schedule of schedules) {
    if (!schedule.enabled) continue;
    const now = clock.nowMs();
    const expression = parseScheduleExpression(schedule.expression, schedule.timezone, {
      anchorMs: schedule.startMs ?? now,
    });
    const ended = (instantMs: number): boolean => schedule.endMs !== undefined && instantMs > schedule.endMs;
    if (expression.kind === 'rate') {
      let stop = (): void => {};
      stop = clock.every(expression.intervalMs, schedule.startMs ?? now, (instant) => {
        if (ended(instant.getTime())) {
          stop();
          return undefined;
        }
        return fire({ ...schedule, input: scheduleInput(schedule, instant) }, instant);
      });
      cancels.push(() => stop());
      continue;
    }
    // A cron (or at) re-arms itself: each occurrence registers the next one. Each is a one-shot
    // `every` (its interval never elapses before it is cancelled), so it fires, and fails an
    // advance, like any clock schedule.
    let current = (): void => {};
    let cancelled = false;
    const arm = (afterMs: number): void => {
      const due = expression.nextAfter(afterMs);
      if (cancelled || due === undefined || ended(due)) return;
      const cancelThis = clock.every(Number.MAX_SAFE_INTEGER / 4, due, (instant) => {
        cancelThis();
        arm(instant.getTime());
        return fire({ ...schedule, input: scheduleInput(schedule, instant) }, instant);
      });
      current = cancelThis;
    };
    arm(Math.max(now, schedule.startMs ?? now) - 1);
    cancels.push(() => {
      cancelled = true;
      current();
    });
  }
  return () => {
    for (const cancel of cancels) cancel();
  };
}
