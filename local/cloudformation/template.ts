import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/**
 * Reads a synthesized CloudFormation template (what `Template.fromStack(stack).toJSON()` returns,
 * or a `cdk.out/*.template.json` file) for local mode: its resources, and the values of the
 * CloudFormation intrinsics CDK writes (`Fn::Join` of strings, `Fn::GetAtt [fn, Arn]`, `Ref`s,
 * `Fn::Sub`, pseudo parameters). The state machines (stepfunctions/), the event bus and the
 * schedules (events/) and the Lambda handlers (lambda.ts) all read the template through it.
 *
 * Names in resolved values: every resource is named by its logical id, unless the caller maps
 * it (`names: { [logicalId]: 'pulsecast' }`, e.g. the dynalite table's name). ARNs are fake but
 * well formed, in region `local` of account `000000000000`; a Lambda function is always
 * `arn:aws:lambda:local:000000000000:function:<LogicalId>`, which is how the runner finds its
 * handler.
 */

export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_PARTITION = 'aws';

export interface ResolveOptions {
  /**
   * What `Ref` of a resource or parameter resolves to, by logical id (default: the logical id;
   * a parameter's `Default`). A key `<LogicalId>.<Attribute>` sets what `Fn::GetAtt` of that
   * attribute resolves to. Lambda functions cannot be renamed (their handlers are keyed by id).
   */
  names?: Readonly<Record<string, string>>;
  /** `AWS::StackName`. @default 'local' */
  stackName?: string;
}

export interface FunctionEntry {
  logicalId: string;
  /** The fake ARN the resolved definitions use for this function. */
  arn: string;
  /** The repository-relative handler module (`pulsecast:entry` metadata), if the function has one. */
  entry?: string;
  /** The `Handler` property (`index.handler`), as deployed. */
  handler?: string;
  environment: Record<string, string>;
  /** @default 3 (Lambda's default) */
  timeoutSeconds: number;
  /** @default 128 (Lambda's default) */
  memorySize: number;
}

export type CloudFormationTemplate = z.infer<typeof TemplateSchema>;

/** A template the resolver cannot read, or an intrinsic it cannot resolve (the path says where). */
export class TemplateResolutionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TemplateResolutionError';
  }
}

