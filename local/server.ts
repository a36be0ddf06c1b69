import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  maxHeaderSize,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { API_ROUTE_GROUPS, type RouteGroup } from '../shared/api-routes.ts';

/** API Gateway HTTP APIs refuse bodies over 10 MB; so does the local server, without reading further. */
export const LOCAL_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

interface CompiledRoute {
  method: string;
  routeKey: string;
  pattern: RegExp;
  params: string[];
  group: RouteGroup;
}

/** Extra routes that exist only locally (the clock, later): same event shape, own handler. */
export type LocalRoutes = Record<string, LambdaHandler>;

export interface LocalApi {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

function compile(routeKey: string, group: RouteGroup): CompiledRoute {
  const [method, path] = routeKey.split(' ') as [string, string];
  const params: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        params.push(param[1] as string);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method, routeKey, pattern: new RegExp(`^${source}$`), params, group };
}

/**
 * Serves the API's real handlers on 127.0.0.1, turning each request into the API Gateway v2
 * (payload 2.0) event the deployed API would send, so local mode runs the deployed code path.
 */
export async function startLocalApi(options: {
  port: number;
  host?: string;
  groups?: readonly RouteGroup[];
  localRoutes?: LocalRoutes;
  root: string;
}): Promise<LocalApi> {
  const groups = options.groups ?? API_ROUTE_GROUPS;
  const routes = groups.flatMap((group) => group.routes.map((route) => compile(route, group)));
  const handlers = new Map<string, LambdaHandler>();
  for (const group of groups) {
    const module = (await import(pathToFileURL(`${options.root}/${group.entry}`).href)) as {
      handler: LambdaHandler;
    };
    handlers.set(group.name, module.handler);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('local API: unexpected failure', error);
      if (!response.headersSent)
        sendProblem(response, 500, 'internal-error', 'the local server failed; see its log');
      else response.destroy();
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.on('clientError', answerClientError);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    const localHandler = options.localRoutes?.[`${method} ${url.pathname}`];
    const matched = routes
      .filter((route) => route.method === method)
      .map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
      .find((candidate) => candidate.match !== null);
    if (!matched && !localHandler) {
      request.resume();
      const known = routes.some((route) => route.pattern.test(url.pathname));
      return sendProblem(
        response,
        known ? 405 : 404,
        'route-not-found',
        known ? `${method} is not allowed on ${url.pathname}` : `no route ${method} ${url.pathname}`,
      );
    }
    const body = await readBody(request, response);
    if (body === undefined) return;

    const pathParameters: Record<string, string> = {};
    matched?.route.params.forEach((name, i) => {
      pathParameters[name] = matched.match?.[i + 1] ?? '';
    });
    const routeKey = matched?.route.routeKey ?? `${method} ${url.pathname}`;
    const event = toEvent(request, url, method, routeKey, pathParameters, body);
    const handler = localHandler ?? handlers.get(matched?.route.group.name ?? '');
    if (!handler) throw new Error(`no handler for ${routeKey}`);
    const result = await handler(event, lambdaContext(event.requestContext.requestId));
    send(response, result);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Reads the body up to the limit; past it answers 413 at once and discards the rest (returns
 * undefined). Discarding rather than closing lets the client finish sending and read the
 * answer instead of failing with a broken pipe; the request timeout bounds an endless body.
 */
function readBody(request: IncomingMessage, response: ServerResponse): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > LOCAL_MAX_BODY_BYTES) {
    sendProblem(
      response,
      413,
      'payload-too-large',
      `the body is ${declared} bytes; at most ${LOCAL_MAX_BODY_BYTES} are accepted`,
    );
    request.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > LOCAL_MAX_BODY_BYTES) {
        refused = true;
        sendProblem(response, 413, 'payload-too-large', `the body is over ${LOCAL_MAX_BODY_BYTES} bytes`);
        request.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  method: string,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // API Gateway joins repeated query parameters with commas.
  // Collected in a Map: a parameter named `constructor`, `toString` or `__proto__` is a
  // parameter like any other (fromEntries defines own properties, even `__proto__`).
  const joined = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    const before = joined.get(name);
    joined.set(name, before === undefined ? value : `${before},${value}`);
  }
  const query: Record<string, string> = Object.fromEntries(joined);
  const now = Date.now();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    // Always base64: the handler sees the exact bytes sent, as with a binary body on API Gateway.
    ...(body.length > 0
      ? { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '512',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => REQUEST_TIMEOUT_MS,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name] = typeof value === 'boolean' ? String(value) : value;
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? ''
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : result.body;
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

/**
 * A request that never became one (headers over the limit, not HTTP, too slow): node:http has
 * no response object for it, so the answer is written on the socket, as a problem like every
 * other error of the API, and the connection closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // The client is gone, or an answer is already on its way: nothing to say.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, slug, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request-header-fields-too-large', `the request's headers are over ${maxHeaderSize} bytes`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', `the request was not received within ${REQUEST_TIMEOUT_MS / 1000} s`]
        : [400, 'bad-request', 'the request is not valid HTTP/1.1'];
  const body = problemBody(status, slug, detail);
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'content-type: application/problem+json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

function problemBody(status: number, slug: string, detail: string): string {
  return JSON.stringify({
    type: `urn:pulsecast:problem:${slug}`,
    title: slug.replace(/-/g, ' '),
    status,
    detail,
  });
}

function sendProblem(response: ServerResponse, status: number, slug: string, detail: string): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/problem+json; charset=utf-8' });
  response.end(problemBody(status, slug, detail));
}
