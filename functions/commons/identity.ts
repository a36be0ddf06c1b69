import type { ApiEvent } from './http.ts';

/**
 * The caller's IAM identity (user or assumed-role ARN) as API Gateway's IAM authorizer saw it;
 * undefined off AWS (local mode has no authorizer).
 */
export function callerArn(event: ApiEvent): string | undefined {
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: string } } };
  return context.authorizer?.iam?.userArn || undefined;
}

/** `{ actor }` for the approval trail when the caller is known (deployed), else nothing. */
export function actorOf(event: ApiEvent): { actor?: string } {
  const arn = callerArn(event);
  return arn ? { actor: arn } : {};
}