const ResourceSchema = z.looseObject({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
const TemplateSchema = z.looseObject({
  Resources: z.record(z.string(), ResourceSchema),
  Parameters: z.record(z.string(), z.looseObject({ Default: z.unknown().optional() })).optional(),
});

/** Reads a synthesized template file (`cdk.out/<Stack>.template.json`). */
export async function readTemplateFile(path: string): Promise<CloudFormationTemplate> {
  return parseTemplate(JSON.parse(await readFile(path, 'utf8')) as unknown);
}

/** Checks the shape of a template (the parts the resolver reads). */
export function parseTemplate(template: unknown): CloudFormationTemplate {
  const parsed = TemplateSchema.safeParse(template);
  if (!parsed.success) {
    throw new TemplateResolutionError(`not a CloudFormation template: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Every `AWS::Lambda::Function` of the template with its handler entry and environment. */
export function functionEntries(template: unknown, options: ResolveOptions = {}): FunctionEntry[] {
  const parsed = parseTemplate(template);
  const resolver = new Resolver(parsed, options);
  return Object.entries(parsed.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const path = `Resources.${logicalId}`;
      const properties = resource.Properties ?? {};
      const entry = resource.Metadata?.['pulsecast:entry'];
      if (entry !== undefined && typeof entry !== 'string') {
        throw new TemplateResolutionError(`${path}.Metadata.pulsecast:entry must be a string`);
      }
      const variables = isJsonObject(properties.Environment) ? properties.Environment.Variables : undefined;
      const environment: Record<string, string> = {};
      if (isJsonObject(variables)) {
        for (const [name, value] of Object.entries(variables)) {
          const resolved = resolver.resolve(value, `${path}.Properties.Environment.Variables.${name}`);
          environment[name] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
        }
      }
      const handler = properties.Handler;
      return {
        logicalId,
        arn: lambdaArn(logicalId),
        ...(entry ? { entry } : {}),
        ...(typeof handler === 'string' ? { handler } : {}),
        environment,
        timeoutSeconds: typeof properties.Timeout === 'number' ? properties.Timeout : 3,
        memorySize: typeof properties.MemorySize === 'number' ? properties.MemorySize : 128,
      };
    });
}

export function lambdaArn(functionName: string): string {
  return `arn:${LOCAL_PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;
}

export function stateMachineArn(name: string): string {
  return `arn:${LOCAL_PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
}

/** `Fn::GetAtt [X, Arn]` per resource type; other types get `arn:aws:<service>:…:<type>/<name>`. */
const ARN_FORMATS: Record<string, (name: string) => string> = {
  'AWS::Lambda::Function': lambdaArn,
  'AWS::DynamoDB::Table': (n) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${n}`,
  'AWS::DynamoDB::GlobalTable': (n) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${n}`,
  'AWS::Events::EventBus': (n) => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${n}`,
  'AWS::SQS::Queue': (n) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${n}`,
  'AWS::SNS::Topic': (n) => `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${n}`,
  'AWS::StepFunctions::StateMachine': stateMachineArn,
  'AWS::Logs::LogGroup': (n) => `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${n}:*`,
  'AWS::IAM::Role': (n) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${n}`,
  'AWS::S3::Bucket': (n) => `arn:aws:s3:::${n}`,
  'AWS::SecretsManager::Secret': (n) => `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${n}`,
  'AWS::Scheduler::Schedule': (n) =>
    `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/default/${n}`,
};
/** Types whose `Ref` is their ARN rather than their name. */
const REF_IS_ARN = new Set([
  'AWS::SNS::Topic',
  'AWS::StepFunctions::StateMachine',
  'AWS::SecretsManager::Secret',
]);

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = JsonValue | typeof NO_VALUE;

/** Resolves intrinsics to the local names and fake ARNs described above. */
export class Resolver {
  private readonly pseudo: Record<string, string>;

  constructor(
    private readonly template: CloudFormationTemplate,
    private readonly options: ResolveOptions,
  ) {
    const stackName = options.stackName ?? 'local';
    this.pseudo = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': LOCAL_PARTITION,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${stackName}/local`,
    };
    for (const [id] of Object.entries(options.names ?? {})) {
      if (template.Resources[id]?.Type === 'AWS::Lambda::Function') {
        throw new TemplateResolutionError(
          `names.${id}: Lambda functions keep their logical id as name (handlers are keyed by it)`,
        );
      }
    }
  }

  resolve(value: unknown, path: string): JsonValue {
    const resolved = this.value(value, path);
    if (resolved === NO_VALUE) {
      throw new TemplateResolutionError(`${path}: AWS::NoValue where a value is required`);
    }
    return resolved;
  }

  private value(value: unknown, path: string): Resolved {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => this.value(item, `${path}[${i}]`)).filter((item) => item !== NO_VALUE);
    }
    if (typeof value !== 'object') throw new TemplateResolutionError(`${path}: not JSON (${typeof value})`);
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1], `${path}.${first[0]}`);
    }
    const result: JsonObject = {};
    for (const [key, inner] of entries) {
      const resolved = this.value(inner, `${path}.${key}`);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, args: unknown, path: string): Resolved {
    switch (name) {
      case 'Ref':
        if (typeof args !== 'string') throw new TemplateResolutionError(`${path}: Ref needs a logical id`);
        return this.ref(args, path);
      case 'Fn::GetAtt': {
        const [id, attribute] =
          typeof args === 'string' ? splitOnce(args, '.') : Array.isArray(args) ? args : [];
        if (typeof id !== 'string' || typeof attribute !== 'string') {
          throw new TemplateResolutionError(`${path}: Fn::GetAtt needs [logicalId, attribute]`);
        }
        return this.getAtt(id, attribute, path);
      }
      case 'Fn::Join': {
        if (!Array.isArray(args) || typeof args[0] !== 'string' || args.length !== 2) {
          throw new TemplateResolutionError(`${path}: Fn::Join needs [separator, list]`);
        }
        const list = this.resolve(args[1], `${path}[1]`);
        if (!Array.isArray(list)) throw new TemplateResolutionError(`${path}[1]: Fn::Join needs a list`);
        return list.map((part, i) => this.scalar(part, `${path}[1][${i}]`)).join(args[0]);
      }
      case 'Fn::Select': {
        if (!Array.isArray(args) || args.length !== 2) {
          throw new TemplateResolutionError(`${path}: Fn::Select needs [index, list]`);
        }
        const index = Number(this.resolve(args[0], `${path}[0]`));
        const list = this.resolve(args[1], `${path}[1]`);
        if (!Array.isArray(list) || !Number.isInteger(index) || list[index] === undefined) {
          throw new TemplateResolutionError(`${path}: Fn::Select index ${index} out of range`);
        }
        return list[index];
      }
      case 'Fn::Split': {
        if (!Array.isArray(args) || typeof args[0] !== 'string' || args.length !== 2) {
          throw new TemplateResolutionError(`${path}: Fn::Split needs [separator, string]`);
        }
        return this.scalar(this.resolve(args[1], `${path}[1]`), `${path}[1]`).split(args[0]);
      }
      case 'Fn::Sub': {
        const [text, variables] = typeof args === 'string' ? [args, {}] : Array.isArray(args) ? args : [];
        if (typeof text !== 'string' || !isJsonObject(variables)) {
          throw new TemplateResolutionError(`${path}: Fn::Sub needs a string or [string, variables]`);
        }
        return text.replace(/\$\{(!?)([^}]+)\}/g, (_whole, literal: string, key: string) => {
          if (literal) return `\${${key}}`;
          if (key in variables) return this.scalar(this.resolve(variables[key], `${path}[1].${key}`), path);
          if (key.includes('.') && !key.startsWith('AWS::')) {
            const [id, attribute] = splitOnce(key, '.');
            return this.scalar(this.getAtt(id, attribute, path), path);
          }
          return this.scalar(this.ref(key, path), path);
        });
      }
      default:
        throw new TemplateResolutionError(`${path}: ${name} is not supported by the local resolver`);
    }
  }

  private ref(id: string, path: string): Resolved {
    if (id === 'AWS::NoValue') return NO_VALUE;
    const pseudo = this.pseudo[id];
    if (pseudo !== undefined) return pseudo;
    const named = this.options.names?.[id];
    if (named !== undefined) return named;
    const parameter = this.template.Parameters?.[id];
    if (parameter) {
      if (parameter.Default === undefined) {
        throw new TemplateResolutionError(`${path}: parameter ${id} has no Default; pass names.${id}`);
      }
      return this.resolve(parameter.Default, `Parameters.${id}.Default`);
    }
    const resource = this.template.Resources[id];
    if (!resource) throw new TemplateResolutionError(`${path}: Ref to ${id}, which is not in the template`);
    if (REF_IS_ARN.has(resource.Type)) return this.arn(id, resource.Type);
    return id;
  }

  private getAtt(id: string, attribute: string, path: string): Resolved {
    const named = this.options.names?.[`${id}.${attribute}`];
    if (named !== undefined) return named;
    const resource = this.template.Resources[id];
    if (!resource) {
      throw new TemplateResolutionError(`${path}: Fn::GetAtt of ${id}, which is not in the template`);
    }
    if (attribute === 'Arn') return this.arn(id, resource.Type);
    if (
      attribute === 'Name' ||
      attribute === 'TableName' ||
      attribute === 'QueueName' ||
      attribute === 'TopicName'
    ) {
      return this.options.names?.[id] ?? id;
    }
    throw new TemplateResolutionError(
      `${path}: Fn::GetAtt ${id}.${attribute} has no local value; pass names['${id}.${attribute}']`,
    );
  }

  private arn(id: string, type: string): string {
    const name = this.options.names?.[id] ?? id;
    const format = ARN_FORMATS[type];
    if (format) return format(name);
    const [, service = 'unknown', kind = 'resource'] = type.split('::');
    return `arn:aws:${service.toLowerCase()}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${kind.toLowerCase()}/${name}`;
  }

  private scalar(value: Resolved, path: string): string {
    if (value === NO_VALUE) {
      throw new TemplateResolutionError(`${path}: AWS::NoValue where a string is required`);
    }
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new TemplateResolutionError(`${path}: expected a string, got ${JSON.stringify(value)}`);
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ''] : [text.slice(0, index), text.slice(index + separator.length)];
}
