import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/pulsecast.mjs', import.meta.url));

/** The environment of the test run, minus anything that could reach AWS. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete env[name];
  return env;
}

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 20_000 });
}

describe('bin/pulsecast.mjs', () => {
  it('runs the TypeScript CLI: `help` prints the usage and exits 0', () => {
    const result = run('help');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: pulsecast <command> [options]');
  });

  it('exits 2 for an unknown command', () => {
    const result = run('frobnicate');

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: unknown command "frobnicate"');
  });
});
