import { describe, expect, it } from 'vitest';
import { BASE, definitionOf, permissionsOf, synthPulsecast, tableAccess } from './helpers.ts';

const synth = synthPulsecast();
const { stack } = synth;
const auditing = stack.auditing;
const channelSecrets = {
  'arn:AWS::Partition:secretsmanager:AWS::Region:AWS::AccountId:secret:pulsecast/*': [
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
  ],
};

describe('PulsecastAuditing', () => {
  it('runs the Auditor as a Standard state machine named after the stack, traced and logged, with a 6-hour timeout', () => {
    const machine = synth.template.findResources('AWS::StepFunctions::StateMachine')[
      synth.logicalId(auditing.auditor)
    ];
    expect(machine?.Properties).toMatchObject({
      StateMachineName: 'Pulsecast-dev-auditor',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    expect(definitionOf(synth, auditing.auditor)).toMatchObject({ TimeoutSeconds: 6 * 3600 });
  });

  it('loops ImportPage, waits as long as a 429 said, and records failure before failing', () => {
    const definition = definitionOf(synth, auditing.auditor);
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|"Assign"|QueryLanguage/);
    expect(definition.StartAt).toBe('ImportPage');
    const states = definition.States as Record<string, Record<string, unknown>>;
    expect(states.WaitAsAsked).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.waitSeconds',
      Next: 'ImportPage',
    });
    expect(states.WhatNext).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.waitSeconds', IsPresent: true, Next: 'WaitAsAsked' },
        { Variable: '$.done', BooleanEquals: true, Next: 'Finish' },
      ],
      Default: 'ImportPage',
    });
    expect(states.ImportPage?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
    ]);
    expect(states.RecordFailure?.Next).toBe('AuditFailed');
  });

  it('lets only the audit API start the Auditor, and only the Auditor', () => {
    const api = stack.api.functionOf('Audits');
    const permissions = permissionsOf(synth, api);
    expect(permissions[synth.logicalId(auditing.auditor)]).toEqual(['states:StartExecution']);
    for (const group of ['Posts', 'Channels', 'Campaigns', 'Calendars']) {
      expect(JSON.stringify(permissionsOf(synth, stack.api.functionOf(group)))).not.toContain('states:');
    }
  });

  it('gives each step the table and the channel secrets, nothing more', () => {
    for (const fn of Object.values(auditing.functions)) {
      expect(permissionsOf(synth, fn)).toEqual({ ...BASE, ...tableAccess('readWrite'), ...channelSecrets });
    }
  });
});
