import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type ICommandHooks,
  NodejsFunction,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { keyReference, type StackKeyField } from '../../shared/stack-keys.ts';
import { aliasArgs, LAMBDA_BUNDLE } from '../bundling.ts';
import { powertoolsEnvironment } from './observability.ts';

/** The repository root: handler entries are resolved against it and esbuild runs in it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * DynamoDB actions per access level. Written out instead of using `Table.grantReadData` so the
 * index permissions can name each index (`table/index/byType`) rather than `table/index/*`: no
 * wildcard, nothing to suppress. `Scan` is left out on purpose: the design has no scans
 * (everything is a Query on the table or one of its indexes); add an access level if one appears.
 * Transactions need no actions of their own (they are authorized per item as Put/Update/…).
 */
const TABLE_READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
] as const;
const TABLE_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;
/** Only Query reads through a GSI. */
const INDEX_READ_ACTIONS = ['dynamodb:Query'] as const;

/** What a function may do with the table. */
export type TableAccess = 'read' | 'readWrite';

/** The table as a function binds it: the table and the ARNs of each of its indexes. */
export interface TableBinding {
  readonly table: dynamodb.ITable;
  /** One ARN per global secondary index (`<table arn>/index/<name>`). */
  readonly indexArns: readonly string[];
}

/**
 * Bundling hooks that copy run-time files of npm packages next to the bundle. The paths are
 * resolved here, at synth, so a missing package fails the synth rather than a cold start.
 */
function copyAssets(assets: NonNullable<PulsecastFunctionProps['assets']>): ICommandHooks {
  const require = createRequire(import.meta.url);
  const sources = assets.map((asset) => {
    if (!/^[A-Za-z0-9._-]+$/.test(asset.name))
      throw new Error(`asset name ${asset.name} is not a plain file name`);
    return { name: asset.name, path: require.resolve(asset.packagePath) };
  });
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) =>
      sources.map(({ name, path }) => `cp ${JSON.stringify(path)} ${JSON.stringify(join(outputDir, name))}`),
  };
}

/** Props of {@link PulsecastFunction}. */
export interface PulsecastFunctionProps {
  /**
   * The handler module: a path relative to the repository root (`functions/api/health.ts`) or
   * an absolute path. It must export the handler named by `handler`.
   */
  readonly entry: string;
  /**
   * The exported handler's name.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * What the function is for, shown in the Lambda console.
   * @default - none
   */
  readonly description?: string;
  /**
   * Memory in MB (CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one invocation.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps events.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the function is removed from the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Extra environment variables. Prefer the `bind…` helpers for anything that comes with a
   * permission, so the variable and the grant cannot drift apart.
   * @default - only the Powertools settings (service name, metrics namespace, log level)
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Files from npm packages that the code reads at run time (WebAssembly, fonts), copied next to
   * the bundle under `name`, where the code looks first (see `shared/notify/chart-render.ts`).
   * @default - none
   */
  readonly assets?: readonly { readonly name: string; readonly packagePath: string }[];
}

/**
 * The house-defaults Lambda function: Node.js 24 on arm64, an ESM bundle built locally by esbuild
 * (never Docker) with the AWS SDK v3 bundled and tree-shaken, an external source map (not loaded
 * at start), X-Ray tracing, and its own log group with a retention period. Its role starts with nothing but writing to that log
 * group (no AWS managed policy); everything else is added through the `bind…` helpers, each of
 * which sets an environment variable and the matching least-privilege grant together.
 */
export class PulsecastFunction extends Construct {
  /** The Lambda function. */
  public readonly function: NodejsFunction;
  /** The function's execution role; it holds only what was bound. */
  public readonly role: iam.Role;
  /** The function's own log group. */
  public readonly logGroup: logs.LogGroup;

  /** Environment variables already set, so a `bind…` helper never silently overwrites one. */
  private readonly environmentNames: Set<string>;

  constructor(scope: Construct, id: string, props: PulsecastFunctionProps) {
    super(scope, id);

    const entry = isAbsolute(props.entry) ? props.entry : resolve(PROJECT_ROOT, props.entry);
    if (!existsSync(entry)) {
      throw new Error(
        `${this.node.path}: handler entry ${props.entry} does not exist (resolved to ${entry})`,
      );
    }
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new Error(
        `${this.node.path}: memorySize must be an integer from 128 to 10240 MB, got ${memorySize}`,
      );
    }

