import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PulsecastStack } from '../infra/stack.ts';
import { writeFileAtomicSync } from './files.ts';

/** What local mode needs of the synthesized app: the template, the stack's name and the logical ids it looks up. */
export interface LocalSynth {
  template: Record<string, unknown>;
  stackName: string;
  ids: { table: string; bus: string; dispatcher: string; collector: string; listener: string };
}

/**
 * The deployable definitions, synthesized in-process (bundling skipped: the handlers run from
 * source). aws-cdk-lib is imported only here, when a synth is needed.
 *
 * With `cacheDir` (PULSECAST_SYNTH_CACHE), the result is kept there per CDK context and read back
 * by the next start with the same context instead of synthesizing again. The cache is not
 * invalidated when the infrastructure code changes, so it is for runs over one fixed checkout:
 * the test suite gives every local mode it starts one fresh folder per run.
 */
export async function synthesizeLocal(
  context: Record<string, unknown>,
  cacheDir?: string,
): Promise<LocalSynth> {
  const cached = cacheDir
    ? join(
        cacheDir,
        `${createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16)}.json`,
      )
    : undefined;
  if (cached && existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as LocalSynth;

  const [{ Template }, { createPulsecastApp }] = await Promise.all([
    import('aws-cdk-lib/assertions'),
    import('../infra/pulsecast-app.ts'),
  ]);
  // Without the CDK's built-in CloudFormation validation: it only reports (as warnings, into the
  // cloud assembly) and was about half of start-up; `cdk synth` still runs it before a deploy.
  const { stack } = createPulsecastApp({
    nag: false,
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  const synth: LocalSynth = {
    template: Template.fromStack(stack).toJSON() as Record<string, unknown>,
    stackName: stack.stackName,
    ids: localIds(stack, logicalIdIn(stack)),
  };
  if (cached) {
    mkdirSync(cacheDir as string, { recursive: true });
    writeFileAtomicSync(cached, JSON.stringify(synth));
  }
  return synth;
}

/** A construct's logical id in the synthesized template (its default child's). */
export type LogicalId = (construct: { node: { defaultChild?: unknown } }) => string;

export function logicalIdIn(stack: PulsecastStack): LogicalId {
  return (construct) =>
    stack.getLogicalId(construct.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
}

/** The logical ids local mode looks up (the tests' synthesized app has these and more). */
export function localIds(stack: PulsecastStack, id: LogicalId): LocalSynth['ids'] {
  return {
    table: id(stack.data.table),
    bus: id(stack.events.bus),
    dispatcher: id(stack.publishing.stateMachine),
    collector: id(stack.measuring.stateMachine),
    listener: id(stack.listening.stateMachine),
  };
}
