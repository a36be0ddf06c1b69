import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/**
 * Amazon States Language helpers for the local runner: walking a definition (through Map item
 * processors and Parallel branches) and refusing what aws-local-stepfunctions 3.0.0 would run
 * wrongly without a word.
 */

/** A state as it appears in a definition; only `Type` is certain. */
export type AslState = JsonObject & { Type: string };

/** A state machine definition, or a Map's item processor, or a Parallel branch. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [field: string]: JsonValue | undefined;
}

export interface VisitedState {
  name: string;
  state: AslState;
  /** Where the state sits in the definition, e.g. `States.PublishEach.ItemProcessor.States.Publish`. */
  path: string;
  /** 0 for the top-level states, +1 inside each Map item processor or Parallel branch. */
  depth: number;
}

/** Refused definition: every problem found, each with the path of the state or field. */
export class UnsupportedDefinitionError extends Error {
  readonly problems: readonly string[];
  constructor(subject: string, problems: readonly string[]) {
    super(`${subject} cannot run locally:\n  - ${problems.join('\n  - ')}`);
    this.name = 'UnsupportedDefinitionError';
    this.problems = problems;
  }
}

/** The nested definitions of a state: a Map's item processor, a Parallel's branches. */
export function childScopes(state: AslState, path: string): { scope: AslDefinition; path: string }[] {
  const scopes: { scope: AslDefinition; path: string }[] = [];
  if (state.Type === 'Map') {
    for (const field of ['ItemProcessor', 'Iterator'] as const) {
      const scope = state[field];
      if (isJsonObject(scope)) {
        scopes.push({ scope: scope as unknown as AslDefinition, path: `${path}.${field}` });
      }
    }
  }
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
    state.Branches.forEach((branch, index) => {
      if (isJsonObject(branch)) {
        scopes.push({ scope: branch as unknown as AslDefinition, path: `${path}.Branches[${index}]` });
      }
    });
  }
  return scopes;
}

/** Every state of the definition, depth first, nested scopes included. */
export function allStates(definition: AslDefinition, basePath = '', depth = 0): VisitedState[] {
  const visited: VisitedState[] = [];
  const prefix = basePath ? `${basePath}.` : '';
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    const path = `${prefix}States.${name}`;
    visited.push({ name, state, path, depth });
    for (const child of childScopes(state, path))
      visited.push(...allStates(child.scope, child.path, depth + 1));
  }
  return visited;
}

/** Fields that only exist in JSONata states (or with variables). */
const JSONATA_FIELDS = ['Arguments', 'Output', 'Items', 'Condition'] as const;
/** Distributed Map fields that change what an iteration sees; the library ignores them. */
const DISTRIBUTED_MAP_FIELDS = ['ItemReader', 'ItemBatcher', 'ResultWriter'] as const;
/** Context-object paths that are wrong inside a Map iteration or a Parallel branch (see below). */
const NESTED_CONTEXT_PATH = /\$\$\.Execution\.(?:Input|StartTime)\b|\$\$\.Execution(?![.\w])|\$\$(?![.\w])/;

/**
 * Lists what aws-local-stepfunctions 3.0.0 would execute differently from Step Functions, without
 * failing, so the runner can refuse instead:
 * - JSONata (`QueryLanguage: "JSONata"` at any level, or JSONata-only fields): the library lacks it,
 *   the fields are ignored;
 * - `Assign` (variables), on states, Choice rules or catchers: ignored;
 * - Distributed Map's ItemReader/ItemBatcher/ResultWriter and non-zero tolerated failures: the
 *   library runs every Map inline over the input array;
 * - `$$.Execution.Input`/`$$.Execution.StartTime` (or the whole `$$`/`$$.Execution`) inside a Map
 *   iteration or Parallel branch: the library starts each iteration/branch as a child execution
 *   whose context has the item as `Execution.Input` and the real time as `Execution.StartTime`.
 *   Read them in the parent scope (e.g. in the Map's ItemSelector) and pass them down.
 * - a Pass state's falsy `Result` (0, false, "", null): the library passes the input through;
 * - duplicate state names: local handlers and overrides are keyed by state name.
 */
