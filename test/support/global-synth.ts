import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { TestProject } from 'vitest/node';
import { createPulsecastApp } from '../../infra/pulsecast-app.ts';
import { localNotifyContext } from '../../local/outbox.ts';
import { localIds, logicalIdIn, synthesizeLocal } from '../../local/synth.ts';

/**
 * The app as the tests that run its state machines need it: the synthesized template (bundling
 * skipped), the stack's name and the logical ids they look up. Synthesized once per test run, in
 * vitest's global setup, and handed to every worker (`synthesizedApp()` in synthesized-app.ts)
 * instead of each test file importing aws-cdk-lib and synthesizing the stack again.
 */
export interface SynthesizedApp {
  template: Record<string, unknown>;
  stackName: string;
  ids: {
    table: string;
    bus: string;
    dispatcher: string;
    collector: string;
    collectDue: string;
    collectChannel: string;
    evaluator: string;
    evaluate: string;
    listener: string;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pulsecastApp: SynthesizedApp;
    /** PULSECAST_SYNTH_CACHE for the local modes the tests start (local-process.ts): one synth per context per run. */
    localSynthCache: string;
  }
}

export function synthesizeApp(): SynthesizedApp {
  const { stack } = createPulsecastApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const id = logicalIdIn(stack);
  return {
    template: Template.fromStack(stack).toJSON() as Record<string, unknown>,
    stackName: stack.stackName,
    ids: {
      ...localIds(stack, id),
      collectDue: id(stack.measuring.functions.collectDue.function),
      collectChannel: id(stack.measuring.functions.collectChannel.function),
      evaluator: id(stack.evaluating.stateMachine),
      evaluate: id(stack.evaluating.functions.evaluate.function),
    },
  };
}

export default async function setup(project: TestProject): Promise<() => void> {
  project.provide('pulsecastApp', synthesizeApp());
  const cache = mkdtempSync(join(tmpdir(), 'pulsecast-synth-'));
  // Filled now, while aws-cdk-lib is loaded and warm here: local modes started at the same time
  // (the benchmark smoke run starts several) then all find it instead of each synthesizing.
  await synthesizeLocal(localNotifyContext(process.env), cache);
  project.provide('localSynthCache', cache);
  return () => rmSync(cache, { recursive: true, force: true });
}
