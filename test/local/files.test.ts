import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readJsonStateSync,
  StateFileError,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../local/files.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulsecast-files-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ifDeleted = { ifDeleted: 'start afresh' };

describe('writeFileAtomicSync and writeFileAtomic', () => {
  it('replace a file with the new content and leave no temporary file behind', async () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old');

    writeFileAtomicSync(path, '{"n":1}');
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}');
    await writeFileAtomic(path, Buffer.from('{"n":2}'));

    expect(readFileSync(path, 'utf8')).toBe('{"n":2}');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('give a new file the mode asked for', async () => {
    writeFileAtomicSync(join(dir, 'a.json'), '{}', { mode: 0o600 });
    await writeFileAtomic(join(dir, 'b.json'), '{}', { mode: 0o600 });

    expect(statSync(join(dir, 'a.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'b.json')).mode & 0o777).toBe(0o600);
  });

  it('keep the old content, and clean up, when the new one cannot be put in place', async () => {
    // A folder where the file should be: the rename fails after the temporary file was written.
    const path = join(dir, 'taken');
    mkdirSync(path);

    expect(() => writeFileAtomicSync(path, 'new')).toThrow();
    await expect(writeFileAtomic(path, 'new')).rejects.toThrow();

    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('leave a complete file when the writing process is killed at any moment', async () => {
    const path = join(dir, 'state.json');
    const helper = pathToFileURL(join(import.meta.dirname, '../../local/files.ts')).href;
    // The child does nothing but write, so a write in place would nearly always be caught half done.
    const script = `
      import { writeFileAtomicSync } from ${JSON.stringify(helper)};
      const contents = [0, 1].map((n) => JSON.stringify({ n, pad: 'x'.repeat(4 * 1024 * 1024) }));
      for (let n = 0; ; n++) {
        writeFileAtomicSync(${JSON.stringify(path)}, contents[n % 2]);
        if (n === 0) console.log('writing');
      }`;
    for (const delayMs of [3, 17, 41]) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const saved = readJsonStateSync(path, ifDeleted) as { n: number; pad: string };
      expect(saved.pad).toHaveLength(4 * 1024 * 1024);
    }
  }, 30_000);
});

describe('readJsonStateSync', () => {
  it('reads nothing when there is no file yet', () => {
    expect(readJsonStateSync(join(dir, 'none.json'), ifDeleted)).toBeUndefined();
  });

  it('removes the temporary files of writes a crash interrupted, and only those', () => {
    const path = join(dir, 'clock.json');
    writeFileSync(path, '{"virtualMs":1}');
    writeFileSync(join(dir, '.clock.json.4242-7.tmp'), '{"virt');
    writeFileSync(join(dir, '.secrets.json.4242-8.tmp'), '{');

    expect(readJsonStateSync(path, ifDeleted)).toEqual({ virtualMs: 1 });

    expect(readdirSync(dir).sort()).toEqual(['.secrets.json.4242-8.tmp', 'clock.json']);
  });

  it('refuses a truncated file with a message that names it and says what to do', () => {
    const path = join(dir, 'instagram.json');
    writeFileSync(path, '{"lastId":"12","posts":[{"id":');

    let caught: unknown;
    try {
      readJsonStateSync(path, ifDeleted);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(StateFileError);
    expect((caught as StateFileError).path).toBe(path);
    expect((caught as Error).message).toBe(
      `${path} is not valid JSON (it may have been cut short by a crash); delete it to start afresh, or restore it from a backup`,
    );
  });

  it('says so when the file is empty', () => {
    const path = join(dir, 'clock.json');
    writeFileSync(path, '');

    expect(() => readJsonStateSync(path, ifDeleted)).toThrow(/clock\.json is not valid JSON \(it is empty;/);
    expect(existsSync(path)).toBe(true);
  });
});
