import { beforeAll, describe, expect, it } from 'vitest';
import { functionEntries, TemplateResolutionError } from '../../local/cloudformation/template.ts';
import { UnsupportedDefinitionError } from '../../local/stepfunctions/asl.ts';
import { resolveStateMachine, resolveStateMachines } from '../../local/stepfunctions/state-machines.ts';
import {
  buildRefusedStack,
  buildSampleStack,
  type SampleStack,
} from '../fixtures/stepfunctions/sample-stack.ts';

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** Every key anywhere in a JSON value. */
function keys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keys);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keys(inner)]);
  }
  return [];
}

function templateWith(definition: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'pulsecast' } },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionString: definition, ...extra },
      },
    },
  };
}

describe('resolveStateMachines', () => {
  let sample: SampleStack;
  beforeAll(() => {
    sample = buildSampleStack();
  });

  it('turns every synthesized state machine into plain ASL', () => {
    const machines = resolveStateMachines(sample.template, { names: { [sample.ids.table]: 'local-table' } });

    expect(machines.map((m) => [m.logicalId, m.stateMachineType])).toEqual([
      [sample.ids.dispatcher, 'EXPRESS'],
      [sample.ids.housekeeping, 'STANDARD'],
    ]);
    for (const machine of machines) {
      expect(keys(machine.definition).filter((key) => key === 'Ref' || key.startsWith('Fn::'))).toEqual([]);
    }
  });

  it('names a Lambda function by a fake ARN ending in its logical id, and the partition aws', () => {
    const dispatcher = resolveStateMachine(sample.template, sample.ids.dispatcher);

    const claim = dispatcher.definition.States.Claim!;
    expect(claim.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(claim.Parameters).toEqual({
      FunctionName: `arn:aws:lambda:local:000000000000:function:${sample.ids.claim}`,
      'Payload.$': '$',
    });
    expect(dispatcher.definition.States.Summarize!.Resource).toBe(
      `arn:aws:lambda:local:000000000000:function:${sample.ids.summarize}`,
    );
    expect(dispatcher.definition.TimeoutSeconds).toBe(300);
    expect(dispatcher.roleArn).toMatch(/^arn:aws:iam::000000000000:role\/DispatcherRole/);
  });

  it('resolves a Ref to a table through the names the caller gives, else to the logical id', () => {
    const named = resolveStateMachine(sample.template, sample.ids.housekeeping, {
      names: { [sample.ids.table]: 'pulsecast-local' },
    });
    const unnamed = resolveStateMachine(sample.template, sample.ids.housekeeping);

    expect(strings(named.definition)).toContain('pulsecast-local');
    expect(strings(unnamed.definition)).toContain(sample.ids.table);
  });

  it('applies DefinitionSubstitutions and pseudo parameters', () => {
    const template = templateWith(
      {
        'Fn::Join': [
          '',
          [
            '{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: DefinitionSubstitutions placeholders, not JS
            '"Parameters":{"Entries":[{"EventBusName":"${bus}","Source":"${region}/',
            { Ref: 'AWS::AccountId' },
            '"}]},"End":true}}}',
          ],
        ],
      },
      { DefinitionSubstitutions: { bus: { 'Fn::GetAtt': ['Bus', 'Arn'] }, region: { Ref: 'AWS::Region' } } },
    );

    const [machine] = resolveStateMachines(template);

    expect(machine!.definition.States.Send!.Parameters).toEqual({
      Entries: [
        { EventBusName: 'arn:aws:events:local:000000000000:event-bus/Bus', Source: 'local/000000000000' },
      ],
    });
  });

  it('names the path of an intrinsic it cannot resolve', () => {
    const template = templateWith({
      'Fn::Join': ['', ['{"StartAt":"', { 'Fn::If': ['c', 'a', 'b'] }, '"}']],
    });

    expect(() => resolveStateMachines(template)).toThrow(TemplateResolutionError);
    expect(() => resolveStateMachines(template)).toThrow(
      'Resources.Machine.Properties.DefinitionString.Fn::Join[1][1].Fn::If: Fn::If is not supported',
    );
  });

  it('refuses JSONata, naming the state', () => {
    const template = buildRefusedStack('jsonata');

    expect(() => resolveStateMachines(template)).toThrow(UnsupportedDefinitionError);
    expect(() => resolveStateMachines(template)).toThrow(/States\.Shape\.QueryLanguage: JSONata/);
  });

  it('refuses variables (Assign), naming the state', () => {
    const template = buildRefusedStack('assign');

    expect(() => resolveStateMachines(template)).toThrow(
      /States\.Remember\.Assign: variables are not supported/,
    );
  });

  it('refuses $$.Execution.StartTime inside a Map iteration, where the library would give the real time', () => {
    const definition = JSON.stringify({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          End: true,
          ItemProcessor: {
            StartAt: 'Stamp',
            States: { Stamp: { Type: 'Pass', Parameters: { 'at.$': '$$.Execution.StartTime' }, End: true } },
          },
        },
      },
    });

    expect(() => resolveStateMachines(templateWith(definition))).toThrow(
      /States\.Each\.ItemProcessor\.States\.Stamp\.Parameters\.at\.\$: '\$\$\.Execution\.StartTime'/,
    );
  });
});

describe('functionEntries', () => {
  it('reads each function’s handler module and environment', () => {
    const sample = buildSampleStack();

    const entries = functionEntries(sample.template);

    expect(entries.find((fn) => fn.logicalId === sample.ids.publish)).toEqual({
      logicalId: sample.ids.publish,
      arn: `arn:aws:lambda:local:000000000000:function:${sample.ids.publish}`,
      entry: 'test/fixtures/stepfunctions/handlers/publish.ts',
      handler: 'index.handler',
      environment: { FIXTURE_FUNCTION: 'PublishFn' },
      timeoutSeconds: 10,
      memorySize: 128,
    });
  });
});
