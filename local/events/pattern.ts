// Over 500 lines on purpose: one recursive grammar (objects, $or, leaves, operators) whose parts call each other.
import { BlockList, isIP } from 'node:net';

/**
 * EventBridge event patterns, as AWS documents them in the EventBridge user guide (pages
 * eb-event-patterns, eb-create-pattern-operators, eb-event-patterns-content-based-filtering,
 * eb-event-patterns-null-values and eb-event-patterns-arrays), and as event-ruler, the open-source
 * matching library behind EventBridge, implements them where the guide is silent.
 *
 * A pattern is an object. A key whose value is an array is a leaf: the event field matches when
 * ANY element of the array matches it (an exact value or one operator object). A key whose value
 * is an object descends into the event's object of that name. `$or` holds two or more patterns,
 * one of which must match. Every key of a pattern must match (AND).
 *
 * Matching works as event-ruler's does, on flattened names:
 *  - Both sides are flattened to field paths whose keys are joined with dots, so a key with a dot
 *    in it is indistinguishable from nesting. A pattern key "a.b" matches an event field literally
 *    named "a.b" AND the field b inside an object a; a nested pattern { a: { b } } matches both as
 *    well. event-ruler's README states this ("Compiled rules and JSON keys with dots": the two
 *    spellings "compile to the same internal representation" and match the same events), and
 *    GenericMachine.isFieldStepUsed says the dot "from original event" cannot be told from the
 *    one "added by us when we flatten the event". The README adds that this "may change in future
 *    version"; local mode follows what the library does today.
 *  - `$or` is expanded into alternatives, each a set of field paths that must all match, as
 *    JsonRuleCompiler does. A field named outside a `$or` and inside one of its branches (or
 *    spelt once with a dot and once nested) would be ONE path with two constraints in an
 *    alternative; event-ruler keeps only the one that comes last in the pattern (its compiler
 *    overwrites the path, and newer versions can refuse it as "Path cannot be allowed multiple
 *    times"), so local mode refuses the pattern instead of choosing. Different fields outside and
 *    inside a `$or` simply must all hold: the outer fields AND one branch.
 *  - Values in the event: an array matches when any of its elements matches (the intersection of
 *    the pattern's array and the event's array is non-empty). Arrays are matched consistently, as
 *    `rulesForJSONEvent` does: the fields one alternative matches may not come from different
 *    elements of the same event array. `exists: false` holds when no field of that path is
 *    consistent with the fields matched before it in path order (ACFinder checks absence at that
 *    point, with the array elements chosen so far). An object is not a leaf value: only
 *    `exists: false` matches it ("Exists matching only works on leaf nodes").
 *
 * Anything this module cannot match exactly as AWS does, and anything PutRule refuses, is refused
 * by {@link validatePattern} (local mode then refuses the rule) rather than matched some other way.
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

/** What one pattern field asks of the event's values at its path. */
interface FieldTest {
  /** The flattened event path: keys joined with dots, as event-ruler joins them. */
  path: string;
  /** A present leaf value satisfies the field (an exact value, an operator, `exists: true`). */
  accepts: ValueMatcher;
  /** `exists: false` is among the field's values. */
  allowsAbsent: boolean;
}

/** One alternative of a pattern: every field must match. Sorted by path, as event-ruler walks them. */
type Alternative = readonly FieldTest[];

/** A compiled pattern: validated once, then matched against any number of events. */
export type EventMatcher = (event: unknown) => boolean;

/**
 * Everything wrong with a pattern, one message per problem, each naming its path
 * (`detail.state[0].anything-but`). Empty when local mode can match the pattern exactly.
 */
export function validatePattern(pattern: unknown): string[] {
  const problems: string[] = [];
  compileRoot(pattern, problems);
  return problems;
}

/**
 * Validates a pattern once and returns its matcher. Throws {@link UnsupportedPatternError} listing
 * every problem when the pattern is invalid or uses something local mode does not support.
 */
