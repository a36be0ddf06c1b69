import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { parseScheduleExpression, ScheduleExpressionError } from '../../local/events/schedule-expressions.ts';
import { type LocalSchedule, schedulesFrom, startSchedules } from '../../local/events/schedules.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

/** The next `count` occurrences after `fromIso`. */
function occurrences(
  expression: string,
  timezone: string,
  fromIso: string,
  count: number,
): (string | undefined)[] {
  const parsed = parseScheduleExpression(expression, timezone);
  const result: (string | undefined)[] = [];
  let cursor: number | undefined = at(fromIso);
  for (let i = 0; i < count && cursor !== undefined; i++) {
    cursor = parsed.nextAfter(cursor);
    result.push(iso(cursor));
  }
  return result;
}

describe('parseScheduleExpression: rate', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(1 day)', 86_400_000],
  ])('reads %s as every %i ms', (expression, intervalMs) => {
    const parsed = parseScheduleExpression(expression);
    expect(parsed).toMatchObject({ kind: 'rate', intervalMs });
  });

  it('counts occurrences from the anchor (StartDate), strictly after the instant', () => {
    // prepare
    const parsed = parseScheduleExpression('rate(5 minutes)', 'UTC', {
      anchorMs: at('2026-01-01T00:02:00Z'),
    });
    // act / assert
    expect(iso(parsed.nextAfter(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:02:00.000Z');
    expect(iso(parsed.nextAfter(at('2026-01-01T00:02:00Z')))).toBe('2026-01-01T00:07:00.000Z');
    expect(iso(parsed.nextAfter(at('2026-01-01T00:09:59Z')))).toBe('2026-01-01T00:12:00.000Z');
  });

  it('keeps a day 24 hours long across a DST change (rate days are durations)', () => {
    const parsed = parseScheduleExpression('rate(1 day)', 'Europe/Berlin', {
      anchorMs: at('2026-03-28T08:00:00Z'),
    });
    expect(iso(parsed.nextAfter(at('2026-03-28T08:00:00Z')))).toBe('2026-03-29T08:00:00.000Z');
  });

  it.each(['rate(0 minutes)', 'rate(5 weeks)', 'rate(1.5 hours)', 'rate(minutes)', 'every(5 minutes)'])(
    'refuses %s',
    (expression) => {
      expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    },
  );
});

describe('parseScheduleExpression: cron across daylight saving time', () => {
  it('fires a daily 09:00 Europe/Berlin schedule at 08:00Z in winter and 07:00Z in summer', () => {
    expect(occurrences('cron(0 9 * * ? *)', 'Europe/Berlin', '2026-01-15T00:00:00Z', 1)).toEqual([
      '2026-01-15T08:00:00.000Z',
    ]);
    expect(occurrences('cron(0 9 * * ? *)', 'Europe/Berlin', '2026-07-15T00:00:00Z', 1)).toEqual([
      '2026-07-15T07:00:00.000Z',
    ]);
  });

  it('moves the Berlin 09:00 occurrence from 08:00Z to 07:00Z on the last Sunday of March', () => {
    expect(occurrences('cron(0 9 * * ? *)', 'Europe/Berlin', '2026-03-27T00:00:00Z', 4)).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('moves it back on the last Sunday of October', () => {
    expect(occurrences('cron(0 9 * * ? *)', 'Europe/Berlin', '2026-10-24T00:00:00Z', 2)).toEqual([
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z',
    ]);
  });

  it('fires a daily 09:00 America/New_York schedule at 14:00Z in winter and 13:00Z in summer', () => {
    expect(occurrences('cron(0 9 * * ? *)', 'America/New_York', '2026-03-06T12:00:00Z', 3)).toEqual([
      '2026-03-06T14:00:00.000Z',
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
    ]);
    expect(occurrences('cron(0 9 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-10-31T13:00:00.000Z',
      '2026-11-01T14:00:00.000Z',
    ]);
  });

  it('skips a wall-clock time the clocks jump over (Berlin 02:30 on 2026-03-29)', () => {
    expect(occurrences('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('skips New York 02:30 on 2026-03-08', () => {
    expect(occurrences('cron(30 2 * * ? *)', 'America/New_York', '2026-03-07T00:00:00Z', 2)).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('runs a wall-clock time that happens twice only once, at the first occurrence (New York 01:30 on 2026-11-01)', () => {
    expect(occurrences('cron(30 1 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 3)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
      '2026-11-03T06:30:00.000Z',
    ]);
  });

  it('does not repeat the wall-clock times of the hour Berlin lives twice', () => {
    // 02:00-02:59 happens at 00:00-00:59Z (CEST) and again at 01:00-01:59Z (CET) on 2026-10-25.
    expect(occurrences('cron(0/30 * * * ? *)', 'Europe/Berlin', '2026-10-24T23:59:00Z', 4)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('treats UTC as having no DST', () => {
    expect(occurrences('cron(0 9 * * ? *)', 'UTC', '2026-03-29T00:00:00Z', 1)).toEqual([
      '2026-03-29T09:00:00.000Z',
    ]);
  });
});

describe('parseScheduleExpression: cron fields', () => {
  it.each([
    // Weekdays at 18:00 UTC, from Friday 2026-01-02: Friday, then Monday.
    [
      'cron(0 18 ? * MON-FRI *)',
      '2026-01-02T00:00:00Z',
      ['2026-01-02T18:00:00.000Z', '2026-01-05T18:00:00.000Z'],
    ],
    // Every 15 minutes from minute 0 ("0/15").
    [
      'cron(0/15 * * * ? *)',
      '2026-01-01T10:07:00Z',
      ['2026-01-01T10:15:00.000Z', '2026-01-01T10:30:00.000Z'],
    ],
    // "1/10" in minutes: the 1st, 11th, 21st … minute (cron expressions reference).
    [
      'cron(1/10 * * * ? *)',
      '2026-01-01T10:00:00Z',
      ['2026-01-01T10:01:00.000Z', '2026-01-01T10:11:00.000Z'],
    ],
    // A list of hours and a range of days.
    [
      'cron(0 8,17 1-2 * ? *)',
      '2026-01-01T09:00:00Z',
      ['2026-01-01T17:00:00.000Z', '2026-01-02T08:00:00.000Z'],
    ],
    // Months by name.
    [
      'cron(0 0 1 JAN,JUL ? *)',
      '2026-02-01T00:00:00Z',
      ['2026-07-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ],
    // The last day of the month ("L" in day-of-month).
    ['cron(0 5 L * ? *)', '2026-02-01T00:00:00Z', ['2026-02-28T05:00:00.000Z', '2026-03-31T05:00:00.000Z']],
    // The weekday nearest the 15th ("15W"): 2026-02-15 is a Sunday, so Monday the 16th.
    ['cron(0 8 15W * ? *)', '2026-02-01T00:00:00Z', ['2026-02-16T08:00:00.000Z', '2026-03-16T08:00:00.000Z']],
    // The third Friday ("6#3").
    [
      'cron(0 10 ? * 6#3 *)',
      '2026-01-01T00:00:00Z',
      ['2026-01-16T10:00:00.000Z', '2026-02-20T10:00:00.000Z'],
    ],
    // The last Friday ("6L").
    ['cron(0 10 ? * 6L *)', '2026-01-01T00:00:00Z', ['2026-01-30T10:00:00.000Z', '2026-02-27T10:00:00.000Z']],
    // The year field ends the schedule.
    ['cron(0 0 1 1 ? 2027)', '2026-06-01T00:00:00Z', ['2027-01-01T00:00:00.000Z', undefined]],
    // February 29 exists only in leap years.
    ['cron(0 0 29 2 ? *)', '2026-01-01T00:00:00Z', ['2028-02-29T00:00:00.000Z']],
  ])('%s after %s', (expression, from, expected) => {
    expect(occurrences(expression, 'UTC', from, expected.length)).toEqual(expected);
  });

  it.each([
    ['cron(0 9 * * * *)', 'one of day-of-month and day-of-week must be ?'],
    ['cron(0 9 ? * ? *)', 'one of day-of-month and day-of-week must be ?'],
    ['cron(0 9 * * ?)', 'six fields'],
    ['cron(60 9 * * ? *)', 'minutes: "60" is outside 0-59'],
    ['cron(0 24 * * ? *)', 'hours: "24" is outside 0-23'],
    ['cron(0 9 ? * 8 *)', 'day-of-week: "8" is outside 1-7'],
    ['cron(0 9 * FOO ? *)', 'month: "FOO"'],
    ['cron(0 9 * * ? 1969)', 'year: "1969" is outside 1970-2199'],
    ['cron(0 9 L-2 * ? *)', 'day-of-month: "L-2" is not supported'],
    ['cron(0 9 ? * 6#6 *)', 'day-of-week: "6#6"'],
    ['cron(0 9 20-10 * ? *)', 'runs backwards'],
  ])('refuses %s', (expression, message) => {
    expect(() => parseScheduleExpression(expression, 'UTC')).toThrow(message);
  });

  it('refuses an unknown time zone', () => {
    expect(() => parseScheduleExpression('cron(0 9 * * ? *)', 'Europe/Atlantis')).toThrow(
      /unknown time zone/,
    );
  });
});

describe('parseScheduleExpression: at', () => {
  it('fires once, at the wall-clock time in the time zone', () => {
    // prepare
    const parsed = parseScheduleExpression('at(2026-03-01T10:00:00)', 'Europe/Berlin');
    // act / assert
    expect(iso(parsed.nextAfter(at('2026-01-01T00:00:00Z')))).toBe('2026-03-01T09:00:00.000Z');
    expect(parsed.nextAfter(at('2026-03-01T09:00:00Z'))).toBeUndefined();
  });

  it('refuses a time the clocks skip, and a time that does not exist at all', () => {
    expect(() => parseScheduleExpression('at(2026-03-29T02:30:00)', 'Europe/Berlin')).toThrow(
      /does not exist/,
    );
    expect(() => parseScheduleExpression('at(2026-02-30T10:00:00)', 'UTC')).toThrow(
      /at\(yyyy-mm-ddThh:mm:ss\)/,
    );
  });
});

function synthSchedules(): { template: Record<string, unknown>; ids: { machine: string; fn: string } } {
  const app = new App();
  const stack = new Stack(app, 'Schedules');
  const machine = new sfn.StateMachine(stack, 'Evaluator', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
  });
  const fn = new lambda.Function(stack, 'Digest', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  new scheduler.Schedule(stack, 'DailyBerlin', {
    schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', timeZone: TimeZone.EUROPE_BERLIN }),
    target: new targets.StepFunctionsStartExecution(machine, {
      input: scheduler.ScheduleTargetInput.fromObject({ period: 'daily' }),
      retryAttempts: 2,
      maxEventAge: Duration.minutes(5),
    }),
  });
  new scheduler.Schedule(stack, 'Weekly', {
    schedule: scheduler.ScheduleExpression.cron({
      minute: '30',
      hour: '8',
      weekDay: 'MON',
      timeZone: TimeZone.AMERICA_NEW_YORK,
    }),
    target: new targets.LambdaInvoke(fn, {
      input: scheduler.ScheduleTargetInput.fromObject({
        period: 'weekly',
        scheduledTime: scheduler.ContextAttribute.scheduledTime,
        attempt: scheduler.ContextAttribute.attemptNumber,
        schedule: scheduler.ContextAttribute.scheduleArn,
      }),
    }),
  });
  new scheduler.Schedule(stack, 'Once', {
    schedule: scheduler.ScheduleExpression.at(new Date('2026-03-01T10:00:00Z')),
    target: new targets.LambdaInvoke(fn, {}),
    enabled: false,
  });
  const id = (construct: { node: { defaultChild?: unknown } }): string =>
    stack.getLogicalId(construct.node.defaultChild as never);
  return { template: Template.fromStack(stack).toJSON(), ids: { machine: id(machine), fn: id(fn) } };
}

describe('schedulesFrom', () => {
  it('reads the synthesized schedules: expression, time zone, state, target and input', () => {
    // prepare
    const { template, ids } = synthSchedules();
    // act
    const schedules = schedulesFrom(template);
    // assert
    expect(schedules).toHaveLength(3);
    expect(schedules.find((s) => s.expression.startsWith('cron'))).toMatchObject({
      expression: 'cron(0 9 * * ? *)',
      timezone: 'Europe/Berlin',
      enabled: true,
      target: { kind: 'stateMachine', logicalId: ids.machine },
      input: { period: 'daily' },
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 300 },
    });
    expect(schedules.find((s) => s.expression.startsWith('at'))).toMatchObject({
      expression: 'at(2026-03-01T10:00:00)',
      enabled: false,
      target: { kind: 'lambda', logicalId: ids.fn },
      input: undefined,
    });
  });

  it('replaces the context attributes of the input at each occurrence', async () => {
    // prepare
    const { template } = synthSchedules();
    const weekly = schedulesFrom(template).find((s) => s.expression.startsWith('cron(30'))!;
    const clock = new VirtualClock({ start: at('2026-03-06T00:00:00Z') });
    const inputs: unknown[] = [];
    startSchedules([weekly], clock, (s) => {
      inputs.push(s.input);
    });
    // act
    await clock.advanceTo(at('2026-03-17T00:00:00Z'));
    // assert
    expect(weekly).toMatchObject({ expression: 'cron(30 8 ? * MON *)', timezone: 'America/New_York' });
    expect(weekly.input).toMatchObject({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(inputs).toEqual([
      {
        period: 'weekly',
        scheduledTime: '2026-03-09T12:30:00Z',
        attempt: '1',
        schedule: expect.stringMatching(/^arn:aws:scheduler:local:000000000000:schedule\/default\/Weekly/),
      },
      expect.objectContaining({ scheduledTime: '2026-03-16T12:30:00Z' }),
    ]);
  });

  it('refuses, listing every problem, what it cannot run', () => {
    // prepare
    const template = {
      Resources: {
        Universal: {
          Type: 'AWS::Scheduler::Schedule',
          Properties: {
            ScheduleExpression: 'rate(1 minute)',
            Target: { Arn: 'arn:aws:scheduler:::aws-sdk:sqs:sendMessage', RoleArn: 'r' },
          },
        },
        Broken: {
          Type: 'AWS::Scheduler::Schedule',
          Properties: {
            ScheduleExpression: 'cron(0 9 * * * *)',
            Target: { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Input: 'not json' },
          },
        },
        Unknown: {
          Type: 'AWS::Scheduler::Schedule',
          Properties: {
            ScheduleExpression: 'rate(1 hour)',
            Target: { Arn: { Ref: 'Machine' }, Input: '{"at":"<aws.scheduler.fire-time>"}' },
          },
        },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
      },
    };
    // act / assert
    expect(() => schedulesFrom(template)).toThrow(
      /Universal\.Properties\.Target\.Arn[\s\S]*Broken\.Properties\.ScheduleExpression[\s\S]*Broken\.Properties\.Target\.Input[\s\S]*<aws\.scheduler\.fire-time> is not a Scheduler context attribute/,
    );
  });
});

function schedule(
  overrides: Partial<LocalSchedule> & Pick<LocalSchedule, 'logicalId' | 'expression'>,
): LocalSchedule {
  return {
    name: overrides.logicalId,
    timezone: 'UTC',
    enabled: true,
    target: { kind: 'stateMachine', logicalId: 'Machine' },
    input: undefined,
    ...overrides,
  };
}

describe('startSchedules', () => {
  it('fires rates and crons in time order on the virtual clock', async () => {
    // prepare
    const clock = new VirtualClock({ start: at('2026-03-28T06:58:30Z') });
    const fired: string[] = [];
    const schedules = [
      schedule({ logicalId: 'Dispatcher', expression: 'rate(1 hour)' }),
      schedule({ logicalId: 'Morning', expression: 'cron(0 9 * * ? *)', timezone: 'Europe/Berlin' }),
    ];
    startSchedules(schedules, clock, (s, instant) => {
      fired.push(`${instant.toISOString()} ${s.logicalId}`);
    });
    // act
    await clock.advanceTo(at('2026-03-29T08:00:00Z'));
    // assert
    expect(fired.filter((line) => line.endsWith('Morning'))).toEqual([
      '2026-03-28T08:00:00.000Z Morning',
      '2026-03-29T07:00:00.000Z Morning',
    ]);
    const dispatches = fired.filter((line) => line.endsWith('Dispatcher'));
    expect(dispatches).toHaveLength(26);
    expect(dispatches[0]).toBe('2026-03-28T06:58:30.000Z Dispatcher');
    expect(dispatches.at(-1)).toBe('2026-03-29T07:58:30.000Z Dispatcher');
    expect(fired).toEqual([...fired].sort());
  });

  it('fires schedules due at the same instant in the order given', async () => {
    // prepare
    const clock = new VirtualClock({ start: at('2026-01-01T08:59:00Z') });
    const fired: string[] = [];
    startSchedules(
      [
        schedule({ logicalId: 'First', expression: 'cron(0 9 * * ? *)' }),
        schedule({ logicalId: 'Second', expression: 'cron(0 9 * * ? *)' }),
        schedule({ logicalId: 'Third', expression: 'at(2026-01-01T09:00:00)' }),
      ],
      clock,
      (s) => {
        fired.push(s.logicalId);
      },
    );
    // act
    const summary = await clock.advanceTo(at('2026-01-01T09:30:00Z'));
    // assert
    expect(fired).toEqual(['First', 'Second', 'Third']);
    expect(summary.schedulesFired).toBe(3);
  });

  it('skips disabled schedules, honours StartDate and EndDate, and stops when cancelled', async () => {
    // prepare
    const clock = new VirtualClock({ start: at('2026-01-01T00:00:00Z') });
    const fired: string[] = [];
    const cancel = startSchedules(
      [
        schedule({ logicalId: 'Disabled', expression: 'rate(1 minute)', enabled: false }),
        schedule({
          logicalId: 'Windowed',
          expression: 'cron(0 * * * ? *)',
          startMs: at('2026-01-01T02:30:00Z'),
          endMs: at('2026-01-01T05:00:00Z'),
        }),
        schedule({ logicalId: 'Rate', expression: 'rate(1 hour)', startMs: at('2026-01-01T00:15:00Z') }),
      ],
      clock,
      (s, instant) => {
        fired.push(`${instant.toISOString().slice(11, 16)} ${s.logicalId}`);
      },
    );
    // act
    await clock.advanceTo(at('2026-01-01T06:30:00Z'));
    cancel();
    await clock.advanceTo(at('2026-01-01T09:00:00Z'));
    // assert
    expect(fired).toEqual([
      '00:15 Rate',
      '01:15 Rate',
      '02:15 Rate',
      '03:00 Windowed',
      '03:15 Rate',
      '04:00 Windowed',
      '04:15 Rate',
      '05:00 Windowed',
      '05:15 Rate',
      '06:15 Rate',
    ]);
    expect(clock.pending).toBe(0);
  });

  it('lets the clock wait for the work a firing starts, and reports its failure', async () => {
    // prepare
    const clock = new VirtualClock({ start: at('2026-01-01T08:59:00Z') });
    let finished = false;
    startSchedules([schedule({ logicalId: 'Slow', expression: 'cron(0 9 * * ? *)' })], clock, async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      finished = true;
      throw new Error('the target failed');
    });
    // act / assert
    await expect(clock.advanceTo(at('2026-01-01T09:00:00Z'))).rejects.toThrow(/schedule callback/);
    expect(finished).toBe(true);
  });
});
