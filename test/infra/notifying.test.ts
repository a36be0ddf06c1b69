import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  busAccess,
  type Permissions,
  permissionsOf,
  queueAccess,
  synthPulsecast,
  tableUser,
} from './helpers.ts';

const CONTEXT = {
  alertEmails: 'ops@example.com,cmo@example.com',
  senderAddress: 'Pulsecast <notify@example.com>',
  senderIdentity: 'example.com',
  slackWebhookSecret: 'pulsecast-slack-webhooks',
  digestTimezone: 'Europe/Berlin',
};
const synth = synthPulsecast({ context: CONTEXT });
const { stack, template } = synth;
const notifying = stack.notifying;
const dlqArn = { 'Fn::GetAtt': [synth.logicalId(notifying.deadLetterQueue), 'Arn'] };
const notifierArn = { 'Fn::GetAtt': [synth.logicalId(notifying.notifier.function), 'Arn'] };

const BASE_RW: Permissions = {
  ...tableUser('readWrite'),
  ...queueAccess(synth, notifying.deadLetterQueue),
};
const SES_IDENTITY = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ses:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':identity/example.com',
    ],
  ],
};

function ruleFor(detailType: string) {
  const rules = template.findResources('AWS::Events::Rule', {
    Properties: { EventPattern: { 'detail-type': Match.arrayWith([detailType]) } },
  });
  return Object.values(rules).map((rule) => rule.Properties as Record<string, unknown>);
}

