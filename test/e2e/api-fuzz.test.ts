import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTE_GROUPS } from '../../shared/api-routes.ts';
import { CONTENT_FIELDS } from '../../shared/domain/post.ts';
import { signConversion } from '../../shared/measuring/conversions.ts';
import { type LocalProcess, startLocalProcess } from '../support/local-process.ts';

/**
 * Bad input for every route of the route table, through local mode's HTTP server: whatever a
 * caller sends, the answer is never a 5xx, a 4xx is a problem document, and the server keeps
 * answering. Generated with fixed seeds (one per route, from its key, so adding a route leaves
 * the others' cases alone) and bounded: CASES_PER_ROUTE requests a route.
 */
const CASES_PER_ROUTE = 20;
const SECRET = 'fuzz-webhook-secret-0123456789';
const LONG = 2100;

let local: LocalProcess;
let port: number;
/** Ids that exist, so that some cases reach past the lookup into validation. */
const KNOWN_IDS = ['fuzz-1', 'fuzz-2', 'fuzz-campaign', 'x-main'];

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

interface Answer {
  status: number;
  contentType: string;
}

/** Raw node:http, not fetch: fetch would normalise the path and refuse a body on GET. */
function send(req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) };
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.path, headers },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(20_000, () => outgoing.destroy(new Error('no answer within 20 s')));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

function describeRequest(req: FuzzRequest): string {
  const cut = (text: string, max = 160) =>
    text.length > max ? `${text.slice(0, max)}…(${text.length})` : text;
  const body = req.body ? cut(Buffer.from(req.body).toString('utf8')) : '(none)';
  const headers = Object.entries(req.headers).map(([name, value]) => `${name}: ${cut(value, 60)}`);
  return `${req.method} ${cut(req.path, 300)} [${headers.join('; ')}] body=${JSON.stringify(body)}`;
}

/** FNV-1a: a stable seed per route key. */
function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash | 0;
}

// ---- path segments ------------------------------------------------------------------------

const validSlug = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const pathSegment = fc.oneof(
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '%ZZ',
    'abc%',
    '%C0%AF',
    '%FF%FE',
    '%ED%A0%80',
    '%00',
    '%2F',
    '%2e%2e',
    '..',
    '.',
    '',
    'a%20b',
    '%25',
    'launch%2D1',
    '__proto__',
    'constructor',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc
    .array(fc.constantFrom('%', 'E0', 'A4', 'zz', '%F0%9F', '%8', 'x', '%C3'), { maxLength: 12 })
    .map((parts) => parts.join('')),
  fc.constantFrom(65, LONG, 4000).map((length) => 'a'.repeat(length)),
  validSlug,
  fc.constantFrom(...KNOWN_IDS),
);

// ---- query strings ------------------------------------------------------------------------

