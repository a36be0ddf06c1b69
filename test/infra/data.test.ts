import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DUE_INDEX, LIST_INDEX, TABLE_KEYS } from '../../shared/store/keys.ts';
import { synthPulsecast } from './helpers.ts';

describe('PulsecastData', () => {
  const { template } = synthPulsecast();

  it('keys the table by string pk and sk from shared/store/keys.ts', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ]),
    });
  });

  it.each([LIST_INDEX, DUE_INDEX])(
    'has the $name index on $partitionKey/$sortKey projecting all attributes',
    (index) => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ]),
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: index.partitionKey, AttributeType: 'S' },
          { AttributeName: index.sortKey, AttributeType: 'S' },
        ]),
      });
    },
  );

  it('bills on demand, keeps point-in-time recovery and encrypts at rest with the AWS managed KMS key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it('retains the table and protects it from deletion by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it.each([true, 'true'])('destroys table and logs with the stack when disposable is %j', (disposable) => {
    const { template: disposableTemplate } = synthPulsecast({ context: { disposable } });

    disposableTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    const logGroups = Object.values(disposableTemplate.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(0);
    expect(logGroups.map((logGroup) => logGroup.DeletionPolicy)).toEqual(logGroups.map(() => 'Delete'));
  });

  it('refuses a disposable context that is not a boolean', () => {
    expect(() => synthPulsecast({ context: { disposable: 'yes' } })).toThrow(
      /disposable must be true or false/,
    );
  });

  it('outputs the table name', () => {
    template.hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^DataTable') } });
  });
});
