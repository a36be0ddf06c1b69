import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { dep, type ExecutionStarter } from './runtime.ts';

// Part of the composition root (runtime.ts) that only the functions starting executions bundle.

/**
 * Starts executions with Step Functions. A name already used means the same request was sent
 * twice (a retried API call): the first execution stands, nothing more is started.
 */
export function executionStarter(): ExecutionStarter {
  return dep('startExecution', () => {
    const client = new SFNClient({});
    return async (stateMachineArn, name, input) => {
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return;
        throw error;
      }
    };
  });
}
