import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    // Tests never reach AWS: fake credentials and a fixed region keep the SDK from looking further.
    env: {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_DEV: 'false',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: a single worker on 2 cores, which sits
    // idle while the local mode it started works in its own process. One per core instead.
    maxWorkers: '100%',
    projects: [
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          // The CDK assertion tests only build stacks in memory: a worker keeps aws-cdk-lib loaded
          // (and its JIT warm) from one file to the next instead of importing it again per file.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'app',
          include: ['test/**/*.test.ts'],
          exclude: ['test/infra/**'],
          // The app is synthesized once per run and handed to the tests that run its state machines.
          globalSetup: ['test/support/global-synth.ts'],
        },
      },
    ],
  },
});
