import { isJsonObject } from '../json.ts';
import type { LocalStateMachineRunner, SdkIntegration } from './runner.ts';

/**
 * Step Functions' own StartExecution, for a Task that starts another execution (the Dispatcher
 * starting a fresh Dispatcher when more posts are due than one run can take), as local calls to
 * the runner of the target state machine:
 * - `aws-sdk:sfn:startExecution`: answers `{ ExecutionArn, StartDate }` (StartDate as an ISO
 *   string); errors named `Sfn.<Code>` (the SDK integrations' service prefix);
 * - `states:startExecution` (the optimized, fire-and-forget form): the same answer.
 * The target is looked up when the Task runs (`find` by state machine ARN), so runners can name
 * each other whatever order they are built in. The new execution is not awaited.
 */
export function stepFunctionsIntegrations(
  find: (stateMachineArn: string) => LocalStateMachineRunner | undefined,
): Record<string, SdkIntegration> {
  const startExecution =
    (errorPrefix: string): SdkIntegration =>
    (parameters) => {
      const fail = (code: string, message: string): never => {
        const error = new Error(message);
        error.name = `${errorPrefix}.${code}`;
        throw error;
      };
      if (!isJsonObject(parameters) || typeof parameters.StateMachineArn !== 'string') {
        return fail('ValidationException', 'StartExecution needs a StateMachineArn');
      }
      const runner = find(parameters.StateMachineArn);
      if (!runner)
        return fail(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${parameters.StateMachineArn}'`,
        );
      const input =
        typeof parameters.Input === 'string' ? (JSON.parse(parameters.Input) as unknown) : parameters.Input;
      try {
        const started = runner.start(
          input ?? {},
          typeof parameters.Name === 'string' ? { executionName: parameters.Name } : {},
        );
        return { ExecutionArn: started.executionArn, StartDate: started.record.startDate.toISOString() };
      } catch (error) {
        if (error instanceof Error && error.name === 'ExecutionAlreadyExists')
          return fail('ExecutionAlreadyExistsException', error.message);
        throw error;
      }
    };
  return {
    'aws-sdk:sfn:startExecution': startExecution('Sfn'),
    'states:startExecution': startExecution('StepFunctions'),
  };
}
