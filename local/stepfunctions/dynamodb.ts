import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { SdkIntegration } from './runner.ts';

/**
 * Step Functions' DynamoDB integrations, made as real calls with the given client (dynalite in
 * local mode and tests):
 * - the optimized ones, `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem`: the
 *   API response plus `SdkHttpMetadata`/`SdkResponseMetadata`; errors named `DynamoDB.<Code>`;
 * - the AWS SDK ones, `arn:aws:states:::aws-sdk:dynamodb:<action>` for the actions below: the API
 *   response; errors named `DynamoDb.<Code>` (the SDK integrations' service prefix).
 * Scan and transactions are left out on purpose: the design has neither (and dynalite has no
 * TransactWriteItems).
 */
export function dynamoDbIntegrations(client: DynamoDBClient): Record<string, SdkIntegration> {
  // Each action with its own input type; the parameters come from the definition as Step
  // Functions passes them, unchecked, so they are handed over as they are (`never`).
  const actions: Record<string, (input: never) => Promise<{ $metadata?: unknown }>> = {
    getItem: (input: GetItemCommandInput) => client.send(new GetItemCommand(input)),
    putItem: (input: PutItemCommandInput) => client.send(new PutItemCommand(input)),
    updateItem: (input: UpdateItemCommandInput) => client.send(new UpdateItemCommand(input)),
    deleteItem: (input: DeleteItemCommandInput) => client.send(new DeleteItemCommand(input)),
    query: (input: QueryCommandInput) => client.send(new QueryCommand(input)),
    batchGetItem: (input: BatchGetItemCommandInput) => client.send(new BatchGetItemCommand(input)),
    batchWriteItem: (input: BatchWriteItemCommandInput) => client.send(new BatchWriteItemCommand(input)),
  };
  const call = async (
    send: (input: never) => Promise<{ $metadata?: unknown }>,
    parameters: unknown,
    errorPrefix: string,
  ): Promise<Record<string, unknown>> => {
    try {
      const { $metadata, ...response } = await send(parameters as never);
      return response;
    } catch (error) {
      const translated = new Error(error instanceof Error ? error.message : String(error), { cause: error });
      translated.name = `${errorPrefix}.${error instanceof Error ? error.name : 'UnknownError'}`;
      throw translated;
    }
  };
  const integrations: Record<string, SdkIntegration> = {};
  for (const [action, send] of Object.entries(actions)) {
    integrations[`aws-sdk:dynamodb:${action}`] = (parameters) => call(send, parameters, 'DynamoDb');
  }
  for (const action of ['getItem', 'putItem', 'updateItem', 'deleteItem'] as const) {
    const send = actions[action]!;
    integrations[`dynamodb:${action}`] = async (parameters) => {
      const response = await call(send, parameters, 'DynamoDB');
      const requestId = randomUUID();
      return {
        ...response,
        SdkHttpMetadata: {
          AllHttpHeaders: { 'Content-Type': ['application/x-amz-json-1.0'], 'x-amzn-RequestId': [requestId] },
          HttpHeaders: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': requestId },
          HttpStatusCode: 200,
        },
        SdkResponseMetadata: { RequestId: requestId },
      };
    };
  }
  return integrations;
}
