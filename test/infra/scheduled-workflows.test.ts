import { describe, it } from 'vitest';
import { expectScheduledWorkflow, synthPulsecast, type Workflow } from './helpers.ts';

const synth = synthPulsecast();
const { stack } = synth;

describe('the scheduled workflows', () => {
  // Each is started by an EventBridge Scheduler schedule, with retries and a dead-letter queue,
  // and is a state machine named after the stack with full logging and X-Ray tracing.
  it.each<[string, Workflow, Parameters<typeof expectScheduledWorkflow>[2]]>([
    [
      'the Dispatcher, every minute',
      stack.publishing,
      {
        name: 'Pulsecast-dev-dispatcher',
        type: 'EXPRESS',
        schedule: 'rate(1 minute)',
        retryAttempts: 2,
        maxEventAgeSeconds: 120,
      },
    ],
    [
      'the Collector, every 5 minutes',
      stack.measuring,
      {
        name: 'Pulsecast-dev-collector',
        type: 'EXPRESS',
        schedule: 'rate(5 minutes)',
        retryAttempts: 2,
        maxEventAgeSeconds: 300,
      },
    ],
    [
      'the Listener, every 5 minutes',
      stack.listening,
      {
        name: 'Pulsecast-dev-listener',
        type: 'EXPRESS',
        schedule: 'rate(5 minutes)',
        retryAttempts: 2,
        maxEventAgeSeconds: 300,
      },
    ],
    [
      'the Evaluator, hourly (a Standard state machine)',
      stack.evaluating,
      {
        name: 'Pulsecast-dev-evaluator',
        type: 'STANDARD',
        schedule: 'cron(5 * * * ? *)',
        retryAttempts: 3,
        maxEventAgeSeconds: 1800,
      },
    ],
    [
      'the follower snapshot, daily',
      { stateMachine: stack.auditing.audience, deadLetterQueue: stack.auditing.deadLetterQueue },
      {
        name: 'Pulsecast-dev-audience',
        type: 'EXPRESS',
        schedule: 'cron(0 5 * * ? *)',
        retryAttempts: 3,
        maxEventAgeSeconds: 6 * 3600,
      },
    ],
  ])('starts %s', (_what, workflow, expected) => {
    expectScheduledWorkflow(synth, workflow, expected);
  });
});