export function unsupportedFeatures(definition: AslDefinition): string[] {
  const problems: string[] = [];
  if (definition.QueryLanguage === 'JSONata') {
    problems.push('QueryLanguage: JSONata (only JSONPath is supported)');
  }
  const seen = new Map<string, string>();
  for (const { name, state, path, depth } of allStates(definition)) {
    const earlier = seen.get(name);
    if (earlier) problems.push(`${path}: duplicate state name (also at ${earlier})`);
    else seen.set(name, path);
    if (state.QueryLanguage === 'JSONata') {
      problems.push(`${path}.QueryLanguage: JSONata (only JSONPath is supported)`);
    }
    for (const field of JSONATA_FIELDS) {
      // `Items` is also a JSONPath-era field name nowhere else; `Condition` only exists in JSONata.
      if (field in state) problems.push(`${path}.${field}: a JSONata field (only JSONPath is supported)`);
    }
    if ('Assign' in state) problems.push(`${path}.Assign: variables are not supported`);
    if (state.Type === 'Pass' && 'Result' in state && !state.Result) {
      // The library tests `if (Result)`: a Result of 0, false, "" or null passes the input instead.
      problems.push(
        `${path}.Result: a falsy Result (${JSON.stringify(state.Result)}) is ignored by the local engine`,
      );
    }
    const nested = [
      ...(Array.isArray(state.Choices)
        ? state.Choices.map((rule, i) => [`Choices[${i}]`, rule] as const)
        : []),
      ...(Array.isArray(state.Catch)
        ? state.Catch.map((catcher, i) => [`Catch[${i}]`, catcher] as const)
        : []),
    ];
    for (const [where, value] of nested) {
      if (!isJsonObject(value)) continue;
      if ('Assign' in value) problems.push(`${path}.${where}.Assign: variables are not supported`);
      if ('Output' in value || 'Condition' in value) {
        problems.push(`${path}.${where}: a JSONata field (only JSONPath is supported)`);
      }
    }
    if (state.Type === 'Map') {
      for (const field of DISTRIBUTED_MAP_FIELDS) {
        if (field in state) {
          problems.push(`${path}.${field}: Distributed Map ${field} is not supported (inline Map only)`);
        }
      }
      for (const field of ['ToleratedFailurePercentage', 'ToleratedFailureCount'] as const) {
        if (typeof state[field] === 'number' && state[field] !== 0) {
          problems.push(`${path}.${field}: tolerated failures are not supported (inline Map only)`);
        }
      }
      for (const field of ['ToleratedFailurePercentagePath', 'ToleratedFailureCountPath'] as const) {
        if (field in state) {
          problems.push(`${path}.${field}: tolerated failures are not supported (inline Map only)`);
        }
      }
    }
    if (depth > 0) {
      for (const [where, value] of pathStrings(state, path)) {
        if (NESTED_CONTEXT_PATH.test(value)) {
          problems.push(
            `${where}: '${value}' inside a Map iteration or Parallel branch is not faithful locally ` +
              '(read $$.Execution.Input/StartTime in the top-level scope and pass the value down)',
          );
        }
      }
    }
  }
  return problems;
}

/** Throws {@link UnsupportedDefinitionError} when {@link unsupportedFeatures} finds anything. */
export function assertRunnable(subject: string, definition: AslDefinition): void {
  const problems = unsupportedFeatures(definition);
  if (problems.length > 0) throw new UnsupportedDefinitionError(subject, problems);
}

/**
 * The strings of a state that are evaluated as paths: values of `*.$` keys and of `*Path` and
 * `Variable` fields, nested scopes excluded (they are visited on their own).
 */
function pathStrings(state: AslState, path: string): [string, string][] {
  const found: [string, string][] = [];
  const walk = (value: JsonValue, where: string, isPath: boolean): void => {
    if (typeof value === 'string') {
      if (isPath) found.push([where, value]);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, `${where}[${i}]`, false);
      });
    } else if (isJsonObject(value)) {
      for (const [key, inner] of Object.entries(value)) {
        walk(inner, `${where}.${key}`, key.endsWith('.$') || key.endsWith('Path') || key === 'Variable');
      }
    }
  };
  for (const [key, value] of Object.entries(state)) {
    if (key === 'ItemProcessor' || key === 'Iterator' || key === 'Branches') continue;
    walk(value, `${path}.${key}`, key.endsWith('Path') || key.endsWith('.$'));
  }
  return found;
}

const RFC3339 =
  /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

/** Whether a string is an RFC 3339 timestamp, as Step Functions requires of Wait timestamps. */
export function isRfc3339(value: string): boolean {
  return RFC3339.test(value);
}
