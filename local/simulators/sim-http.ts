import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedRequest, SimRequest, SimResponse } from './sim-types.ts';

// The HTTP plumbing under every simulator (base.ts runs the server): reading and parsing a
// request, matching paths, recording requests with credentials removed, sending answers, the
// fault-switch body check and sample media.

export function faultProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'faults must be a JSON object';
  const allowed = new Set(['rateLimit', 'serverError', 'timeoutAfterAccept', 'expireTokens']);
  for (const [key, value] of Object.entries(body)) {
    if (!allowed.has(key)) return `unknown fault '${key}' (use ${[...allowed].join(', ')})`;
    if (key === 'expireTokens') {
      if (typeof value !== 'boolean') return 'expireTokens must be true or false';
      continue;
    }
    if (!value || typeof value !== 'object') return `${key} must be an object with a count`;
    const fault = value as Record<string, unknown>;
    if (!Number.isInteger(fault.count) || (fault.count as number) < 0)
      return `${key}.count must be a whole number`;
    if (key === 'rateLimit' && !(typeof fault.resetSeconds === 'number' && fault.resetSeconds >= 0)) {
      return 'rateLimit.resetSeconds must be a number of seconds';
    }
  }
  return undefined;
}

export function pathMatches(filter: string, path: string): boolean {
  return filter.endsWith('*') ? path.startsWith(filter.slice(0, -1)) : path === filter;
}

export function compilePath(pattern: string): (path: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (path) => {
    const m = regex.exec(path);
    if (!m) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(m[i + 1] ?? '')]));
  };
}

export function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m?.[1]?.trim();
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function parseInto(req: SimRequest): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (req.raw.length === 0) return;
  if (type === 'application/json') {
    try {
      req.body = JSON.parse(req.raw.toString('utf8'));
    } catch {
      req.body = undefined;
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    req.body = formObject(new URLSearchParams(req.raw.toString('utf8')));
  } else if (type === 'multipart/form-data') {
    const request = new Request('http://simulator.invalid/', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type']) },
      body: req.raw,
    });
    req.form = await request.formData();
  }
}

/** A form as an object; repeated keys (`media_ids[]`) become arrays. */
export function formObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = out[key];
    if (existing === undefined) out[key] = key.endsWith('[]') ? [value] : value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

const SECRET_KEY = /pass(word)?|token|secret|jwt|authori[sz]ation|code_verifier|cookie|api[-_]?key/i;

export function record(req: SimRequest, at: Date): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization') headers[name] = `${text.split(' ')[0] ?? ''} [redacted]`;
    else headers[name] = SECRET_KEY.test(name) ? '[redacted]' : text;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(req.query.keys())) {
    const values = req.query.getAll(key).map((v) => (SECRET_KEY.test(key) ? '[redacted]' : v));
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  let body: unknown;
  if (req.form) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of req.form) {
      fields[key] =
        typeof value === 'string'
          ? SECRET_KEY.test(key)
            ? '[redacted]'
            : value
          : { file: value.name, bytes: value.size, type: value.type };
    }
    body = { multipart: fields };
  } else if (req.body !== undefined) {
    body = redactDeep(req.body);
  } else if (req.raw.length > 0) {
    body = { bytes: req.raw.length, contentType: req.headers['content-type'] ?? '' };
  }
  return { method: req.method, path: req.path, query, headers, body, at: at.toISOString() };
}

export function redactDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && typeof v === 'string' ? '[redacted]' : redactDeep(v),
      ]),
    );
  }
  return value;
}

export function withHeaders(response: SimResponse, headers: Record<string, string>): SimResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

export function send(res: ServerResponse, response: SimResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | Uint8Array = '';
  if (response.json !== undefined) {
    headers['content-type'] ??= 'application/json; charset=utf-8';
    payload = JSON.stringify(response.json);
  } else if (response.bytes !== undefined) {
    payload = response.bytes;
  } else if (response.text !== undefined) {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    payload = response.text;
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

// A 1×1 PNG, so an image a simulator serves is a real image.
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** Sample media bytes by file extension: a real 1×1 PNG, or padded stand-ins for JPEG and MP4. */
export function sampleMedia(name: string, size: number): SimResponse {
  const extension = name.split('.').pop()?.toLowerCase() ?? '';
  if (extension === 'png') {
    const bytes =
      size > PNG_1X1.length ? Buffer.concat([PNG_1X1, Buffer.alloc(size - PNG_1X1.length)]) : PNG_1X1;
    return { status: 200, bytes, headers: { 'content-type': 'image/png' } };
  }
  if (extension === 'jpg' || extension === 'jpeg') {
    const bytes = Buffer.alloc(Math.max(size, 1024));
    bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
    bytes.set([0xff, 0xd9], bytes.length - 2);
    return { status: 200, bytes, headers: { 'content-type': 'image/jpeg' } };
  }
  if (extension === 'mp4' || extension === 'mov') {
    const bytes = Buffer.alloc(Math.max(size, 4096));
    bytes.write('\u0000\u0000\u0000\u0018ftypmp42', 0, 'latin1');
    return {
      status: 200,
      bytes,
      headers: { 'content-type': extension === 'mov' ? 'video/quicktime' : 'video/mp4' },
    };
  }
  return {
    status: 200,
    bytes: Buffer.alloc(Math.max(size, 16)),
    headers: { 'content-type': 'application/octet-stream' },
  };
}

export class SimError extends Error {
  constructor(readonly response: SimResponse) {
    super(`simulated error ${response.status}`);
    this.name = 'SimError';
  }
}
