import { Match } from 'aws-cdk-lib/assertions';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { LIST_INDEX } from '../../shared/store/keys.ts';
import {
  BASE,
  permissionsOf,
  synthPulsecast,
  synthWithRouteGroup,
  TABLE_WRITE,
  tableUser,
} from './helpers.ts';

describe('API functions', () => {
  const synth = synthPulsecast();
  const { template, stack } = synth;
  const groups = [...stack.api.functions.keys()];

  it('has one function per route group', () => {
    expect(groups).toEqual([
      'Health',
      'Calendars',
      'Posts',
      'Channels',
      'Campaigns',
      'Holds',
      'Audits',
      'Conversions',
      'Listening',
      'Approvals',
      'ApprovalLinks',
      'SlackInteractions',
      'Unsubscribe',
    ]);
  });

  it.each(groups)(
    'runs %s on nodejs24.x, arm64, X-Ray, source maps, its own log group (512 MB and 10 s unless it needs more)',
    (group) => {
      const fn = stack.api.functionOf(group);
      // Calendars takes 10,000-row uploads within API Gateway's 30 s.
      const [memory, timeout] = group === 'Calendars' ? [1769, 29] : [512, 10];
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [synth.logicalId(fn.role), 'Arn'] },
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: memory,
        Timeout: timeout,
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: Match.absent() }) },
        LoggingConfig: { LogGroup: { Ref: synth.logicalId(fn.logGroup) } },
      });
      expect(template.findResources('AWS::Logs::LogGroup')[synth.logicalId(fn.logGroup)]).toMatchObject({
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Retain',
      });
    },
  );

  it.each([
    ['Health', BASE],
    ['Calendars', tableUser('readWrite')],
    ['Posts', tableUser('readWrite')],
    ['Channels', tableUser('readWrite')],
    ['Approvals', tableUser('readWrite')],
  ])('lets %s do exactly this and nothing else', (group, expected) => {
    expect(permissionsOf(synth, stack.api.functionOf(group))).toEqual(expected);
  });

  it.each([
    ['ApprovalLinks', () => stack.approving.linkKey],
    ['SlackInteractions', () => stack.approving.slackSigningSecret],
  ])(
    'lets %s read the stack keys (for its own field) and the table, and no other secret',
    (group, secret) => {
      expect(permissionsOf(synth, stack.api.functionOf(group))).toEqual({
        ...tableUser('readWrite'),
        [synth.logicalId(secret() as Secret)]: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
        ],
      });
    },
  );

  it('gives Health no DynamoDB permission and no TABLE_NAME', () => {
    const health = stack.api.functionOf('Health');
    const statements = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: synth.logicalId(health.role) }] },
    });
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [synth.logicalId(health.role), 'Arn'] },
      Environment: {
        Variables: Match.objectLike({ NODE_OPTIONS: Match.absent(), TABLE_NAME: Match.absent() }),
      },
    });
  });

  it('lets table functions Query the byType index by name, with TABLE_NAME set to the table', () => {
    const tableId = synth.logicalId(stack.data.table);
    for (const group of ['Calendars', 'Posts', 'Channels']) {
      const fn = stack.api.functionOf(group);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: synth.logicalId(fn.role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 'dynamodb:Query',
              Resource: Match.arrayWith([
                { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${LIST_INDEX.name}`]] },
              ]),
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [synth.logicalId(fn.role), 'Arn'] },
        Environment: { Variables: Match.objectLike({ TABLE_NAME: { Ref: tableId } }) },
      });
    }
  });

  it('attaches no AWS managed policy to any role', () => {
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      expect({ id, managed: role.Properties.ManagedPolicyArns }).toEqual({ id, managed: undefined });
    }
  });

  it("grants a 'read' binding no write action", () => {
    const withReports = synthWithRouteGroup({
      name: 'Reports',
      entry: 'functions/api/posts.ts', // any existing handler module will do here
      auth: 'iam',
      table: 'read',
      routes: ['GET /v1/reports'],
    });

    const permissions = permissionsOf(withReports, withReports.stack.api.functionOf('Reports'));
    expect(permissions).toEqual(tableUser('read'));
    expect(
      Object.values(permissions)
        .flat()
        .filter((action) => TABLE_WRITE.includes(action)),
    ).toEqual([]);
  });

  it('refuses a memory size Lambda does not offer', () => {
    expect(() =>
      synthWithRouteGroup({
        name: 'Tiny',
        entry: 'functions/api/health.ts',
        auth: 'iam',
        table: 'none',
        routes: ['GET /v1/tiny'],
        function: { memorySize: 64 },
      }),
    ).toThrow(/memorySize must be an integer from 128 to 10240 MB, got 64/);
  });

  it('refuses to bind the table twice', () => {
    expect(() =>
      synthPulsecast({
        customize: (s) => s.api.functionOf('Posts').bindTable(s.data, 'read'),
      }),
    ).toThrow(/TABLE_NAME is already set/);
  });
});
