/**
 * JSON values as local mode passes them between handlers, state machines and the event bus, and
 * reference paths (`$.a.b[0]`), which Step Functions and EventBridge targets read alike.
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Segment = string | number;

/**
 * Parses a reference path (`$`, `$.a.b`, `$['a b'][0]`, `$$.Execution.Id`): the only kind of
 * path `SecondsPath`/`TimestampPath` accept. Returns undefined for anything else (wildcards,
 * filters, slices).
 */
export function parseReferencePath(path: string): { root: '$' | '$$'; segments: Segment[] } | undefined {
  const root = path.startsWith('$$') ? '$$' : path.startsWith('$') ? '$' : undefined;
  if (!root) return undefined;
  const segments: Segment[] = [];
  let rest = path.slice(root.length);
  const dotted = /^\.([A-Za-z_][\w-]*)/;
  const quoted = /^\[(?:'([^']*)'|"([^"]*)")\]/;
  const indexed = /^\[(\d+)\]/;
  while (rest.length > 0) {
    const dot = dotted.exec(rest);
    const quote = dot ? null : quoted.exec(rest);
    const index = dot || quote ? null : indexed.exec(rest);
    if (dot) segments.push(dot[1]!);
    else if (quote) segments.push(quote[1] ?? quote[2]!);
    else if (index) segments.push(Number(index[1]));
    else return undefined;
    rest = rest.slice((dot ?? quote ?? index)![0].length);
  }
  return { root, segments };
}

/** Evaluates a reference path; undefined when it points to nothing. */
export function evaluateReferencePath(
  path: string,
  input: JsonValue,
  context: JsonValue,
): JsonValue | undefined {
  const parsed = parseReferencePath(path);
  if (!parsed) throw new Error(`'${path}' is not a reference path`);
  let current: JsonValue | undefined = parsed.root === '$$' ? context : input;
  for (const segment of parsed.segments) {
    if (typeof segment === 'number') {
      current = Array.isArray(current) ? current[segment] : undefined;
    } else {
      current = isJsonObject(current) ? current[segment] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}
