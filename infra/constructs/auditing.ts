import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PulsecastFunction } from './pulsecast-function.ts';
import { type ChannelWorkflowProps, loggedStateMachine, ScheduledWorkflow } from './scheduled-workflow.ts';
import { failWhenAnyFailed, idempotentStep } from './workflow-steps.ts';

/** Props of {@link PulsecastAuditing}. */
export interface PulsecastAuditingProps extends ChannelWorkflowProps {
  /** The function behind `POST /v1/channels/{id}/audit`: it may start the Auditor, nothing else. */
  readonly auditApiFunction: PulsecastFunction;
  /**
   * When the daily audience snapshot runs (UTC).
   * @default 05:00 UTC every day
   */
  readonly audienceSchedule?: scheduler.ScheduleExpression;
}

/**
 * Audit and audience (docs/architecture.md#audit-and-audience):
 *
 * - the Auditor, a Standard state machine the audit API starts (one execution per audit, named
 *   after it): ImportPage → (wait asked? Wait → ImportPage) → (more? ImportPage) → Finish. Standard,
 *   not Express: an import pages through up to thousands of posts and waits out the platform's
 *   rate limits (up to 15 minutes a wait), which can outlast Express's 5 minutes; its executions
 *   are kept for 90 days, which is the record of what an import did; an execution name is
 *   unique, so a repeated start of the same audit starts nothing. A transition costs $0.025 per
 *   thousand: an audit of 3,200 X posts (32 pages) is about a hundred.
 * - the Audience workflow, scheduled daily: every channel's follower count.
 */
export class PulsecastAuditing extends Construct {
  public readonly auditor: sfn.StateMachine;
  public readonly audience: sfn.StateMachine;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly functions: Record<'importPage' | 'finish' | 'audience', PulsecastFunction>;

  constructor(scope: Construct, id: string, props: PulsecastAuditingProps) {
    super(scope, id);
    const secretPrefix = props.secretPrefix ?? 'pulsecast/';
    const { logRemovalPolicy } = props;
    const fn = (name: string, entry: string, description: string, timeout: Duration) =>
      new PulsecastFunction(this, name, { entry, description, timeout, logRemovalPolicy })
        .bindTable(props.data, 'readWrite')
        .bindChannelSecrets(secretPrefix, 'readWrite');
    this.functions = {
      importPage: fn(
        'ImportPageFunction',
        'functions/auditing/import-page.ts',
        'Auditor: read one page of a channel’s own posts and store the new ones',
        Duration.minutes(2),
      ),
      finish: fn(
        'FinishAuditFunction',
        'functions/auditing/finish.ts',
        'Auditor: record the audit’s outcome and today’s follower count',
        Duration.minutes(1),
      ),
      audience: fn(
        'AudienceFunction',
        'functions/auditing/audience.ts',
        'Audience: every channel’s follower count, once a day',
        Duration.minutes(5),
      ),
    };

    this.auditor = this.buildAuditor(logRemovalPolicy);
    props.auditApiFunction.bindStateMachineStart('AUDITOR_STATE_MACHINE_ARN', this.auditor);

    const snapshot = idempotentStep(this, 'SnapshotAudience', this.functions.audience, {
      payload: sfn.TaskInput.fromObject({}),
      payloadResponseOnly: true,
    });
    const workflow = new ScheduledWorkflow(this, 'Default', {
      name: 'Audience',
      definition: snapshot.next(
        failWhenAnyFailed(
          this,
          '$.anyFailed',
          { choice: 'AllChannelsRead', fail: 'SomeChannelsNotRead', succeed: 'AudienceRead' },
          {
            error: 'ChannelsNotRead',
            cause: 'one or more channels’ followers could not be read; see the function’s log',
          },
        ),
      ),
      stateMachineType: sfn.StateMachineType.EXPRESS,
      timeout: Duration.minutes(5),
      functions: [this.functions.audience],
      schedule: {
        id: 'Daily',
        description: 'Starts the daily follower-count snapshot',
        expression: props.audienceSchedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '5' }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      },
      logRemovalPolicy,
    });
    this.audience = workflow.stateMachine;
    this.deadLetterQueue = workflow.deadLetterQueue;
  }

  private buildAuditor(logRemovalPolicy: RemovalPolicy | undefined): sfn.StateMachine {
    const importPage = idempotentStep(this, 'ImportPage', this.functions.importPage, {
      payloadResponseOnly: true,
    });
    const finish = (id: string, outcome: 'SUCCEEDED' | 'FAILED') =>
      idempotentStep(this, id, this.functions.finish, {
        payload: sfn.TaskInput.fromObject({
          'state.$': '$',
          outcome,
          ...(outcome === 'FAILED' ? { 'error.$': '$.error.Cause' } : {}),
        }),
        payloadResponseOnly: true,
      });
    const finished = finish('Finish', 'SUCCEEDED');
    const failed = finish('RecordFailure', 'FAILED');
    importPage.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
    failed.next(
      new sfn.Fail(this, 'AuditFailed', {
        error: 'AuditFailed',
        cause: 'the import stopped; the audit records why',
      }),
    );
    const wait = new sfn.Wait(this, 'WaitAsAsked', { time: sfn.WaitTime.secondsPath('$.waitSeconds') });
    wait.next(importPage);
    const definition = importPage.next(
      new sfn.Choice(this, 'WhatNext')
        .when(sfn.Condition.isPresent('$.waitSeconds'), wait)
        .when(sfn.Condition.booleanEquals('$.done', true), finished.next(new sfn.Succeed(this, 'Audited')))
        .otherwise(importPage),
    );

    return loggedStateMachine(this, {
      name: 'Auditor',
      definition,
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(6),
      functions: [this.functions.importPage, this.functions.finish],
      logRemovalPolicy,
    }).stateMachine;
  }
}
