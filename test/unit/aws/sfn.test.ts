import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { executionStarter } from '../../../functions/commons/sfn-runtime.ts';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Pulsecast-dev-auditor';

describe('executionStarter', () => {
  afterEach(() => {
    sfn.reset();
  });

  it('starts the named execution with the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:a1`, startDate: new Date() });
    await executionStarter()(ARN, 'a1', { channel: 'x-main', done: false });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'a1',
      input: '{"channel":"x-main","done":false}',
    });
  });

  it('treats a name already used as the same request sent twice (nothing more is started)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await expect(executionStarter()(ARN, 'a1', {})).resolves.toBeUndefined();
  });

  it('passes any other failure on', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('AccessDenied'));
    await expect(executionStarter()(ARN, 'a1', {})).rejects.toThrow('AccessDenied');
  });
});