describe('PulsecastNotifying', () => {
  it('routes the configured event types to the notifier, with a retry policy and the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: synth.logicalId(stack.events.bus) },
      EventPattern: {
        source: ['pulsecast'],
        'detail-type': [
          'Approval Requested',
          'Channel Needs Attention',
          'Hold Started',
          'Mention Spike Detected',
          'Post Approval Missed',
          'Post Failed',
          'Post Outcome Unknown',
          'Posts Held',
          'Strategy Adjustment Recommended',
        ],
      },
      Targets: [
        Match.objectLike({
          Arn: notifierArn,
          DeadLetterConfig: { Arn: dlqArn },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
  });

  it('routes only AT_RISK and OFF_TRACK goal changes at once; the rest waits for the digest', () => {
    expect(ruleFor('Goal Status Changed')).toEqual([
      expect.objectContaining({
        EventPattern: {
          source: ['pulsecast'],
          'detail-type': ['Goal Status Changed'],
          detail: { status: ['AT_RISK', 'OFF_TRACK'] },
        },
      }),
    ]);
    expect(ruleFor('Post Published')).toEqual([]);
    expect(ruleFor('Post Metrics Collected')).toEqual([]);
    expect(ruleFor('Digest Ready')).toEqual([
      expect.objectContaining({
        Targets: [expect.objectContaining({ Arn: notifierArn, DeadLetterConfig: { Arn: dlqArn } })],
      }),
    ]);
  });

  it('retries a failed notifier or digest run twice, then hands the event to the dead-letter queue', () => {
    for (const fn of [notifying.notifier, notifying.digest]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: synth.logicalId(fn.function) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: dlqArn } },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    // EventBridge may write undeliverable events to it, only from these rules.
    const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
      JSON.stringify(p.Properties.Queues).includes(synth.logicalId(notifying.deadLetterQueue)),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as {
      Principal?: unknown;
      Condition?: unknown;
    }[];
    const fromRules = statements.filter((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com'));
    expect(fromRules).toHaveLength(notifying.rules.length);
    for (const statement of fromRules) expect(JSON.stringify(statement.Condition)).toMatch(/aws:SourceArn/);
  });

  it('keeps every event in the bus archive for replay (the one archive, not a second)', () => {
    const archives = template.findResources('AWS::Events::Archive');
    expect(Object.values(archives)).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          SourceArn: { 'Fn::GetAtt': [synth.logicalId(stack.events.bus), 'Arn'] },
          EventPattern: { source: ['pulsecast'] },
        }),
      }),
    ]);
  });

  it('schedules a daily and a weekly digest in the team time zone, with the scheduled time as input', () => {
    for (const [period, expression] of [
      ['daily', 'cron(0 9 * * ? *)'],
      ['weekly', 'cron(0 9 ? * MON *)'],
    ] as const) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: 'Europe/Berlin',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [synth.logicalId(notifying.digest.function), 'Arn'] },
          Input: JSON.stringify({
            workspaceId: 'default',
            period,
            scheduledTime: '<aws.scheduler.scheduled-time>',
          }),
          DeadLetterConfig: { Arn: dlqArn },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          RoleArn: { 'Fn::GetAtt': [synth.logicalId(notifying.scheduleRole), 'Arn'] },
        }),
      });
    }
  });

  it('lets the notifier send email only from the configured identity and read only the webhook secret and the stack keys', () => {
    const permissions = permissionsOf(synth, notifying.notifier);
    const sesKey = Object.keys(permissions).find((key) => key.includes('ses:SendEmail'));
    expect(permissions).toEqual({
      ...BASE_RW,
      // The stack keys (its approval-link and unsubscribe fields): one secret, one grant.
      [synth.logicalId(stack.keys)]: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      'arn:AWS::Partition:secretsmanager:AWS::Region:AWS::AccountId:secret:pulsecast-slack-webhooks-??????': [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ],
      [sesKey ?? 'ses statement']: ['ses:SendEmail', 'ses:SendRawEmail'],
      [`${synth.logicalId(notifying.chartBucket)}.Arn/charts/*`]: ['s3:GetObject', 's3:PutObject'],
    });
    // The SES statement, which permissionsOf reports as "unsupported" because of its condition.
    expect(JSON.parse((sesKey ?? '').replace(/^unsupported: /, ''))).toEqual({
      Effect: 'Allow',
      Action: ['ses:SendEmail', 'ses:SendRawEmail'],
      Resource: SES_IDENTITY,
      Condition: { StringEquals: { 'ses:FromAddress': 'notify@example.com' } },
    });
  });

  it('keeps the chart bucket private, encrypted, TLS-only and short-lived', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[synth.logicalId(notifying.chartBucket)];
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 7, Prefix: 'charts/', Status: 'Enabled' }] },
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it('gives the digest builder the table and the bus, and no way to send mail or read secrets', () => {
    expect(permissionsOf(synth, notifying.digest)).toEqual({ ...BASE_RW, ...busAccess(synth) });
  });

  it('hands the routing, the sender and the secret name to the notifier through its environment', () => {
    const fn = template.findResources('AWS::Lambda::Function')[synth.logicalId(notifying.notifier.function)];
    const variables = fn?.Properties.Environment.Variables as Record<string, string>;
    expect(variables.SES_FROM_ADDRESS).toBe('Pulsecast <notify@example.com>');
    expect(variables.SLACK_WEBHOOK_SECRET).toBe('pulsecast-slack-webhooks');
    const routing = JSON.parse(variables.PULSECAST_NOTIFY_CONFIG ?? '{}');
    expect(routing.timezone).toBe('Europe/Berlin');
    expect(routing.workspaces[0].routes[0]).toMatchObject({
      slack: ['default'],
      email: ['ops@example.com', 'cmo@example.com'],
    });
  });

  it('synthesizes with no notification context: digests and approval requests only, no SES, no secret but the link and unsubscribe keys', () => {
    const bare = synthPulsecast({ nag: false });
    expect(bare.stack.notifying.rules.map((r) => r.node.id)).toEqual(['ImmediateRule', 'DigestReadyRule']);
    const keys = [bare.logicalId(bare.stack.keys)];
    const permissions = permissionsOf(bare, bare.stack.notifying.notifier);
    expect(
      Object.keys(permissions).some(
        (key) => !keys.includes(key) && /ses:|secretsmanager/.test(key + permissions[key]),
      ),
    ).toBe(false);
  });

  it('takes a full routing from context and turns each kind of route into a rule', () => {
    const routing = {
      workspaces: [
        {
          id: 'brand',
          timezone: 'America/New_York',
          routes: [{ events: ['Goal Status Changed', 'Post Failed'], slack: ['alerts'] }],
          digest: { daily: false, weekly: { day: 'FRI', at: '16:30' }, email: ['brand@example.com'] },
        },
      ],
    };
    const custom = synthPulsecast({
      nag: false,
      context: { ...CONTEXT, notifyRouting: JSON.stringify(routing) },
    });
    expect(custom.stack.notifying.rules.map((r) => r.node.id)).toEqual([
      'ImmediateRule',
      'GoalStatusRule',
      'DigestReadyRule',
    ]);
    custom.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['pulsecast'], 'detail-type': ['Goal Status Changed'] },
    });
    expect([...custom.stack.notifying.schedules.keys()]).toEqual(['brand/weekly']);
    custom.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 16 ? * FRI *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
  });

  it('refuses at synth a routing it cannot deliver', () => {
    expect(() => synthPulsecast({ nag: false, context: { alertEmails: 'ops@example.com' } })).toThrow(
      /sends email but no sender is configured/,
    );
    expect(() =>
      synthPulsecast({
        nag: false,
        context: {
          notifyRouting: JSON.stringify({
            workspaces: [{ id: 'a', routes: [{ events: ['Post Failed'], slack: ['x'] }] }],
          }),
        },
      }),
    ).toThrow(/no Slack webhook secret is configured/);
    expect(() =>
      synthPulsecast({ nag: false, context: { ...CONTEXT, senderIdentity: 'other.example' } }),
    ).toThrow(/does not belong to the SES identity/);
    expect(() =>
      synthPulsecast({ nag: false, context: { ...CONTEXT, alertEmails: 'not-an-address' } }),
    ).toThrow(/notification context/);
    expect(() =>
      synthPulsecast({ nag: false, context: { ...CONTEXT, digestTimezone: 'Mars/Olympus' } }),
    ).toThrow(/IANA/);
  });
});
