import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../../infra/bundling.ts';
import { PulsecastFunction, type PulsecastFunctionProps } from '../../infra/constructs/pulsecast-function.ts';
import { CHART_ASSETS } from '../../shared/notify/chart-assets.ts';

/**
 * Bundles one PulsecastFunction for the suite: synthesizes it in an app of its own under a new
 * temporary folder (which bundles it) before the suite's tests, and removes the folder after
 * them. Returns a getter for the function's code, the asset directory asset.<hash> of the cloud
 * assembly.
 */
function bundledForSuite(
  prefix: string,
  stackId: string,
  props: PulsecastFunctionProps,
  timeout?: number,
): () => string {
  let outdir: string | undefined;
  let bundleDir: string | undefined;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), prefix));
    const stack = new Stack(new App({ outdir }), stackId);
    new PulsecastFunction(stack, 'Probe', props);
    const template = Template.fromStack(stack); // synthesizes, which bundles
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    bundleDir = join(outdir, `asset.${String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  }, timeout);
  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });
  return () => {
    if (!bundleDir) throw new Error('the bundle is built in beforeAll');
    return bundleDir;
  };
}

/**
 * The other infra tests skip bundling; this one runs the real, local esbuild (no Docker) on a
 * probe handler and then runs the bundle under Node, as Lambda would.
 */
describe('PulsecastFunction bundling', () => {
  const bundleDir = bundledForSuite('pulsecast-bundling-', 'Probe', {
    entry: 'test/infra/fixtures/bundle-probe.ts',
  });

  it('writes an ESM bundle with its source map, the require banner first', () => {
    expect(readdirSync(bundleDir()).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(join(bundleDir(), 'index.mjs'), 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);
  });

  it('keeps the source map beside the bundle, out of its import path', () => {
    expect(readFileSync(join(bundleDir(), 'index.mjs'), 'utf8')).not.toMatch(/sourceMappingURL/);
    expect(JSON.parse(readFileSync(join(bundleDir(), 'index.mjs.map'), 'utf8'))).toMatchObject({
      version: 3,
    });
  });

  it('bundles the AWS SDK instead of importing it from the runtime', () => {
    const code = readFileSync(join(bundleDir(), 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(code).not.toMatch(/import\(\s*["']@aws-sdk\//);
  });

  it("uses npm's punycode, not Node's deprecated built-in", () => {
    const code = readFileSync(join(bundleDir(), 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/from\s*["'](node:)?punycode["']/);
  });

  it('runs under Node, quietly: SDK client, twitter-text and a CommonJS require of a built-in all work', () => {
    const bundle = pathToFileURL(join(bundleDir(), 'index.mjs')).href;
    const script = `const { handler } = await import(${JSON.stringify(bundle)}); process.stdout.write(JSON.stringify(await handler()));`;
    // A separate Node process, so nothing of the test runner's module system is involved.
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      // What the Lambda runtime puts in the environment: the role's credentials.
      env: { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: 'AKIAPROBE', AWS_SECRET_ACCESS_KEY: 'probe' },
    });

    expect(run.stderr.slice(-1_000)).toBe(''); // the end holds the message; the start, minified code
    const result = JSON.parse(run.stdout) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      region: 'eu-west-1',
      accessKeyId: 'AKIAPROBE',
      weightedLength: 34,
      endOfLine: '\n',
    });
  });
});

/**
 * The notifier draws charts: its bundle carries vega and the resvg WebAssembly, and the .wasm
 * and the fonts are copied next to it by the bundling hooks. Run from a copy of the asset folder
 * alone (no node_modules anywhere above it), as Lambda runs it.
 */
describe('the chart-drawing bundle', () => {
  const bundleDir = bundledForSuite(
    'pulsecast-chart-bundle-',
    'ChartProbe',
    { entry: 'test/infra/fixtures/chart-probe.ts', assets: CHART_ASSETS },
    120_000,
  );

  it('ships the WebAssembly and the fonts beside the bundle', () => {
    expect(readdirSync(bundleDir()).sort()).toEqual([
      'DejaVuSans-Bold.ttf',
      'DejaVuSans.ttf',
      'index.mjs',
      'index.mjs.map',
      'resvg.wasm',
    ]);
  });

  it('draws a PNG from a folder without node_modules', () => {
    const alone = mkdtempSync(join(tmpdir(), 'pulsecast-chart-run-'));
    try {
      cpSync(bundleDir(), alone, { recursive: true });
      const bundle = pathToFileURL(join(alone, 'index.mjs')).href;
      const script = `const { handler } = await import(${JSON.stringify(bundle)}); process.stdout.write(JSON.stringify(await handler()));`;
      const run = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        cwd: alone,
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(run.stderr.slice(-1_000)).toBe('');
      const result = JSON.parse(run.stdout) as { bytes: number; signature: string };
      expect(result.signature).toBe('PNG');
      expect(result.bytes).toBeGreaterThan(10_000);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});
