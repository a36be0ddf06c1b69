import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';

/** An API function's handler, called as API Gateway calls it. */
export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const context = { awsRequestId: 'test-request' } as Context;

/**
 * dynalite, with the handlers' environment (endpoint and table name) pointing at it and a store
 * on its table for arranging data. Import handlers (`apiHandler`) after this has run.
 */
export async function startHandlerTable(): Promise<{ dynamo: LocalDynamo; store: DynamoStore }> {
  const dynamo = await startLocalDynamo();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.TABLE_NAME = dynamo.tableName;
  const store = new DynamoStore({ tableName: dynamo.tableName, client: createDocumentClient(dynamo.client) });
  return { dynamo, store };
}

/** The handler of `functions/api/<name>.ts`. */
export async function apiHandler(
  name: 'posts' | 'campaigns' | 'calendars' | 'conversions' | 'listening',
): Promise<ApiHandler> {
  return (await import(`../../functions/api/${name}.ts`)).handler as unknown as ApiHandler;
}

/**
 * Calls `handler` with the event API Gateway (and the local server) hands it for `routeKey`: the
 * path is the route's with `{id}` replaced by `id`, still percent-encoded as sent.
 */
export function callApi(
  handler: ApiHandler,
  routeKey: string,
  init: { id?: string; query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
): Promise<APIGatewayProxyStructuredResultV2> {
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]?.replace('{id}', init.id ?? '') ?? '/',
    rawQueryString: new URLSearchParams(init.query ?? {}).toString(),
    headers: init.headers ?? {},
    ...(init.query ? { queryStringParameters: init.query } : {}),
    ...(init.id !== undefined ? { pathParameters: { id: init.id } } : {}),
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    ...(init.body !== undefined ? { body: init.body } : {}),
  };
  return handler(event, context);
}
