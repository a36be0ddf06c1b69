import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * How local mode persists a file: the whole content goes to a temporary file in the same folder,
 * is flushed to disk, and then renamed over the target. A rename within one file system replaces
 * the target in one step, so a reader (or the next start after a `kill -9`) finds either the old
 * content or the new, never a file cut short. The folder itself is not fsynced: losing the
 * rename to a power cut leaves the old, complete file, which is as consistent as the moment before.
 */
export interface AtomicWriteOptions {
  /** Permissions of a newly written file (the secrets file: 0o600). */
  mode?: number;
}

let sequence = 0;

/** Hidden, and unique per process and write, so concurrent writers never share a temporary file. */
function temporaryFor(path: string): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return join(dirname(path), `.${basename(path)}.${process.pid}-${sequence}.tmp`);
}

export function writeFileAtomicSync(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const temporary = temporaryFor(path);
  try {
    const fd = openSync(temporary, 'w', options.mode ?? 0o666);
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporaryFor(path);
  try {
    const file = await open(temporary, 'w', options.mode ?? 0o666);
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * A state file of local mode that cannot be read back. Start-up stops with this message (local
 * mode's `main` prints it alone, without a stack): it names the file and what the user can do.
 */
export class StateFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

export interface ReadStateOptions {
  /** What deleting the file does, for the message: "start that simulator afresh". */
  ifDeleted: string;
}

/**
 * The parsed content of a JSON state file, or undefined when there is none yet. Read at start,
 * when nothing else writes the file, so it also removes the temporary files of writes that a
 * crash interrupted.
 */
export function readJsonStateSync(path: string, options: ReadStateOptions): unknown {
  removeInterruptedWrites(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(path, `${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return parseState(path, text, options);
}

function removeInterruptedWrites(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // no folder yet: nothing was written
  }
  for (const name of names)
    if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(join(dirname(path), name), { force: true });
}

function parseState(path: string, text: string, options: ReadStateOptions): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StateFileError(
      path,
      `${path} is not valid JSON (${text.trim() === '' ? 'it is empty; ' : ''}it may have been cut short by a crash); ` +
        `delete it to ${options.ifDeleted}, or restore it from a backup`,
      { cause: error },
    );
  }
}

/** A state file whose JSON is fine but whose shape is not what local mode wrote. */
export function unexpectedState(path: string, expected: string, options: ReadStateOptions): StateFileError {
  return new StateFileError(
    path,
    `${path} does not hold ${expected}; delete it to ${options.ifDeleted}, or restore it from a backup`,
  );
}

/**
 * Makes sure local mode can keep its state in `dir` (creating it if needed): readable, writable
 * and on a writable file system, checked with a real write because permission bits do not stop
 * root and say nothing of a read-only mount. Otherwise a {@link StateFileError} with the fix.
 */
export function ensureDataFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    readdirSync(dir);
    writeFileAtomicSync(join(dir, '.write-check'), '');
    rmSync(join(dir, '.write-check'), { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StateFileError(
      dir,
      `the data folder ${dir} cannot be read and written (${code}); make it readable and writable by this user, or set PULSECAST_DATA_DIR to another folder`,
      { cause: error },
    );
  }
}
