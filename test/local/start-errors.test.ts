import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalProcess } from '../support/local-process.ts';

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** What `npm start` prints, and its exit code, when it cannot start. */
async function failedStart(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ code: string; output: string }> {
  const error = await startLocalProcess({ dataDir: dir, env, timeoutMs: 60_000 }).then(
    () => expect.fail('local mode started'),
    (failure: Error) => failure,
  );
  const [, code = '', output = ''] = /^local mode exited with (\S+):\n([\s\S]*)$/.exec(error.message) ?? [];
  return { code, output };
}

describe('local mode start-up with a damaged data folder', () => {
  it('names a simulator file cut short by a crash and what to do, in one line and without a stack', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-damaged-'));
    const path = join(dataDir, 'simulators', 'instagram.json');
    mkdirSync(join(dataDir, 'simulators'));
    writeFileSync(path, '');

    const { code, output } = await failedStart(dataDir);

    expect(code).toBe('1');
    const errors = output.split('\n').filter((line) => line.startsWith('Pulsecast local mode cannot start'));
    expect(errors).toEqual([
      `Pulsecast local mode cannot start: ${path} is not valid JSON (it is empty; it may have been cut short by a crash); delete it to start that simulator afresh (forgetting the posts published on it), or restore it from a backup`,
    ]);
    expect(output).not.toMatch(/^\s+at /m);
  }, 90_000);

  it('refuses a clock file it cannot read rather than restarting time', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-damaged-'));
    writeFileSync(join(dataDir, 'clock.json'), '{"virtualMs":18');

    const { code, output } = await failedStart(dataDir);

    expect(code).toBe('1');
    expect(output).toContain(
      `Pulsecast local mode cannot start: ${join(dataDir, 'clock.json')} is not valid JSON (it may have been cut short by a crash); delete it to restart local time from now (or PULSECAST_CLOCK_START)`,
    );
    expect(output).not.toMatch(/^\s+at /m);
  }, 90_000);

  it('says in one line that the data folder cannot be used, and how to fix it', async () => {
    // Permission bits do not stop root (these tests may run as root): a file where the folder
    // should be is an unusable data folder for every user.
    dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-damaged-'));
    const notAFolder = join(dataDir, 'data');
    writeFileSync(notAFolder, 'not a folder');

    const { code, output } = await failedStart(notAFolder);

    expect(code).toBe('1');
    expect(output.trim().split('\n')).toEqual([
      `Pulsecast local mode cannot start: the data folder ${notAFolder} cannot be read and written (EEXIST); make it readable and writable by this user, or set PULSECAST_DATA_DIR to another folder`,
    ]);
  }, 90_000);

  it('says in one line that the port is taken, and how to fix it', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pulsecast-port-'));
    const taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, output } = await failedStart(dataDir, { PULSECAST_PORT: String(port) });

      expect(code).toBe('1');
      expect(output.trim().split('\n')).toEqual([
        `Pulsecast local mode cannot start: port ${port} is in use; stop what uses it or set PULSECAST_PORT`,
      ]);
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  }, 90_000);
});
