import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs a benchmark module's work in a Node process of its own and returns its JSON result.
 * Local mode loads the handler modules once per process (their module-scope clients then point
 * at that run's table), so each local-mode run needs a fresh process; a fresh process also keeps
 * one figure's heap and JIT state out of the next.
 */
export async function runApart<T>(moduleUrl: string, input: unknown, cwd = process.cwd()): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecast-bench-out-'));
  const out = join(dir, 'result.json');
  try {
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(moduleUrl), JSON.stringify(input), out],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The other half of {@link runApart}: when `moduleUrl` is the process's main module, runs `work`
 * on the input from the command line, writes its result to the file named there and exits.
 */
export async function serveApart<I, O>(moduleUrl: string, work: (input: I) => Promise<O>): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const [input, out] = process.argv.slice(2);
  if (!input || !out) throw new Error(`usage: ${fileURLToPath(moduleUrl)} <input JSON> <out file>`);
  writeFileSync(out, JSON.stringify(await work(JSON.parse(input) as I)));
  process.exit(0);
}
