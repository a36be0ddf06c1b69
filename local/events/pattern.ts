// Over 500 lines on purpose: one recursive grammar (objects, $or, leaves, operators) whose parts call each other.
import { BlockList, isIP } from 'node:net';

/**
 * EventBridge event patterns, as AWS documents them:
 *  - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 *  - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *  - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 *  - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
 *  - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 *  - the README of aws/event-ruler, the matching library behind EventBridge, where the pages above
 *    are silent (wildcard escapes, when `$or` is an operator, arrays of objects).
 *
 * A pattern is an object. A key whose value is an array is a leaf: the event field matches when
 * ANY element of the array matches it (an exact value or one operator object). A key whose value
 * is an object descends into the event's object of that name. `$or` holds two or more patterns,
 * one of which must match. Every key of a pattern must match (AND).
 *
 * Values in the event: an array matches when any of its elements matches (the intersection of the
 * pattern's array and the event's array is non-empty); an array of objects matches a nested pattern
 * when one element matches the whole nested pattern (fields from different elements are not
 * combined, as event-ruler's `rulesForJSONEvent` does). An object is not a leaf value: only
 * `exists: false` matches it ("Exists matching only works on leaf nodes").
 *
 * Anything this module cannot match exactly as AWS does is refused by {@link validatePattern}
 * (local mode then refuses the rule) rather than matched some other way.
 */

/** An operator or a whole pattern that local mode will not match (the message says where and why). */
export class UnsupportedPatternError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

/** The documented range of numeric matching ("between -1.0e9 and +1.0e9 inclusive"). */
const NUMERIC_LIMIT = 1e9;

type Leaf = string | number | boolean | null;
type ValueMatcher = (value: Leaf) => boolean;
type Condition = { kind: 'value'; match: ValueMatcher } | { kind: 'exists'; exists: boolean };
type Compiled = (value: unknown) => boolean;

/** A compiled pattern: validated once, then matched against any number of events. */
export type EventMatcher = (event: unknown) => boolean;

/**
 * Everything wrong with a pattern, one message per problem, each naming its path
 * (`detail.state[0].anything-but`). Empty when local mode can match the pattern exactly.
 */
export function validatePattern(pattern: unknown): string[] {
  const problems: string[] = [];
  compileObject(pattern, '', problems, true);
  return problems;
}

/**
 * Validates a pattern once and returns its matcher. Throws {@link UnsupportedPatternError} listing
 * every problem when the pattern is invalid or uses something local mode does not support.
 */
