import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PulsecastApi } from './constructs/api.ts';
import { PulsecastData } from './constructs/data.ts';
import { PulsecastEvents } from './constructs/events.ts';
import { PulsecastPublishing } from './constructs/publishing.ts';

/** Props of {@link PulsecastStack}. */
export interface PulsecastStackProps extends StackProps {
  /**
   * The deployment's name (`dev`, `prod`, `pr-42`); it tags every resource.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * A disposable deployment: data and logs go away with the stack, and the table has no
   * deletion protection. For previews and developers' stacks only.
   * @default false
   */
  readonly disposable?: boolean;
  /**
   * Name prefix of the Secrets Manager secrets that hold channel credentials; a channel's
   * `secretRef` must start with it.
   * @default 'pulsecast/'
   */
  readonly secretPrefix?: string;
}

/**
 * Pulsecast on one AWS account: one construct per concern (DESIGN §2). Publishing, measuring,
 * evaluating, notifying and observability join here as they are built.
 */
export class PulsecastStack extends Stack {
  public readonly data: PulsecastData;
  public readonly api: PulsecastApi;
  public readonly events: PulsecastEvents;
  public readonly publishing: PulsecastPublishing;

  constructor(scope: Construct, id: string, props: PulsecastStackProps = {}) {
    super(scope, id, {
      description: 'Pulsecast: social-media-marketing automation (calendar, publishing, measuring, goals)',
      ...props,
    });
    const stage = props.stage ?? 'dev';
    const disposable = props.disposable ?? false;
    Tags.of(this).add('pulsecast:stage', stage);

    this.data = new PulsecastData(this, 'Data', { disposable });
    this.api = new PulsecastApi(this, 'Api', {
      data: this.data,
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.events = new PulsecastEvents(this, 'Events');
    this.publishing = new PulsecastPublishing(this, 'Publishing', {
      data: this.data,
      bus: this.events.bus,
      ...(props.secretPrefix ? { secretPrefix: props.secretPrefix } : {}),
      logRemovalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the HTTP API (SigV4-signed requests, service execute-api)',
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'The DynamoDB table' });
  }
}
