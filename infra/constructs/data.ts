import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { DUE_INDEX, LIST_INDEX, TABLE_KEYS } from '../../shared/store/keys.ts';
import type { TableBinding } from './pulsecast-function.ts';

/** Props of {@link PulsecastData}. */
export interface PulsecastDataProps {
  /**
   * A disposable deployment (a developer's or a CI preview stack): the table goes away with the
   * stack and has no deletion protection. Never set it for a deployment whose data matters.
   * @default false
   */
  readonly disposable?: boolean;
}

/**
 * The single DynamoDB table (single-table design, see docs/architecture.md#data-model) with its two
 * indexes: `byType` lists entities of one type in order, `due` is the sparse index the Dispatcher
 * and Collector sweep. Key and index names come from `shared/store/keys.ts`, which the DynamoDB
 * adapter reads too, so the two cannot drift apart.
 */
export class PulsecastData extends Construct implements TableBinding {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** The ARN of each global secondary index, for grants that name the index. */
  public readonly indexArns: readonly string[];

  constructor(scope: Construct, id: string, props: PulsecastDataProps = {}) {
    super(scope, id);
    const disposable = props.disposable ?? false;

    // `Table` (AWS::DynamoDB::Table) rather than `TableV2` (AWS::DynamoDB::GlobalTable): one
    // region is all Pulsecast needs, and the resource maps one to one onto CreateTable, which is
    // what local mode replays against dynalite.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      // On-demand: a marketing team's traffic is a trickle with bursts at upload time, and
      // nothing to capacity-plan is the right default for a self-hosted tool.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Encryption at rest with the AWS managed key (aws/dynamodb) rather than a customer-managed
      // one. It is a KMS key in the user's account, rotated by AWS, and every use shows in
      // CloudTrail; what a customer-managed key would add (a key policy of our own, revoking
      // access by disabling the key, cross-account use) nobody running Pulsecast for one team
      // needs, while it would cost a monthly fee per stack, add kms:Decrypt/GenerateDataKey*
      // grants (wildcard actions) to every function, and be one more thing to keep: deleting the
      // key makes the retained table unreadable. A deployment that needs one can switch to
      // TableEncryption.CUSTOMER_MANAGED here.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: !disposable,
      removalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    for (const index of [LIST_INDEX, DUE_INDEX]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.indexArns = [LIST_INDEX, DUE_INDEX].map((index) => `${this.table.tableArn}/index/${index.name}`);
  }
}
