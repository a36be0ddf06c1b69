import { App, type AppProps } from 'aws-cdk-lib';
import { addNagChecks } from './nag.ts';
import { PulsecastStack } from './stack.ts';

/** Options of {@link createPulsecastApp}. */
export interface PulsecastAppOptions extends AppProps {
  /**
   * Register cdk-nag's AwsSolutions pack, so that an unacknowledged finding fails synthesis.
   * @default true
   */
  readonly nag?: boolean;
}

/** Stage names become part of the stack name, so they must be short and CloudFormation-safe. */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * Builds the Pulsecast CDK app from its context: `stage` (default `dev`) and `disposable`
 * (boolean, default false; `-c disposable=true` on the command line). The stack is
 * `Pulsecast-<stage>`, so several stages can live in one account. Kept apart from `app.ts`
 * (which only synthesizes) so tests and local mode can build the same app in-process.
 */
export function createPulsecastApp(options: PulsecastAppOptions = {}): { app: App; stack: PulsecastStack } {
  const { nag = true, ...appProps } = options;
  const app = new App(appProps);

  const stage = contextString(app, 'stage', 'dev');
  if (!STAGE_NAME.test(stage)) {
    throw new Error(
      `context stage must match ${STAGE_NAME} (lower case, starts with a letter), got "${stage}"`,
    );
  }
  const disposable = contextBoolean(app, 'disposable', false);

  const stack = new PulsecastStack(app, `Pulsecast-${stage}`, { stage, disposable });
  if (nag) addNagChecks(app);
  return { app, stack };
}

function contextString(app: App, key: string, fallback: string): string {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (typeof value !== 'string')
    throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Context from `-c key=value` arrives as a string; from cdk.json or tests as a boolean. */
function contextBoolean(app: App, key: string, fallback: boolean): boolean {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
}
