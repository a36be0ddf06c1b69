import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { Slug } from '../../shared/domain/index.ts';
import { BadRequestError, PulsecastError, problemError } from '../../shared/errors.ts';
import { parseJsonBytes } from '../../shared/json-body.ts';
import type { SigningScheme, WebhookSecret } from '../../shared/measuring/webhook-secret.ts';
import { logger, observed } from './observability.ts';

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type RouteHandler = (event: ApiEvent) => Promise<ApiResult>;

/** Problem `type`s are stable URNs, one per kind of error (RFC 9457). */
export const problemType = (slug: string) => `urn:pulsecast:problem:${slug}`;

const TITLES: Record<string, string> = {
  'validation-failed': 'The request has invalid values',
  'bad-request': 'The request cannot be understood',
  'not-found': 'Not found',
  conflict: 'The resource is not in a state that allows this',
  'version-conflict': 'The resource changed meanwhile',
  'precondition-required': 'The request must say which version it replaces',
  'precondition-failed': 'The resource is no longer at that version',
  'upload-conflict': 'Some rows were not applied: their posts changed meanwhile',
  'payload-too-large': 'The body is too large',
  'unsupported-media-type': 'Unsupported content type',
  'route-not-found': 'No such route',
  'store-unavailable': 'Storage is temporarily unavailable',
  'internal-error': 'Internal error',
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function problem(
  status: number,
  slug: string,
  detail: string,
  extra: Record<string, unknown> = {},
): ApiResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({ type: problemType(slug), title: TITLES[slug] ?? slug, status, detail, ...extra }),
  };
}

/** Maps any error to problem details. Only domain errors that say so are echoed to the caller. */
export function errorToProblem(
  error: unknown,
  event: ApiEvent | undefined,
  requestId: string | undefined,
): ApiResult {
  const instance = event?.rawPath;
  if (error instanceof PulsecastError && error.expose) {
    const extra: Record<string, unknown> = { ...error.extensions, instance };
    if ('issues' in error && Array.isArray(error.issues) && error.issues.length > 0)
      extra.errors = error.issues;
    if ('warnings' in error && Array.isArray(error.warnings) && error.warnings.length > 0)
      extra.warnings = error.warnings;
    return problem(error.status, error.problem, error.message, extra);
  }
  // The cause is logged for us and never returned: it may hold internals or secrets. The log line
  // carries the invocation's correlation ids (observed()), the API request id among them.
  logger.error('request failed', { requestId, error: describe(error) });
  if (error instanceof PulsecastError) {
    return problem(error.status, error.problem, 'the service is busy; try again shortly', {
      instance,
      requestId,
    });
  }
  return problem(500, 'internal-error', 'something went wrong on our side; it has been logged', {
    instance,
    requestId,
  });
}

function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    cause: error.cause ? describe(error.cause) : undefined,
  };
}

const problemDetails = (): MiddlewareObj<ApiEvent, ApiResult, Error, Context> => ({
  onError: (request) => {
    request.response = errorToProblem(request.error, request.event, request.context?.awsRequestId);
  },
});

/**
 * One Lambda serves a group of routes: it dispatches on the API Gateway `routeKey`
 * (`"GET /v1/posts/{id}"`), so the same module runs behind API Gateway and the local server.
 */
export function routeGroup(routes: Record<string, RouteHandler>) {
  return (
    middy<ApiEvent, ApiResult, Error, Context>()
      // Outermost, so that a problem's log line still carries the request's correlation ids.
      .use(observed<ApiEvent, ApiResult>())
      .use(problemDetails())
      .handler(async (event) => {
        const route = routes[event.routeKey];
        if (!route) return problem(404, 'route-not-found', `no route ${event.routeKey}`);
        return route(event);
      })
  );
}

/**
 * A path parameter that names a stored item, decoded and checked. API Gateway hands path
 * parameters over still percent-encoded, and `decodeURIComponent` throws on a malformed
 * sequence; and an id that is no `Slug` cannot name anything we stored, while one over the
 * key size limits would fail in DynamoDB itself. All three are the caller's mistake: a 400
 * that names the parameter, before any read.
 */
export function pathId(event: ApiEvent, name = 'id'): string {
  const raw = event.pathParameters?.[name] ?? '';
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch (error) {
    throw new BadRequestError(
      `path parameter ${name} is not valid percent-encoding`,
      [{ column: name, message: 'a % must be followed by two hex digits that encode UTF-8' }],
      { cause: error },
    );
  }
  const limit = Slug.maxLength ?? Number.POSITIVE_INFINITY;
  if (id.length > limit) {
    const message = `is ${id.length} characters long; ids have at most ${limit}`;
    throw new BadRequestError(`path parameter ${name} ${message}`, [{ column: name, message }]);
  }
  const valid = Slug.safeParse(id);
  if (!valid.success) {
    const message = id === '' ? 'is empty' : (valid.error.issues[0]?.message ?? 'is not a valid id');
    throw new BadRequestError(`path parameter ${name} is not a valid id`, [{ column: name, message }]);
  }
  return id;
}

/** Parses query parameters with a zod schema; failures are a 400 naming each parameter. */
export function parseQuery<T>(event: ApiEvent, schema: ZodType<T>): T {
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (result.success) return result.data;
  throw new BadRequestError(
    'invalid query parameters',
    result.error.issues.map((issue) => ({ column: issue.path.join('.') || 'query', message: issue.message })),
  );
}

/** Parses a JSON body with a zod schema; failures are a 422 naming each field. */
export function parseJsonBody<T>(event: ApiEvent, schema: ZodType<T>): T {
  const raw = bodyBytes(event);
  if (!isJson(event)) throw new UnsupportedMediaTypeError('send the body as application/json');
  return parseJsonBytes(raw, schema, 'the body has invalid fields');
}

/** Bodies larger than this are refused before parsing (API Gateway caps them at 10 MB anyway). */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export class PayloadTooLargeError extends problemError('payload-too-large', 413) {}

export class UnsupportedMediaTypeError extends problemError('unsupported-media-type', 415) {}

export function bodyBytes(event: ApiEvent): Uint8Array {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `the body is ${bytes.length} bytes; at most ${MAX_BODY_BYTES} are accepted (about 10,000 calendar rows fit easily)`,
    );
  }
  return bytes;
}

export function header(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * The raw body of a webhook request once its signing scheme accepts the signature, checked before anything
 * parses it. Freshness is about the sender's real clock: local mode's `now()` is virtual and may be
 * days ahead, which would refuse every honestly signed request after a clock advance.
 */
export async function signedBody(
  event: ApiEvent,
  secret: WebhookSecret,
  scheme: SigningScheme,
): Promise<Uint8Array> {
  const body = bodyBytes(event);
  scheme.verify({
    secret: await secret.get(),
    timestamp: header(event, scheme.timestamp),
    signature: header(event, scheme.signature),
    body,
    now: new Date(),
  });
  return body;
}

export function mediaType(event: ApiEvent): string | undefined {
  return header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase() || undefined;
}

function isJson(event: ApiEvent): boolean {
  const type = mediaType(event);
  return type === 'application/json' || (type?.endsWith('+json') ?? false);
}

/** Query-string booleans as people type them. */
export const QueryBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((value) => value === 'true' || value === '1' || value === 'yes' || value === '');

export const QueryLimit = z.coerce.number().int().min(1).max(500).default(50);