const KNOWN_PARAMS = [
  'from',
  'to',
  'status',
  'channel',
  'campaign',
  'limit',
  'cursor',
  'sort',
  'raw',
  'dryRun',
  'format',
  'dateFormat',
  'timezone',
];
const instant = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
const badDate = fc.constantFrom(
  '2026-02-30',
  '2026-13-01',
  '9999-12-31T23:59:59Z',
  '0000-01-01',
  '2026-12-01T25:61:00Z',
  '2026-12-01T09:00',
  'yesterday',
  '1e308',
  '-271821-04-20',
  '2026-12-01T09:00:00+99:99',
);
const garbageCursor = fc.oneof(
  fc.base64String({ maxLength: 200 }),
  fc.string({ maxLength: 100 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
  fc.constant('A'.repeat(5000)),
  fc.constant(Buffer.from('{"sort":"-reach","offset":"-5"}').toString('base64url')),
  fc.constant(Buffer.from('{"sort":"likes","offset":"1e9"}').toString('base64url')),
  // Forged keys with the right field names and wrong values, with and without a made-up signature.
  fc
    .record({
      pk: fc.constantFrom('x', 'POST#a', 'CHANNEL#x-main'),
      sk: fc.constantFrom('y', 'POST', 'CHANNEL'),
      gsi1pk: fc.constantFrom('POST', 'CHANNEL', 'CAMPAIGN', 'z'),
      gsi1sk: fc.constantFrom('z', 'a'.repeat(1100), '2027-03-01T09:00:00.000Z#a'),
    })
    .chain((key) =>
      fc
        .constantFrom('', `.${'A'.repeat(43)}`)
        .map((mac) => `${Buffer.from(JSON.stringify(key)).toString('base64url')}${mac}`),
    ),
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  instant,
  badDate,
  garbageCursor,
  fc.integer().map(String),
  fc.constantFrom(
    '0',
    '-1',
    '501',
    '1.5',
    'NaN',
    'Infinity',
    'true',
    'yes',
    '',
    'SCHEDULED',
    '-reach',
    'x-main',
  ),
  fc.constant('a'.repeat(LONG)),
  fc.constant('z'.repeat(6000)),
);
const queryName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_PARAMS) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'from[]'),
  },
);
const queryString = fc
  .tuple(
    fc.array(fc.tuple(queryName, queryValue), { maxLength: 5 }),
    // A window given backwards, the most common real mistake.
    fc.option(
      fc.tuple(instant, instant).filter(([a, b]) => a !== b),
      { freq: 3 },
    ),
  )
  .map(([pairs, window]) => {
    const params = new URLSearchParams();
    for (const [name, value] of pairs) params.append(name, value);
    if (window) {
      const [early, late] = [...window].sort();
      params.append('from', late as string);
      params.append('to', early as string);
    }
    const text = params.toString();
    return text ? `?${text}` : '';
  });

// ---- headers ------------------------------------------------------------------------------

const oddContentType = fc.constantFrom(
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json;charset=utf-16',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/problem+json',
  'text/csv',
  'text/csv; charset=windows-1252',
  'text/plain',
  'image/png',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  ';',
  'application/json; boundary=',
  '*/*',
);
/** Latin-1 printable: what node lets through in a header value. Kept well under 16 KB in total. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => text.replace(/[^\x20-\x7e]/g, '?')),
  fc.nat({ max: 8000 }).map((length) => 'h'.repeat(length)),
  fc.constant('\xe9\xff caf\xe9'),
);
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerValue, { maxKeys: 3 });

// ---- bodies -------------------------------------------------------------------------------

const utf8 = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => utf8(JSON.stringify(value));

const genericBody = fc.oneof(
  fc
    .constantFrom(
      '',
      '{',
      '{"a":',
      'nul',
      '[1,2',
      '{"a":1}}',
      '"\\ud800"',
      'null',
      '[]',
      '{}',
      '0',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"posts":{"__proto__":[]}}',
      '\uFEFF{"posts":[]}',
    )
    .map(utf8),
  fc.jsonValue({ maxDepth: 4 }).map(json),
  fc.uint8Array({ maxLength: 2000 }),
  fc.constantFrom(10_000, 100_000).map((depth) => utf8(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  fc.constant(utf8(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`)),
  fc.constant(json({ text: 'x'.repeat(1_000_000) })),
  fc.constant(Uint8Array.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])),
);
/** Rare: over the handlers' 6 MB cap, under the server's 10 MB. */
const oversizedBody = fc.constant(new Uint8Array(6.5 * 1024 * 1024).fill(0x41));

const oddValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constant('a'.repeat(LONG)),
  fc.constant('€'.repeat(700)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  fc.constantFrom(
    'x-main',
    'fuzz-1',
    'fuzz-campaign',
    '2027-01-05T10:00:00Z',
    'UTC',
    'Europe/Berlin',
    'https://example.com/p',
  ),
);
/** Every content field of a post (what a row or a PATCH may set), each with an odd value. */
const oddContent = Object.fromEntries(CONTENT_FIELDS.map((field) => [field, oddValue]));
const future = (days: number) => new Date(Date.now() + days * 24 * 3600 * 1000).toISOString();
const csvCell = fc.oneof(
  oddValue.map((value) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))),
  fc.constantFrom('"unclosed', 'a,"b', '"q""q"', '\r\n', future(40), 'x-main', 'fuzz-campaign'),
);
const shapedBodies: Record<string, fc.Arbitrary<{ body: Uint8Array; contentType: string }>> = {
  'POST /v1/calendars': fc.oneof(
    fc
      .array(fc.array(csvCell, { minLength: 1, maxLength: 9 }), { minLength: 1, maxLength: 4 })
      .map((rows) => ({
        contentType: 'text/csv',
        body: utf8(
          [
            'id,channel,scheduled_at,timezone,text,link,media,campaign,tags',
            ...rows.map((r) => r.join(',')),
          ].join('\n'),
        ),
      })),
    fc
      .record(
        {
          posts: fc.array(
            fc.record(
              { id: oddValue, ...oddContent, scheduledAt: fc.oneof(oddValue, fc.constant(future(41))) },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
          campaigns: fc.array(
            fc.record({ id: oddValue, name: oddValue, goals: oddValue }, { requiredKeys: [] }),
            {
              maxLength: 2,
            },
          ),
        },
        { requiredKeys: [] },
      )
      .map((value) => ({ contentType: 'application/json', body: json(value) })),
  ),
  'PATCH /v1/posts/{id}': fc
    .record({ ...oddContent, version: oddValue }, { requiredKeys: [] })
    .map((value) => ({ contentType: 'application/json', body: json(value) })),
  'POST /v1/channels': fc
    .record(
      {
        id: oddValue,
        platform: oddValue,
        handle: oddValue,
        timezone: oddValue,
        secretRef: oddValue,
        apiBaseUrl: oddValue,
      },
      { requiredKeys: [] },
    )
    .map((value) => ({ contentType: 'application/json', body: json(value) })),
  'POST /v1/campaigns': fc
    .record(
      {
        id: oddValue,
        name: oddValue,
        timezone: oddValue,
        goals: fc.oneof(
          oddValue,
          fc.array(
            fc.record(
              {
                id: oddValue,
                metric: oddValue,
                direction: oddValue,
                target: fc.oneof(
                  oddValue,
                  fc.record({ kind: fc.constantFrom('absolute', 'relative'), value: oddValue }),
                ),
                window: fc.oneof(oddValue, fc.record({ from: oddValue, to: oddValue })),
                scope: oddValue,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((value) => ({ contentType: 'application/json', body: json(value) })),
  'POST /v1/conversions': fc
    .record(
      {
        id: oddValue,
        occurredAt: oddValue,
        value: oddValue,
        currency: fc.oneof(oddValue, fc.constant('EUR')),
        kind: oddValue,
        utm: fc.oneof(
          oddValue,
          fc.record({ content: oddValue, source: oddValue, medium: oddValue }, { requiredKeys: [] }),
        ),
        landingUrl: fc.oneof(oddValue, fc.constant(`https://shop.example/?utm_content=${'a'.repeat(LONG)}`)),
      },
      { requiredKeys: [] },
    )
    .map((value) => ({ contentType: 'application/json', body: json(value) })),
};
// A PUT replaces what a POST creates: the same shapes.
shapedBodies['PUT /v1/channels/{id}'] = shapedBodies['POST /v1/channels'] as (typeof shapedBodies)[string];

// ---- requests -----------------------------------------------------------------------------

function requestsFor(routeKey: string): fc.Arbitrary<FuzzRequest> {
  const [method, template] = routeKey.split(' ') as [string, string];
  const takesBody = method === 'POST' || method === 'PATCH' || method === 'PUT';
  const shaped = shapedBodies[routeKey];
  const body: fc.Arbitrary<{ body?: Uint8Array; contentType?: string | undefined }> = takesBody
    ? fc.oneof(
        ...(shaped ? [{ weight: 5, arbitrary: shaped }] : []),
        { weight: 3, arbitrary: fc.record({ body: genericBody, contentType: oddContentType }) },
        { weight: 1, arbitrary: fc.record({ body: oversizedBody, contentType: oddContentType }) },
      )
    : fc.oneof(
        { weight: 6, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.record({ body: genericBody, contentType: oddContentType }) },
      );
  return fc
    .record({
      segment: pathSegment,
      query: queryString,
      body,
      // Sometimes the right content type is replaced by an odd one.
      swapType: fc.option(oddContentType, { freq: 4 }),
      headers: extraHeaders,
      signed: fc.boolean(),
    })
    .map(({ segment, query, body, swapType, headers, signed }) => {
      const path = template.replace(/\{\w+\}/g, () => segment) + query;
      const contentType = swapType === null ? body.contentType : swapType;
      const all: Record<string, string> = { ...headers };
      if (contentType !== undefined) all['content-type'] = contentType;
      if (signed && body.body) {
        const at = Math.floor(Date.now() / 1000);
        all['x-pulsecast-timestamp'] = String(at);
        all['x-pulsecast-signature'] = signConversion(SECRET, at, body.body);
      }
      return { method, path, headers: all, ...(body.body ? { body: body.body } : {}) };
    })
    .filter((req) => headerBytes(req) < MAX_HEADER_BYTES);
}

/**
 * Node (like API Gateway) refuses a request whose line and headers pass 16 KB with a bare 431
 * before any of our code runs; that limit is tested with the server, so cases stay under it.
 */
const MAX_HEADER_BYTES = 15_000;
function headerBytes(req: FuzzRequest): number {
  let size = req.method.length + req.path.length + 20;
  for (const [name, value] of Object.entries(req.headers)) size += name.length + value.length + 4;
  return size;
}

const ROUTES = API_ROUTE_GROUPS.flatMap((group) => [...group.routes]);
let sent = 0;
/** Answers by status, printed at the end: shows how far the cases get (2xx) and how they fail. */
const statuses = new Map<number, number>();
let startedAt = 0;

beforeAll(async () => {
  // A generous start: this file's speed is not what it checks (calendar-api.test.ts times it).
  local = await startLocalProcess({ env: { PULSECAST_CONVERSIONS_SECRET: SECRET }, timeoutMs: 60_000 });
  port = Number(new URL(local.url).port);
  const csv = [
    'id,channel,scheduled_at,text,campaign',
    `fuzz-1,x-main,${future(30)},First fuzz post,fuzz-campaign`,
    `fuzz-2,bsky-main,${future(31)},Second fuzz post,`,
  ].join('\n');
  const campaign = await fetch(`${local.url}/v1/campaigns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'fuzz-campaign', name: 'Fuzz' }),
  });
  expect(campaign.status).toBe(201);
  const upload = await fetch(`${local.url}/v1/calendars`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  expect(upload.status).toBe(201);
  startedAt = Date.now();
}, 90_000);

afterAll(async () => {
  if (!local) return;
  const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
  console.log(
    `api-fuzz: ${sent} requests over ${ROUTES.length} routes in ${Date.now() - startedAt} ms (${counts.join(', ')})`,
  );
  expect(await local.stop()).toBe(0);
});

describe('the HTTP API under generated bad input', () => {
  it.each(ROUTES)(
    '%s: never a 5xx, a 4xx is a problem document, /health still answers',
    async (routeKey) => {
      const cases = fc.sample(requestsFor(routeKey), { seed: seedOf(routeKey), numRuns: CASES_PER_ROUTE });
      const failures: string[] = [];
      for (const req of cases) {
        sent++;
        let answer: Answer;
        try {
          answer = await send(req);
        } catch (error) {
          failures.push(`no answer (${(error as Error).message}): ${describeRequest(req)}`);
          continue;
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 500) failures.push(`${answer.status}: ${describeRequest(req)}`);
        else if (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json'))
          failures.push(`${answer.status} as ${answer.contentType || '(no type)'}: ${describeRequest(req)}`);
      }
      expect(failures).toEqual([]);
      const health = await fetch(`${local.url}/health`);
      expect(health.status).toBe(200);
    },
    120_000,
  );
});
