#!/usr/bin/env node
// The `pulsecast` command. The CLI is TypeScript run without a build step: tsx compiles it as it
// is imported, so the loader has to be registered before the dynamic import below.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../local/cli/main.ts');
await main();
