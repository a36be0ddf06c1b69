import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE } from '../infra/bundling.ts';
import { PROJECT_ROOT } from '../infra/constructs/pulsecast-function.ts';
import { createPulsecastApp } from '../infra/pulsecast-app.ts';
import { functionEntries } from '../local/cloudformation/template.ts';

/** One function of the app as deployed: its handler entry and its environment. */
export interface AppFunction {
  /** `functions/publishing/claim.ts` → `publishing/claim`. */
  name: string;
  entry: string;
  environment: Record<string, string>;
}

/** What a function's bundle is made of. */
export interface BundleReport {
  name: string;
  entry: string;
  bytes: number;
  /** Bytes in the bundle per source: an npm package (`zod`, `@smithy/core`) or a repository file. */
  bySource: Record<string, number>;
  /** Every input file that contributed bytes (repository-relative). */
  inputs: string[];
  /** The bundle file, while the build folder exists. */
  file: string;
}

/** Every function the app defines (from the synthesized template), however many there are. */
export function appFunctions(): AppFunction[] {
  const { stack } = createPulsecastApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const byEntry = new Map<string, AppFunction>();
  for (const fn of functionEntries(Template.fromStack(stack).toJSON())) {
    if (!fn.entry || byEntry.has(fn.entry)) continue;
    byEntry.set(fn.entry, {
      name: fn.entry.replace(/^functions\//, '').replace(/\.ts$/, ''),
      entry: fn.entry,
      environment: fn.environment,
    });
  }
  return [...byEntry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The source an input file counts towards: its npm package, else the file itself. */
export function sourceOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1] ?? input;
}

/**
 * Bundles every function with the deployed options (infra/bundling.ts) in one esbuild run, into
 * `outdir`, and reports what each bundle holds (from esbuild's metafile).
 */
export async function bundleFunctions(
  functions: readonly AppFunction[],
  outdir: string,
): Promise<BundleReport[]> {
  const result = await build({
    ...LAMBDA_BUNDLE,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: Object.fromEntries(functions.map((fn) => [fn.name, fn.entry])),
    outdir,
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'silent',
  });
  return functions.map((fn) => reportOf(fn, result.metafile, outdir));
}

function reportOf(fn: AppFunction, metafile: Metafile, outdir: string): BundleReport {
  const file = join(outdir, `${fn.name}.mjs`);
  const key = relative(PROJECT_ROOT, file).split(sep).join('/');
  const output = metafile.outputs[key];
  if (!output) throw new Error(`esbuild wrote no ${key} for ${fn.entry}`);
  const bySource: Record<string, number> = {};
  const inputs: string[] = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    inputs.push(input);
    const source = sourceOf(input);
    bySource[source] = (bySource[source] ?? 0) + bytesInOutput;
  }
  return { name: fn.name, entry: fn.entry, bytes: output.bytes, bySource, inputs: inputs.sort(), file };
}

/**
 * Median time to import a bundle in a fresh Node process (what a cold start pays before the
 * handler runs), over `runs` processes. The process gets Lambda-like credentials and no
 * AWS_LAMBDA_FUNCTION_NAME, so nothing tries to reach AWS.
 */
export function importMs(file: string, environment: Record<string, string> = {}, runs = 5): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        ...environment,
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
      },
    });
    const ms = Number(run.stdout);
    if (run.status !== 0 || !Number.isFinite(ms))
      throw new Error(`importing ${file} failed: ${run.stderr.slice(0, 800)}`);
    times.push(ms);
  }
  return median(times);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Bundles every function into a temporary folder, hands the reports to `use`, then cleans up. */
export async function withBundles<T>(use: (reports: BundleReport[]) => Promise<T> | T): Promise<T> {
  const outdir = mkdtempSync(join(tmpdir(), 'pulsecast-bundles-'));
  try {
    return await use(await bundleFunctions(appFunctions(), outdir));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