export function compilePattern(pattern: unknown, what = 'event pattern'): EventMatcher {
  const problems: string[] = [];
  const alternatives = compileRoot(pattern, problems);
  if (problems.length > 0) {
    throw new UnsupportedPatternError(
      `${what} cannot be matched locally:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
  return (event) => {
    const fields = flattenEvent(event);
    return alternatives.some((alternative) => matchAlternative(alternative, fields));
  };
}

/** Whether `event` matches `pattern` (throws {@link UnsupportedPatternError} for a pattern it refuses). */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a pattern says something, for messages (`detail.$or[1].state`). */
function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The flattened path of `key` below `parent` (undefined at the top, so a key "" stays distinct). */
function step(parent: string | undefined, key: string): string {
  return parent === undefined ? key : `${parent}.${key}`;
}

function compileRoot(pattern: unknown, problems: string[]): Alternative[] {
  const alternatives = compileObject(pattern, undefined, '', problems, true);
  return alternatives.map((fields) =>
    [...fields].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  );
}

/** A pattern object (the whole pattern, a nested object, or a branch of `$or`), as alternatives. */
function compileObject(
  pattern: unknown,
  prefix: string | undefined,
  at: string,
  problems: string[],
  root: boolean,
): FieldTest[][] {
  const where = at || 'the pattern';
  if (!isObject(pattern)) {
    problems.push(`${where}: must be a JSON object, got ${describe(pattern)}`);
    return [];
  }
  const entries = Object.entries(pattern);
  if (entries.length === 0) {
    problems.push(
      `${where}: ${root ? 'an empty pattern matches nothing useful and is refused' : 'is empty'}`,
    );
    return [];
  }
  let alternatives: FieldTest[][] = [[]];
  for (const [key, value] of entries) {
    const fieldAt = join(at, key);
    if (key === '$or') {
      alternatives = combine(alternatives, compileOr(value, prefix, fieldAt, problems), problems);
    } else if (Array.isArray(value)) {
      alternatives = combine(
        alternatives,
        [[compileLeaf(value, step(prefix, key), fieldAt, problems)]],
        problems,
      );
    } else if (isObject(value)) {
      alternatives = combine(
        alternatives,
        compileObject(value, step(prefix, key), fieldAt, problems, false),
        problems,
      );
    } else {
      problems.push(
        `${fieldAt}: a pattern field must be an array of values or a nested object, got ${describe(value)}`,
      );
    }
  }
  return alternatives;
}

/** Every alternative of `left` AND every alternative of `right`, refusing a path named in both. */
function combine(left: FieldTest[][], right: FieldTest[][], problems: string[]): FieldTest[][] {
  const combined: FieldTest[][] = [];
  for (const fields of left) {
    const paths = new Set(fields.map((field) => field.path));
    for (const more of right) {
      for (const field of more) {
        if (!paths.has(field.path)) continue;
        const problem = `${field.path}: named twice in one alternative (outside and inside $or, or with a dot and nested); EventBridge would keep only one of the two conditions, so write the field in one place (inside each $or branch if need be)`;
        if (!problems.includes(problem)) problems.push(problem);
      }
      combined.push([...fields, ...more]);
    }
  }
  return combined;
}

/**
 * `$or`: an array of two or more patterns (event-ruler treats any other shape as a field literally
 * named "$or"; local mode refuses that ambiguity instead). Its branches add no step to the path.
 */
function compileOr(
  value: unknown,
  prefix: string | undefined,
  at: string,
  problems: string[],
): FieldTest[][] {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
    problems.push(`${at}: $or needs an array of at least two pattern objects`);
    return [];
  }
  return value.flatMap((branch, i) => {
    for (const key of Object.keys(branch)) {
      if (OPERATORS.has(key)) {
        problems.push(`${at}[${i}]: "${key}" is an operator, not a field: each $or branch is a pattern`);
      }
    }
    return compileObject(branch, prefix, `${at}[${i}]`, problems, false);
  });
}

/** An event leaf value with the array elements it sits in (array id → element index). */
interface EventField {
  value: Leaf;
  membership: ReadonlyMap<number, number>;
}

/**
 * The event as event-ruler's Event sees it: every leaf value under its dotted path, each with the
 * elements of the event arrays it sits in. Objects and empty arrays contribute no value of their own.
 */
function flattenEvent(event: unknown): Map<string, EventField[]> {
  const fields = new Map<string, EventField[]>();
  let arrays = 0;
  const walk = (value: unknown, path: string | undefined, membership: ReadonlyMap<number, number>) => {
    if (Array.isArray(value)) {
      const id = arrays++;
      value.forEach((element, index) => {
        walk(element, path, new Map(membership).set(id, index));
      });
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, step(path, key), membership);
    } else if (path !== undefined && isLeaf(value)) {
      const list = fields.get(path);
      if (list) list.push({ value, membership });
      else fields.set(path, [{ value, membership }]);
    }
  };
  if (isObject(event)) walk(event, undefined, new Map());
  return fields;
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

/** `a` and `b` together, or undefined when they sit in different elements of one array. */
function consistent(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
): ReadonlyMap<number, number> | undefined {
  let merged = a;
  for (const [array, index] of b) {
    const mine = a.get(array);
    if (mine === undefined) merged = new Map(merged).set(array, index);
    else if (mine !== index) return undefined;
  }
  return merged;
}

/**
 * Whether the event's fields satisfy every field of one alternative, choosing for each a value in
 * array elements consistent with the values chosen before it (in path order, as ACFinder walks).
 */
function matchAlternative(alternative: Alternative, fields: Map<string, EventField[]>): boolean {
  const choose = (i: number, membership: ReadonlyMap<number, number>): boolean => {
    const test = alternative[i];
    if (test === undefined) return true;
    const candidates = fields.get(test.path) ?? [];
    for (const field of candidates) {
      if (!test.accepts(field.value)) continue;
      const merged = consistent(membership, field.membership);
      if (merged && choose(i + 1, merged)) return true;
    }
    return (
      test.allowsAbsent &&
      !candidates.some((field) => consistent(membership, field.membership)) &&
      choose(i + 1, membership)
    );
  };
  return choose(0, new Map());
}

function compileLeaf(values: readonly unknown[], path: string, at: string, problems: string[]): FieldTest {
  if (values.length === 0) {
    problems.push(`${at}: an empty array matches nothing; list at least one value`);
    return { path, accepts: () => false, allowsAbsent: false };
  }
  const conditions = values.map((value, i) => compileCondition(value, `${at}[${i}]`, problems));
  const matchers: ValueMatcher[] = [];
  let anyValue = false;
  let allowsAbsent = false;
  for (const condition of conditions) {
    if (condition.kind === 'value') matchers.push(condition.match);
    else if (condition.exists) anyValue = true;
    else allowsAbsent = true;
  }
  return {
    path,
    accepts: anyValue ? () => true : (leaf) => matchers.some((match) => match(leaf)),
    allowsAbsent,
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
  if (ignoreCase) {
    const cased = caseVariants(text, at, problems);
    if (!cased) return undefined;
    const test =
      operator === 'prefix'
        ? (s: string) => startsWithIgnoringCase(s, cased)
        : operator === 'suffix'
          ? (s: string) => endsWithIgnoringCase(s, cased)
          : (s: string) => equalsIgnoringCase(s, cased);
    return (leaf) => typeof leaf === 'string' && test(leaf);
  }
  const expected = text;
  const test =
    operator === 'prefix' ? (s: string) => s.startsWith(expected) : (s: string) => s.endsWith(expected);
  return (leaf) => typeof leaf === 'string' && test(leaf);
}

/**
 * The ignore-case operators, as event-ruler compiles them (EqualsIgnoreCaseParser): each UTF-16
 * unit c of the pattern matches exactly `c.toLowerCase(Locale.ROOT)` or `c.toUpperCase(Locale.ROOT)`
 * in the event, one unit at a time and with Java's full (one-to-many) mappings. That is not
 * Unicode case folding, and local mode copies it rather than folding both sides:
 *  - "ÄPFEL" matches "äpfel", "Äpfel" and "äPfEl";
 *  - "ß" matches "ß" and "SS" (its upper case), but "SS" does not match "ß"; "straße" matches "STRASSE";
 *  - Greek: "Σ" matches "σ" and "Σ" but not the final "ς"; "ς" matches "ς" and "Σ";
 *  - Turkish: "ı" matches "ı" and "I"; "I" matches "i" and "I" only; "İ" matches "İ" and "i̇"
 *    (i with a combining dot above, its lower case), not a plain "i";
 *  - a titlecase letter matches only its lower and upper case: "ǅ" matches "ǆ" and "Ǆ", not "ǅ".
 * JavaScript's toLowerCase/toUpperCase apply the same locale-independent Unicode mappings as
 * Java's with Locale.ROOT. A character outside the Basic Multilingual Plane is two UTF-16 units,
 * which event-ruler cases separately (each an unpaired surrogate that Java encodes as "?"), so
 * such a pattern cannot mean what it says in EventBridge and local mode refuses it.
 */
function caseVariants(text: string, at: string, problems: string[]): string[][] | undefined {
  const astral = /[\uD800-\uDFFF]/.exec(text);
  if (astral) {
    const code = (text.codePointAt(astral.index) ?? 0).toString(16).toUpperCase();
    problems.push(
      `${at}: "${text}" has U+${code}, outside the Basic Multilingual Plane; EventBridge ignores case one UTF-16 unit at a time and cannot match it, so local mode refuses it (drop equals-ignore-case, or the character)`,
    );
    return undefined;
  }
  return text.split('').map((unit) => [...new Set([unit.toLowerCase(), unit.toUpperCase()])]);
}

/** The offsets of `s` at which the cased pattern can end when it starts at 0. */
function caseEnds(s: string, cased: readonly string[][]): Set<number> {
  let offsets = new Set([0]);
  for (const variants of cased) {
    const next = new Set<number>();
    for (const offset of offsets) {
      for (const variant of variants) if (s.startsWith(variant, offset)) next.add(offset + variant.length);
    }
    if (next.size === 0) return next;
    offsets = next;
  }
  return offsets;
}

function equalsIgnoringCase(s: string, cased: readonly string[][]): boolean {
  return caseEnds(s, cased).has(s.length);
}

function startsWithIgnoringCase(s: string, cased: readonly string[][]): boolean {
  return caseEnds(s, cased).size > 0;
}

/** Matched from the end, as event-ruler reverses a suffix (SuffixEqualsIgnoreCaseParser). */
function endsWithIgnoringCase(s: string, cased: readonly string[][]): boolean {
  let offsets = new Set([s.length]);
  for (let i = cased.length - 1; i >= 0; i--) {
    const next = new Set<number>();
    for (const offset of offsets) {
      for (const variant of cased[i] ?? []) {
        const from = offset - variant.length;
        if (from >= 0 && s.startsWith(variant, from)) next.add(from);
      }
    }
    if (next.size === 0) return false;
    offsets = next;
  }
  return true;
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
      if (value === '') {
        // An empty prefix would exclude every string. PutRule refuses it: "Null prefix/suffix not allowed".
        problems.push(
          `${innerAt}: an empty ${inner} would exclude every string; EventBridge refuses it ("Null prefix/suffix not allowed")`,
        );
        return undefined;
      }
      excluded = inner === 'prefix' ? (s) => s.startsWith(value) : (s) => s.endsWith(value);
      break;
    }
    case 'equals-ignore-case': {
      const list = stringList(value, innerAt, problems);
      if (!list) return undefined;
      const cased: string[][][] = [];
      for (const [i, item] of list.entries()) {
        const variants = caseVariants(item, `${innerAt}[${i}]`, problems);
        if (!variants) return undefined;
        cased.push(variants);
      }
      excluded = (s) => cased.some((variants) => equalsIgnoringCase(s, variants));
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
    // event-ruler's Range.between refuses a bottom that is not below the top ("Bottom must be less
    // than top"), so PutRule does: an empty range, and an equal pair, are mistakes, not filters.
    if (low >= high) {
      return fail(
        `the lower bound ${low} of a numeric range must be below its upper bound ${high}; EventBridge refuses it ("Bottom must be less than top")`,
      );
    }
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