export function compilePattern(pattern: unknown, what = 'event pattern'): EventMatcher {
  const problems: string[] = [];
  const compiled = compileObject(pattern, '', problems, true);
  if (problems.length > 0) {
    throw new UnsupportedPatternError(
      `${what} cannot be matched locally:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
  return (event) => compiled(event);
}

/** Whether `event` matches `pattern` (throws {@link UnsupportedPatternError} for a pattern it refuses). */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A pattern object (the whole pattern, a nested object, or a branch of `$or`). */
function compileObject(pattern: unknown, path: string, problems: string[], root: boolean): Compiled {
  const where = path || 'the pattern';
  if (!isObject(pattern)) {
    problems.push(`${where}: must be a JSON object, got ${describe(pattern)}`);
    return () => false;
  }
  const entries = Object.entries(pattern);
  if (entries.length === 0) {
    problems.push(
      `${where}: ${root ? 'an empty pattern matches nothing useful and is refused' : 'is empty'}`,
    );
    return () => false;
  }
  const fields: Array<(event: Record<string, unknown>) => boolean> = [];
  for (const [key, value] of entries) {
    const fieldPath = join(path, key);
    if (key === '$or') {
      fields.push(compileOr(value, fieldPath, problems));
    } else if (Array.isArray(value)) {
      const leaf = compileLeaf(value, fieldPath, problems);
      fields.push((event) => leaf(Object.hasOwn(event, key) ? event[key] : MISSING));
    } else if (isObject(value)) {
      const nested = compileObject(value, fieldPath, problems, false);
      fields.push((event) => matchNested(nested, Object.hasOwn(event, key) ? event[key] : MISSING));
    } else {
      problems.push(
        `${fieldPath}: a pattern field must be an array of values or a nested object, got ${describe(value)}`,
      );
    }
  }
  return (event) => {
    const object = isObject(event) ? event : {};
    return fields.every((field) => field(object));
  };
}

/**
 * `$or`: an array of two or more patterns (event-ruler treats any other shape as a field literally
 * named "$or"; local mode refuses that ambiguity instead).
 */
function compileOr(
  value: unknown,
  path: string,
  problems: string[],
): (event: Record<string, unknown>) => boolean {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
    problems.push(`${path}: $or needs an array of at least two pattern objects`);
    return () => false;
  }
  const branches = value.map((branch, i) => {
    for (const key of Object.keys(branch)) {
      if (OPERATORS.has(key)) {
        problems.push(`${path}[${i}]: "${key}" is an operator, not a field: each $or branch is a pattern`);
      }
    }
    return compileObject(branch, `${path}[${i}]`, problems, false);
  });
  return (event) => branches.some((branch) => branch(event));
}

const MISSING = Symbol('missing');

/** A nested pattern against the event's value at that key. */
function matchNested(nested: Compiled, value: unknown): boolean {
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isObject);
    // An array without objects has no sub-fields; the nested pattern is then matched against
    // nothing (so `exists: false` below it matches, anything else does not).
    return objects.length === 0 ? nested({}) : objects.some((element) => nested(element));
  }
  return nested(isObject(value) ? value : {});
}

function flatten(values: readonly unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? flatten(value) : [value]));
}

/** The leaf values of an event field: none when missing or an object (an intermediate node). */
function leafValues(value: unknown): Leaf[] {
  if (value === MISSING || value === undefined) return [];
  if (Array.isArray(value)) return flatten(value).filter(isLeaf);
  return isLeaf(value) ? [value] : [];
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function compileLeaf(values: readonly unknown[], path: string, problems: string[]): Compiled {
  if (values.length === 0) {
    problems.push(`${path}: an empty array matches nothing; list at least one value`);
    return () => false;
  }
  const conditions = values.map((value, i) => compileCondition(value, `${path}[${i}]`, problems));
  return (value) => {
    const leaves = leafValues(value);
    return conditions.some((condition) =>
      condition.kind === 'exists'
        ? condition.exists === leaves.length > 0
        : leaves.some((leaf) => condition.match(leaf)),
    );
  };
}

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
]);

function compileCondition(value: unknown, path: string, problems: string[]): Condition {
  if (value === null || typeof value === 'boolean') return { kind: 'value', match: (leaf) => leaf === value };
  if (typeof value === 'string') return { kind: 'value', match: (leaf) => leaf === value };
  if (typeof value === 'number') {
    // Exact numeric values compare as numbers: events here are parsed JSON, in which 300 and
    // 300.0 are already the same value (EventBridge compares the raw JSON text).
    return { kind: 'value', match: (leaf) => leaf === value };
  }
  if (!isObject(value)) {
    problems.push(
      `${path}: expected a string, number, boolean, null or an operator object, got ${describe(value)}`,
    );
    return never;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    problems.push(`${path}: an operator object has exactly one operator, got ${JSON.stringify(keys)}`);
    return never;
  }
  const operator = keys[0]!;
  const operand = value[operator];
  const at = `${path}.${operator}`;
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      return valueCondition(stringOperator(operator, operand, at, problems));
    case 'wildcard':
      return valueCondition(wildcardMatcher(operand, at, problems));
    case 'anything-but':
      return valueCondition(anythingBut(operand, at, problems));
    case 'numeric':
      return valueCondition(numericMatcher(operand, at, problems));
    case 'cidr':
      return valueCondition(cidrMatcher(operand, at, problems));
    case 'exists':
      if (typeof operand !== 'boolean') {
        problems.push(`${at}: exists takes true or false, got ${describe(operand)}`);
        return never;
      }
      return { kind: 'exists', exists: operand };
    default:
      problems.push(
        `${path}: unsupported operator "${operator}" (local mode matches ${[...OPERATORS].join(', ')} and $or)`,
      );
      return never;
  }
}

const never: Condition = { kind: 'value', match: () => false };

function valueCondition(match: ValueMatcher | undefined): Condition {
  return match ? { kind: 'value', match } : never;
}

/**
 * `prefix`, `suffix` (a string, or `{ "equals-ignore-case": string }`) and `equals-ignore-case`
 * (a string). They apply to string values only.
 */
function stringOperator(
  operator: 'prefix' | 'suffix' | 'equals-ignore-case',
  operand: unknown,
  at: string,
  problems: string[],
): ValueMatcher | undefined {
  let text: unknown = operand;
  let ignoreCase = operator === 'equals-ignore-case';
  if (operator !== 'equals-ignore-case' && isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      problems.push(`${at}: ${operator} takes a string or { "equals-ignore-case": string }`);
      return undefined;
    }
    text = operand['equals-ignore-case'];
    ignoreCase = true;
  }
  if (typeof text !== 'string') {
    problems.push(`${at}: ${operator} takes a string, got ${describe(text)}`);
    return undefined;
  }
  const expected = ignoreCase ? fold(text) : text;
  const test =
    operator === 'prefix'
      ? (s: string) => s.startsWith(expected)
      : operator === 'suffix'
        ? (s: string) => s.endsWith(expected)
        : (s: string) => s === expected;
  return (leaf) => typeof leaf === 'string' && test(ignoreCase ? fold(leaf) : leaf);
}

/** Case folding for the ignore-case operators. */
function fold(text: string): string {
  return text.toLowerCase();
}

/**
 * `wildcard`: `*` matches zero or more characters; consecutive `*` are not allowed; `\*` is a
 * literal asterisk and `\\` a literal backslash; a backslash before anything else is invalid
 * (event-ruler README, "Wildcard matching").
 */
function wildcardMatcher(operand: unknown, at: string, problems: string[]): ValueMatcher | undefined {
  const regex = wildcardRegex(operand, at, problems);
  return regex ? (leaf) => typeof leaf === 'string' && regex.test(leaf) : undefined;
}

function wildcardRegex(operand: unknown, at: string, problems: string[]): RegExp | undefined {
  if (typeof operand !== 'string') {
    problems.push(`${at}: wildcard takes a string, got ${describe(operand)}`);
    return undefined;
  }
  let source = '';
  let previousWasWildcard = false;
  for (let i = 0; i < operand.length; i++) {
    const char = operand[i]!;
    if (char === '\\') {
      const next = operand[i + 1];
      if (next !== '*' && next !== '\\') {
        problems.push(`${at}: in "${operand}", a backslash may only escape * or \\`);
        return undefined;
      }
      source += escapeRegex(next);
      i += 1;
      previousWasWildcard = false;
    } else if (char === '*') {
      if (previousWasWildcard) {
        problems.push(`${at}: "${operand}" has consecutive wildcard characters, which EventBridge rejects`);
        return undefined;
      }
      source += '.*';
      previousWasWildcard = true;
    } else {
      source += escapeRegex(char);
      previousWasWildcard = false;
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `anything-but`: a string, a number, a list of only strings or only numbers, or one of
 * `{prefix}`, `{suffix}`, `{"equals-ignore-case": string | string[]}`, `{wildcard: string | string[]}`.
 * It matches any present leaf value that is not excluded (a null is not excluded by a string; a
 * missing field never matches, since there is no value to compare).
 */
function anythingBut(operand: unknown, at: string, problems: string[]): ValueMatcher | undefined {
  if (typeof operand === 'string' || typeof operand === 'number') {
    return (leaf) => leaf !== operand;
  }
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number');
    if (operand.length === 0 || !(allStrings || allNumbers)) {
      problems.push(`${at}: an anything-but list must be non-empty and hold only strings or only numbers`);
      return undefined;
    }
    const excluded = new Set<unknown>(operand);
    return (leaf) => !excluded.has(leaf);
  }
  if (!isObject(operand)) {
    problems.push(`${at}: anything-but takes a string, a number, a list of them, or an operator object`);
    return undefined;
  }
  const keys = Object.keys(operand);
  const inner = keys[0];
  if (keys.length !== 1 || inner === undefined) {
    problems.push(`${at}: anything-but takes exactly one of prefix, suffix, equals-ignore-case, wildcard`);
    return undefined;
  }
  const value = operand[inner];
  const innerAt = `${at}.${inner}`;
  let excluded: ((s: string) => boolean) | undefined;
  switch (inner) {
    case 'prefix':
    case 'suffix': {
      if (typeof value !== 'string') {
        problems.push(`${innerAt}: takes a string, got ${describe(value)}`);
        return undefined;
      }
      excluded = inner === 'prefix' ? (s) => s.startsWith(value) : (s) => s.endsWith(value);
      break;
    }
    case 'equals-ignore-case': {
      const list = stringList(value, innerAt, problems);
      if (!list) return undefined;
      const folded = new Set(list.map(fold));
      excluded = (s) => folded.has(fold(s));
      break;
    }
    case 'wildcard': {
      const list = stringList(value, innerAt, problems);
      if (!list) return undefined;
      const regexes = list.map((item, i) => wildcardRegex(item, `${innerAt}[${i}]`, problems));
      if (regexes.some((regex) => !regex)) return undefined;
      excluded = (s) => regexes.some((regex) => regex!.test(s));
      break;
    }
    default:
      problems.push(
        `${at}: unsupported anything-but operator "${inner}" (local mode supports prefix, suffix, equals-ignore-case, wildcard)`,
      );
      return undefined;
  }
  const isExcluded = excluded;
  return (leaf) => typeof leaf !== 'string' || !isExcluded(leaf);
}

function stringList(value: unknown, at: string, problems: string[]): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string')) {
    problems.push(`${at}: takes a string or a non-empty list of strings, got ${describe(value)}`);
    return undefined;
  }
  return list;
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

/**
 * `numeric`: `["=", n]`, one bound (`[">", n]`, `["<=", n]`, …) or a lower then an upper bound
 * (`[">", 0, "<=", 5]`). Only JSON numbers match, within the documented ±1e9.
 */
function numericMatcher(operand: unknown, at: string, problems: string[]): ValueMatcher | undefined {
  const fail = (reason: string): undefined => {
    problems.push(`${at}: ${reason}, got ${JSON.stringify(operand)}`);
    return undefined;
  };
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    return fail(
      'numeric takes [operator, number] or [lower-bound operator, number, upper-bound operator, number]',
    );
  }
  const tests: Array<(n: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const operator = operand[i];
    const bound = operand[i + 1];
    if (typeof bound !== 'number' || !Number.isFinite(bound)) return fail('numeric bounds must be numbers');
    if (Math.abs(bound) > NUMERIC_LIMIT) return fail(`numeric bounds must lie within ±${NUMERIC_LIMIT}`);
    switch (operator) {
      case '=':
        tests.push((n) => n === bound);
        break;
      case '>':
        tests.push((n) => n > bound);
        break;
      case '>=':
        tests.push((n) => n >= bound);
        break;
      case '<':
        tests.push((n) => n < bound);
        break;
      case '<=':
        tests.push((n) => n <= bound);
        break;
      default:
        return fail(`unknown numeric operator ${JSON.stringify(operator)} (=, <, <=, >, >=)`);
    }
  }
  if (operand.length === 4) {
    const [lower, low, upper, high] = operand as [string, number, string, number];
    if (!LOWER_BOUNDS.has(lower) || !UPPER_BOUNDS.has(upper)) {
      return fail('a numeric range is a lower bound (> or >=) followed by an upper bound (< or <=)');
    }
    if (low > high) return fail('the lower bound of a numeric range is above its upper bound');
  }
  return (leaf) =>
    typeof leaf === 'number' && Math.abs(leaf) <= NUMERIC_LIMIT && tests.every((test) => test(leaf));
}

/** `cidr`: an IPv4 or IPv6 block; matches string values that are addresses inside it. */
function cidrMatcher(operand: unknown, at: string, problems: string[]): ValueMatcher | undefined {
  const match = typeof operand === 'string' ? /^(.+)\/(\d{1,3})$/.exec(operand) : null;
  const address = match?.[1];
  const family = address ? isIP(address) : 0;
  const prefix = Number(match?.[2]);
  if (!address || family === 0 || prefix > (family === 4 ? 32 : 128)) {
    problems.push(`${at}: cidr takes an IPv4 or IPv6 block such as "10.0.0.0/24", got ${describe(operand)}`);
    return undefined;
  }
  const block = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  block.addSubnet(address, prefix, type);
  return (leaf) => {
    if (typeof leaf !== 'string') return false;
    const leafFamily = isIP(leaf);
    return leafFamily !== 0 && block.check(leaf, leafFamily === 4 ? 'ipv4' : 'ipv6');
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
