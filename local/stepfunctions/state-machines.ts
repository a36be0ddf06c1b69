import {
  type CloudFormationTemplate,
  parseTemplate,
  type ResolveOptions,
  Resolver,
  TemplateResolutionError,
} from '../cloudformation/template.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { type AslDefinition, assertRunnable } from './asl.ts';

/**
 * The state machines of a synthesized template as plain ASL that runs locally: their
 * `DefinitionString` resolved (see cloudformation/template.ts for the names and ARNs it gets),
 * `DefinitionSubstitutions` applied, and refused if aws-local-stepfunctions would run them
 * differently (see asl.ts).
 */

export interface ResolvedStateMachine {
  logicalId: string;
  /** `StateMachineName` if the template sets one, else the logical id. */
  name: string;
  stateMachineType: 'STANDARD' | 'EXPRESS';
  definition: AslDefinition;
  roleArn?: string;
  loggingConfiguration?: JsonObject;
  tracing?: JsonObject;
}

/**
 * Every `AWS::StepFunctions::StateMachine` of the template as plain ASL. Refuses (with
 * {@link UnsupportedDefinitionError}) a definition that uses JSONata, variables (`Assign`) or
 * anything else aws-local-stepfunctions would silently run differently (see asl.ts).
 */
export function resolveStateMachines(
  template: unknown,
  options: ResolveOptions = {},
): ResolvedStateMachine[] {
  const parsed = parseTemplate(template);
  const resolver = new Resolver(parsed, options);
  return Object.entries(parsed.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId]) => resolveOne(resolver, parsed, logicalId));
}

/** One state machine of the template, by logical id (see {@link resolveStateMachines}). */
export function resolveStateMachine(
  template: unknown,
  logicalId: string,
  options: ResolveOptions = {},
): ResolvedStateMachine {
  const parsed = parseTemplate(template);
  const resource = parsed.Resources[logicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') {
    const known = Object.entries(parsed.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id);
    throw new TemplateResolutionError(
      `${logicalId} is not a state machine of the template (state machines: ${known.join(', ') || 'none'})`,
    );
  }
  return resolveOne(new Resolver(parsed, options), parsed, logicalId);
}

function resolveOne(
  resolver: Resolver,
  template: CloudFormationTemplate,
  logicalId: string,
): ResolvedStateMachine {
  const path = `Resources.${logicalId}.Properties`;
  const properties = template.Resources[logicalId]?.Properties ?? {};
  if ('DefinitionS3Location' in properties) {
    throw new TemplateResolutionError(`${path}.DefinitionS3Location: definitions in S3 are not supported`);
  }
  const substitutions = new Map<string, string>();
  if (isJsonObject(properties.DefinitionSubstitutions)) {
    for (const [key, value] of Object.entries(properties.DefinitionSubstitutions)) {
      const resolved = resolver.resolve(value, `${path}.DefinitionSubstitutions.${key}`);
      substitutions.set(key, typeof resolved === 'string' ? resolved : JSON.stringify(resolved));
    }
  }
  let definition: JsonValue;
  if (properties.DefinitionString !== undefined) {
    const text = resolver.resolve(properties.DefinitionString, `${path}.DefinitionString`);
    if (typeof text !== 'string') {
      throw new TemplateResolutionError(`${path}.DefinitionString is not a string`);
    }
    // Substitution is textual, before parsing, as Step Functions does it.
    const substituted = text.replace(
      /\$\{([^}]+)\}/g,
      (whole, key: string) => substitutions.get(key) ?? whole,
    );
    try {
      definition = JSON.parse(substituted) as JsonValue;
    } catch (error) {
      throw new TemplateResolutionError(`${path}.DefinitionString is not valid JSON once resolved`, {
        cause: error,
      });
    }
  } else if (isJsonObject(properties.Definition)) {
    const resolved = resolver.resolve(properties.Definition, `${path}.Definition`);
    definition = JSON.parse(
      JSON.stringify(resolved).replace(/\$\{([^}]+)\}/g, (whole, key: string) =>
        JSON.stringify(substitutions.get(key) ?? whole).slice(1, -1),
      ),
    ) as JsonValue;
  } else {
    throw new TemplateResolutionError(`${path}: no DefinitionString or Definition`);
  }
  if (
    !isJsonObject(definition) ||
    typeof definition.StartAt !== 'string' ||
    !isJsonObject(definition.States)
  ) {
    throw new TemplateResolutionError(`${path}: the definition has no StartAt/States`);
  }
  const asl = definition as unknown as AslDefinition;
  assertRunnable(`State machine ${logicalId}`, asl);
  const type = properties.StateMachineType ?? 'STANDARD';
  if (type !== 'STANDARD' && type !== 'EXPRESS') {
    throw new TemplateResolutionError(`${path}.StateMachineType: unknown type ${String(type)}`);
  }
  const name = properties.StateMachineName
    ? resolver.resolve(properties.StateMachineName, `${path}.StateMachineName`)
    : logicalId;
  const roleArn = properties.RoleArn ? resolver.resolve(properties.RoleArn, `${path}.RoleArn`) : undefined;
  const optionalObject = (field: string): JsonObject | undefined => {
    if (properties[field] === undefined) return undefined;
    const resolved = resolver.resolve(properties[field], `${path}.${field}`);
    return isJsonObject(resolved) ? resolved : undefined;
  };
  const loggingConfiguration = optionalObject('LoggingConfiguration');
  const tracing = optionalObject('TracingConfiguration');
  return {
    logicalId,
    name: typeof name === 'string' ? name : logicalId,
    stateMachineType: type,
    definition: asl,
    ...(typeof roleArn === 'string' ? { roleArn } : {}),
    ...(loggingConfiguration ? { loggingConfiguration } : {}),
    ...(tracing ? { tracing } : {}),
  };
}
