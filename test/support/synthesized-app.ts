import { inject } from 'vitest';
import type { SynthesizedApp } from './global-synth.ts';

export type { SynthesizedApp };

/** The app synthesized once for the whole test run (global-synth.ts). */
export function synthesizedApp(): SynthesizedApp {
  const app = inject('pulsecastApp');
  if (!app) throw new Error('no synthesized app: run the tests through vitest.config.ts (globalSetup)');
  return app;
}