    const environment = {
      // Logs, metrics and traces (functions/commons/observability.ts): one service per stack.
      ...powertoolsEnvironment(this),
      ...props.environment,
    };
    this.environmentNames = new Set(Object.keys(environment));

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An explicit role instead of the default one, which carries the AWS managed
    // AWSLambdaBasicExecutionRole (logs:CreateLogGroup/CreateLogStream/PutLogEvents on every log
    // group in the account, and AwsSolutions-IAM4). The log group exists already, so writing to
    // it is all the function needs.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
      environment,
      bundling: {
        // infra/bundling.ts holds these options, shared with the bundle benchmark and test.
        format: OutputFormat.ESM,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner.js,
        target: LAMBDA_BUNDLE.target,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: true,
        sourceMapMode: SourceMapMode.EXTERNAL,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        // Bundle the AWS SDK v3 rather than use the runtime's copy: the version is the one we
        // tested against, and tree-shaking leaves a smaller bundle that loads faster than the
        // runtime's full SDK.
        bundleAwsSDK: true,
        esbuildArgs: aliasArgs(),
        // There is no Docker here and none is needed: esbuild comes from node_modules.
        forceDockerBundling: false,
        ...(props.assets?.length ? { commandHooks: copyAssets(props.assets) } : {}),
      },
    });

    // Local mode and the state-machine tests run the synthesized template in-process: this is how
    // they find the handler module behind each function (docs/architecture.md#local-mode).
    (this.function.node.defaultChild as CfnResource).addMetadata(
      'pulsecast:entry',
      relative(PROJECT_ROOT, entry).split(sep).join('/'),
    );

    // Tracing.ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" to the role's
    // default policy. The acknowledgement sits on the role (covering its default policy) and names
    // the one finding, Resource::*; the infra tests pin every "*" statement to those two actions.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so "*" is the only possible resource.',
    });
  }

  /**
   * Lets the function use the table: sets `TABLE_NAME` and grants `access` to the table and,
   * for reads, Query on each of its indexes (by name, no wildcard).
   */
  public bindTable(binding: TableBinding, access: TableAccess): this {
    this.setEnvironment('TABLE_NAME', binding.table.tableName);
    const tableArn = binding.table.tableArn;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...TABLE_READ_ACTIONS], resources: [tableArn] }),
    );
    if (binding.indexArns.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...INDEX_READ_ACTIONS], resources: [...binding.indexArns] }),
      );
    }
    if (access === 'readWrite') {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...TABLE_WRITE_ACTIONS], resources: [tableArn] }),
      );
    }
    return this;
  }

  /** Lets the function put events on the bus: sets `EVENT_BUS_NAME`, grants PutEvents on that bus only. */
  public bindEventBus(bus: events.IEventBus): this {
    this.setEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    bus.grantPutEventsTo(this.role);
    return this;
  }

  /**
   * Lets the function start executions of one state machine: sets `variable` to its ARN and
   * grants states:StartExecution on that state machine alone.
   */
  public bindStateMachineStart(variable: string, stateMachine: sfn.IStateMachine): this {
    this.setEnvironment(variable, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this.role);
    return this;
  }

  /**
   * Lets the function read (and, for token refreshes, write) the channel secrets under
   * `secretPrefix` — and no other secret. Secret ARNs end in a random suffix, so the grant is
   * on the name prefix; the finding this raises is acknowledged with that reason.
   */
  public bindChannelSecrets(secretPrefix: string, access: 'read' | 'readWrite'): this {
    if (!/^[A-Za-z0-9/_+=.@-]+\/$/.test(secretPrefix)) {
      throw new Error(
        `${this.node.path}: secretPrefix must be a secret-name prefix ending in "/", got "${secretPrefix}"`,
      );
    }
    this.setEnvironment('PULSECAST_SECRET_PREFIX', secretPrefix);
    const arn = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${secretPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const actions = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
    if (access === 'readWrite') actions.push('secretsmanager:PutSecretValue');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [arn] }));
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}*]`,
      reason:
        'Channel credentials live in one secret per channel under the Pulsecast prefix; secret ARNs end in a random suffix, so the grant names the prefix and nothing wider.',
    });
    return this;
  }

  /**
   * Lets the function put chart images under `charts/` of `bucket` and read them back (reading
   * is what a presigned GET URL it signs is allowed to do): sets `CHART_BUCKET`, grants
   * s3:PutObject and s3:GetObject on `charts/*` only.
   */
  public bindChartBucket(bucket: s3.IBucket): this {
    this.setEnvironment('CHART_BUCKET', bucket.bucketName);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [bucket.arnForObjects('charts/*')],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnResource)}.Arn>/charts/*]`,
      reason:
        "Chart images are keyed by digest and chart name, written as the digest is sent: the grant is on the charts/ prefix of the stack's own chart bucket, Put and Get only.",
    });
    return this;
  }

  /**
   * Lets the function read one named secret, and no other: sets `variable` to the secret's name
   * and grants GetSecretValue/DescribeSecret on that secret alone (its ARN, or for a secret
   * imported by name, the name followed by Secrets Manager's six-character suffix).
   */
  public bindSecret(variable: string, secret: secretsmanager.ISecret, by: 'name' | 'arn' = 'name'): this {
    // `arn`: a secret created in the stack is best named by its full ARN (its name is cut out of
    // the ARN with Fn::Split at deploy time); one imported by name has no full ARN, so its name.
    this.setEnvironment(
      variable,
      by === 'arn' ? (secret.secretFullArn ?? secret.secretName) : secret.secretName,
    );
    secret.grantRead(this.role);
    return this;
  }

  /**
   * Lets the function read its own key in the stack's Keys secret (infra/constructs/secrets.ts):
   * sets `variable` to `<secret ARN>#<field>` and grants GetSecretValue/DescribeSecret on that
   * one secret. IAM cannot grant one field of a secret: the function can read the other keys in
   * it too (docs/adr/0022-one-secret-for-the-stack-keys.md says why that is acceptable).
   */
  public bindStackKey(variable: string, keys: secretsmanager.ISecret, field: StackKeyField): this {
    this.setEnvironment(variable, keyReference(keys.secretFullArn ?? keys.secretArn, field));
    keys.grantRead(this.role);
    return this;
  }

  /**
   * Lets the function send email through SES v2 from one address: sets `SES_FROM_ADDRESS` to the
   * From header (`Pulsecast <notify@example.com>` or a bare address) and grants ses:SendEmail —
   * and ses:SendRawEmail, which SES v2 checks for a message sent as raw MIME — on the one verified
   * identity (`identity`: the address itself or its domain), only with that From address.
   */
  public bindSesSender(identity: string, from: string): this {
    const address = /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();
    const domain = address.split('@')[1];
    if (!/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(address)) {
      throw new Error(`${this.node.path}: sender "${from}" has no valid email address`);
    }
    if (identity !== address && identity !== domain) {
      throw new Error(
        `${this.node.path}: sender ${address} does not belong to the SES identity "${identity}" (give the address or its domain)`,
      );
    }
    this.setEnvironment('SES_FROM_ADDRESS', from);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [
          Stack.of(this).formatArn({
            service: 'ses',
            resource: 'identity',
            resourceName: identity,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': address } },
      }),
    );
    return this;
  }

  /**
   * Tells a function that creates or changes channels what a channel's `secretRef` may name: a
   * secret under `secretPrefix`, never one of `reservedSecretNames` (Pulsecast's own). It grants
   * nothing: the API only checks names, the publishing functions are the ones that read them.
   */
  public describeChannelSecrets(secretPrefix: string, reservedSecretNames: readonly string[]): this {
    this.setEnvironment('PULSECAST_SECRET_PREFIX', secretPrefix);
    this.setEnvironment('PULSECAST_RESERVED_SECRET_REFS', reservedSecretNames.join(','));
    return this;
  }

  /**
   * Tells the function the API's public URL (what approval links point at); nothing to grant:
   * the function builds links to it, it does not call it.
   */
  public bindApiUrl(variable: string, url: string): this {
    this.setEnvironment(variable, url);
    return this;
  }

  /**
   * Sets an environment variable that a `bind…` helper owns. Binding the same thing twice, or
   * over a variable given in `environment`, is a mistake in the stack, so it fails the synth.
   */
  private setEnvironment(name: string, value: string): void {
    if (this.environmentNames.has(name)) {
      throw new Error(`${this.node.path}: environment variable ${name} is already set; bind it once`);
    }
    this.environmentNames.add(name);
    this.function.addEnvironment(name, value);
  }
}
