/**
 * `npm run bench`: measures the figures of the performance table and writes them to
 * `bench/results.json` (figure → number, with the machine, Node and package versions and the
 * date), then prints the table. Nothing here asserts: the machines are shared and noisy, so the
 * figures are for reading (and ratios between runs on one machine), not for failing a build.
 * `--smoke` runs every figure at a tiny size, to a scratch file (the test suite does this so the
 * benchmark cannot rot).
 *
 * Flags: `--smoke`, `--full` (the Dispatcher figures at the sizes: 10,000 posts in one
 * second, 1,000 over 5 minutes; the default is 1,000 and 300 over 2), `--out <file>`,
 * `--month-equivalence` (also play a generated month with and
 * without idle-sweep skipping and compare; a run with every firing takes minutes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { ObservabilityLevel } from '../infra/constructs/observability.ts';
import { PROJECT_ROOT } from '../infra/constructs/pulsecast-function.ts';
import { createPulsecastApp } from '../infra/pulsecast-app.ts';
import { appFunctions, importMs, withBundles } from './bundles.ts';
import { benchUploadApart } from './calendar.ts';
import { benchDispatchApart, type DispatchBench, type DispatchInput } from './dispatch.ts';
import { comparable, type GeneratedRun, playGeneratedApart } from './generated-run.ts';
import { benchDemoApart } from './local-mode.ts';
import { costOf, PRICES, usageDifference } from './prices.ts';

export interface BenchSizes {
  demoDays: number;
  generatedPosts: number;
  generatedDays: number;
  uploadRows: number;
  importRuns: number;
  equivalenceDays: number;
  /** Posts due in one second through the synthesized Dispatcher (bench/dispatch.ts). */
  dispatchPosts: number;
  /** Posts spread over `latenessMinutes` of real time, for the publish lateness. */
  latenessPosts: number;
  latenessMinutes: number;
}

export const FULL: BenchSizes = {
  demoDays: 8,
  generatedPosts: 200,
  generatedDays: 36,
  uploadRows: 10_000,
  importRuns: 5,
  equivalenceDays: 30,
  dispatchPosts: 1000,
  latenessPosts: 300,
  latenessMinutes: 2,
};

/** `--full`: the Dispatcher figures at the sizes (10,000 in one second; 1,000 over 5 minutes). */
export const FULL_DISPATCH: Pick<BenchSizes, 'dispatchPosts' | 'latenessPosts' | 'latenessMinutes'> = {
  dispatchPosts: 10_000,
  latenessPosts: 1000,
  latenessMinutes: 5,
};

export const SMOKE: BenchSizes = {
  demoDays: 0.05,
  generatedPosts: 4,
  generatedDays: 0.2,
  uploadRows: 20,
  importRuns: 1,
  equivalenceDays: 0.1,
  dispatchPosts: 20,
  latenessPosts: 3,
  latenessMinutes: 0.1,
};

/** What `bench/results.json` holds. */
export interface BenchResults {
  date: string;
  machine: { cpus: number; model: string; memoryGb: number; loadAverage1m: number; platform: string };
  node: string;
  packages: Record<string, string>;
  sizes: BenchSizes;
  /** figure → number; see {@link TARGETS} for what each means. */
  figures: Record<string, number>;
  /** Figures of the issue this harness does not measure (or measures only in part), and why. */
  notMeasured: Record<string, string>;
}

/** Each headline figure's target (the performance issue's table), for the printed table. */
export const TARGETS: Record<string, string> = {
  local_8d_demo_s: '≤ 15',
  local_36d_200posts_s: '≤ 60',
  cost_usd_per_1000_posts: '≤ 0.05',
  cost_usd_fixed_month: '≤ 3 (observability=basic, the default)',
  bundle_kb_max: '≤ 300',
  dispatch_10k_posts_s: '≤ 60 (all published within their minute)',
  publish_lateness_p99_ms: '≤ 1000',
  init_ms_max: '≤ 100',
};

export const NOT_MEASURED: Record<string, string> = {
  dispatch_and_collect:
    'on dynalite in one process with a fake platform that answers at once: the handlers’ and the table’s work, not Lambda cold starts, DynamoDB latency or a platform’s answer time',
  dynamodb_index_writes:
    'write units are the table only (dynalite does not count writes to the global secondary indexes): a lower bound',
};

export async function runBench(
  sizes: BenchSizes,
  options: { monthEquivalence?: boolean; concurrent?: boolean } = {},
): Promise<BenchResults> {
  const root = PROJECT_ROOT;
  const figures: Record<string, number> = {};
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // `concurrent` (the smoke run): the processes start together, as their figures do not matter.
  const early = <T>(start: () => Promise<T>): Promise<T> | undefined => {
    if (!options.concurrent) return undefined;
    const promise = start();
    promise.catch(() => undefined); // awaited below; this only keeps an early failure handled
    return promise;
  };
  const pending = {
    demo: early(() => benchDemoApart({ root, days: sizes.demoDays })),
    generated: early(() =>
      playGeneratedApart({
        root,
        posts: sizes.generatedPosts,
        days: sizes.generatedDays,
        skipIdleSweeps: true,
      }),
    ),
    idle: early(() =>
      playGeneratedApart({ root, posts: 0, days: sizes.generatedDays, skipIdleSweeps: true }),
    ),
    upload: early(() => benchUploadApart({ rows: sizes.uploadRows })),
    dispatch: early(() => benchDispatchApart(dispatchInput(sizes))),
  };

  log('bundles: building every function with the deployed esbuild options');
  const functions = appFunctions();
  await withBundles((reports) => {
    for (const report of reports) {
      figures[`bundle_kb.${report.name}`] = round(report.bytes / 1024, 1);
      const environment = functions.find((fn) => fn.name === report.name)?.environment ?? {};
      figures[`init_ms.${report.name}`] = round(importMs(report.file, environment, sizes.importRuns), 1);
    }
  });
  const of = (prefix: string) => Object.entries(figures).filter(([name]) => name.startsWith(prefix));
  figures.bundle_kb_max = Math.max(...of('bundle_kb.').map(([, value]) => value));
  figures.init_ms_max = Math.max(...of('init_ms.').map(([, value]) => value));

  log(`local mode: the demo calendar over ${sizes.demoDays} days`);
  const demo = await (pending.demo ?? benchDemoApart({ root, days: sizes.demoDays }));
  figures.local_startup_s = round(demo.startupMs / 1000, 2);
  figures[`local_${sizes.demoDays}d_demo_s`] = round(demo.advanceMs / 1000, 2);
  figures.local_demo_executions = demo.result.executions.started;
  figures.local_demo_idle_sweeps_skipped = demo.result.idleSweepsSkipped;

  if (!options.concurrent) {
    // Not in the smoke run (its four weeks of history take most of a minute even at tiny sizes);
    // the end-to-end tests play this same demo.
    log(`local mode: the whole demo (history, listening, conversation) over ${sizes.demoDays} days`);
    const whole = await benchDemoApart({ root, days: sizes.demoDays, whole: true });
    figures.local_whole_demo_load_s = round(whole.startupMs / 1000, 2);
    figures[`local_${sizes.demoDays}d_whole_demo_s`] = round(whole.advanceMs / 1000, 2);
    figures.local_whole_demo_executions = whole.result.executions.started;
  }

  log(`local mode: ${sizes.generatedPosts} generated posts over ${sizes.generatedDays} days`);
  const generated = await (pending.generated ??
    playGeneratedApart({
      root,
      posts: sizes.generatedPosts,
      days: sizes.generatedDays,
      skipIdleSweeps: true,
    }));
  figures[`local_${sizes.generatedDays}d_${sizes.generatedPosts}posts_s`] = round(generated.wallMs / 1000, 2);
  figures.local_generated_executions = generated.result.executions.started;
  figures.local_generated_idle_sweeps_skipped = generated.result.idleSweepsSkipped;

  log(`costs: the same ${sizes.generatedDays} days without posts`);
  const idle = await (pending.idle ??
    playGeneratedApart({ root, posts: 0, days: sizes.generatedDays, skipIdleSweeps: true }));
  Object.assign(figures, costFigures(generated, idle, sizes));

  if (options.monthEquivalence) {
    log(`local mode: ${sizes.equivalenceDays} generated days with and without skipping idle sweeps`);
    const posts = Math.round(sizes.generatedPosts * (sizes.equivalenceDays / sizes.generatedDays));
    const [skipping, everyFiring] = await Promise.all(
      [true, false].map((skipIdleSweeps) =>
        playGeneratedApart({ root, posts, days: sizes.equivalenceDays, skipIdleSweeps }),
      ),
    );
    if (skipping && everyFiring) {
      figures.skip_equivalent =
        JSON.stringify(comparable(skipping)) === JSON.stringify(comparable(everyFiring)) ? 1 : 0;
      figures.skip_speedup = round(everyFiring.wallMs / skipping.wallMs, 1);
    }
  }

  log(`calendar upload: ${sizes.uploadRows} rows`);
  const upload = await (pending.upload ?? benchUploadApart({ rows: sizes.uploadRows }));
  figures.upload_rows_per_s = Math.round(upload.rows / (upload.writeMs / 1000));
  figures.upload_dry_rows_per_s = Math.round(upload.rows / (upload.dryMs / 1000));
  figures.upload_peak_rss_mb = Math.round(upload.peakRssMb);

  log(
    `dispatcher: ${sizes.dispatchPosts} posts in one second, then ${sizes.latenessPosts} over ${sizes.latenessMinutes} min of real time`,
  );
  const dispatch = await (pending.dispatch ?? benchDispatchApart(dispatchInput(sizes)));
  Object.assign(figures, dispatchFigures(dispatch));

  return {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGb: round(totalmem() / 2 ** 30, 1),
      loadAverage1m: round(loadavg()[0] ?? 0, 1),
      platform: `${process.platform}-${process.arch}`,
    },
    node: process.version,
    packages: packageVersions(root),
    sizes,
    figures,
    notMeasured: NOT_MEASURED,
  };
}

/** The versions that shape the figures: the app's own and its runtime dependencies'. */
function packageVersions(root: string): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const pick = ['esbuild', 'aws-local-stepfunctions', 'dynalite', 'typescript'];
  return {
    pulsecast: manifest.version,
    ...manifest.dependencies,
    ...Object.fromEntries(pick.map((name) => [name, manifest.devDependencies[name] ?? 'absent'])),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

const dispatchInput = (sizes: BenchSizes): DispatchInput => ({
  burstPosts: sizes.dispatchPosts,
  latenessPosts: sizes.latenessPosts,
  latenessMinutes: sizes.latenessMinutes,
});

/** `dispatch_10k_posts_s` at 10,000 posts (`dispatch_<n>_posts_s` otherwise), lateness, collection. */
export function dispatchFigures(run: DispatchBench): Record<string, number> {
  const n = run.burstPosts;
  const label = n % 1000 === 0 ? `${n / 1000}k` : String(n);
  const lateness = [...run.latenessMs].sort((a, b) => a - b);
  // Nearest rank; a post never published is NaN and sorts last (the figure then says NaN).
  const percentile = (p: number) =>
    lateness[Math.max(0, Math.ceil((p / 100) * lateness.length) - 1)] ?? Number.NaN;
  return {
    [`dispatch_${label}_posts_s`]: round(run.burstMs / 1000, 2),
    dispatch_executions: run.burstExecutions,
    publish_lateness_posts: run.latenessPosts,
    publish_lateness_p50_ms: Math.round(percentile(50)),
    publish_lateness_p99_ms: Math.round(percentile(99)),
    collect_posts_per_s: Math.round(run.collected / (run.collectMs / 1000)),
  };
}

/**
 * The cost figures, from what two local runs counted (bench/prices.ts prices them): the run with
 * the generated posts and the same days without any. Marginal: what the posts added, per 1,000,
 * less the idle sweeps their executions took the place of (those are in the fixed cost; `_gross`
 * leaves them in).
 * Naive: the same work with one Standard workflow per post instead of the Express sweeps (a
 * Wait, Publish and Record, then a Wait and a Collect per checkpoint). Fixed: the run without
 * posts scaled to 30 days, plus every idle sweep local mode left out (each an Express execution
 * of at most 100 ms and one 512 MB Lambda invocation of at most 100 ms on AWS), plus the
 * stack's alarms, dashboards, secrets and keys, at the default `observability=basic` level
 * (`_full`: at `observability=full`). No custom metric is emitted at zero posts (counts of zero
 * are not sent), so none is priced.
 */
export function costFigures(
  withPosts: GeneratedRun,
  without: GeneratedRun,
  sizes: BenchSizes,
): Record<string, number> {
  const posts = sizes.generatedPosts;
  const added = usageDifference(withPosts.usage, without.usage);
  const perThousand = (usd: number) => (usd / Math.max(1, posts)) * 1000;
  const sweepUsd =
    PRICES.expressPerRequest +
    0.1 * (64 / 1024) * PRICES.expressPerGbSecond +
    PRICES.lambdaPerRequest +
    0.1 * 0.5 * PRICES.lambdaArmPerGbSecond;
  // A firing that ran because of a post replaced an idle sweep that the fixed cost already pays
  // for (on AWS every firing runs): `added.idleSweepsSkipped` is minus their number.
  const marginalUsd = costOf(added) + added.idleSweepsSkipped * sweepUsd;
  const snapshots = withPosts.items.filter((item) => String(item.sk).startsWith('SNAPSHOT#')).length;
  const transitionsPerPost = 3 + 2 * (snapshots / Math.max(1, posts));
  const naive =
    costOf({ ...added, express: { requests: 0, gbSeconds: 0 } }) +
    transitionsPerPost * posts * PRICES.standardPerTransition;

  const monthScale = 30 / sizes.generatedDays;
  const usage = costOf(without.usage) * monthScale + without.usage.idleSweepsSkipped * monthScale * sweepUsd;
  // Custom metrics: none at zero posts (a handler emits a count only when it is not zero).
  const fixedAt = (level: ObservabilityLevel) => {
    const resources = stackResources(level);
    const usd =
      usage +
      resources.alarms * PRICES.alarmPerMonth +
      resources.dashboards * PRICES.dashboardPerMonth +
      resources.secrets * PRICES.secretPerMonth +
      resources.kmsKeys * PRICES.kmsKeyPerMonth;
    return { usd, resources };
  };
  const basic = fixedAt('basic');
  const full = fixedAt('full');
  return {
    cost_usd_per_1000_posts: round(perThousand(marginalUsd), 4),
    cost_usd_per_1000_posts_gross: round(perThousand(costOf(added)), 4),
    cost_usd_per_1000_posts_naive: round(perThousand(naive), 4),
    cost_write_units_per_post: round(added.dynamodb.writeUnits / Math.max(1, posts), 1),
    cost_read_units_per_post: round(added.dynamodb.readUnits / Math.max(1, posts), 1),
    cost_express_gb_s_per_post: round(added.express.gbSeconds / Math.max(1, posts), 4),
    cost_usd_fixed_month: round(basic.usd, 2),
    cost_fixed_alarms: basic.resources.alarms,
    cost_fixed_dashboards: basic.resources.dashboards,
    cost_usd_fixed_month_full: round(full.usd, 2),
    cost_fixed_alarms_full: full.resources.alarms,
  };
}

/** The billed-by-the-month resources of the synthesized stack at an observability level. */
function stackResources(level: ObservabilityLevel): {
  alarms: number;
  dashboards: number;
  secrets: number;
  kmsKeys: number;
} {
  const { stack } = createPulsecastApp({
    nag: false,
    context: { 'aws:cdk:bundling-stacks': [], observability: level },
  });
  const resources = Object.values(
    (Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }> }).Resources,
  );
  const count = (type: string) => resources.filter((resource) => resource.Type === type).length;
  return {
    alarms: count('AWS::CloudWatch::Alarm'),
    dashboards: count('AWS::CloudWatch::Dashboard'),
    secrets: count('AWS::SecretsManager::Secret'),
    kmsKeys: count('AWS::KMS::Key'),
  };
}

/** The results as a Markdown table: headline figures first, then every figure. */
export function table(results: BenchResults): string {
  const rows = Object.entries(results.figures).map(
    ([name, value]) => `| \`${name}\` | ${value} | ${TARGETS[name] ?? ''} |`,
  );
  const missing = Object.entries(results.notMeasured).map(([name, why]) => `| \`${name}\` | — | ${why} |`);
  return [
    `Measured ${results.date.slice(0, 16)}Z on ${results.machine.cpus} × ${results.machine.model}, Node ${results.node}, 1-min load average ${results.machine.loadAverage1m} at the end.`,
    '',
    '| figure | value | target / note |',
    '|---|---|---|',
    ...rows,
    ...missing,
  ].join('\n');
}

if (process.argv[1]?.endsWith('bench/run.ts')) {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const outIndex = args.indexOf('--out');
  const out =
    outIndex >= 0 ? args[outIndex + 1] : smoke ? undefined : join(PROJECT_ROOT, 'bench', 'results.json');
  const sizes = smoke ? SMOKE : args.includes('--full') ? { ...FULL, ...FULL_DISPATCH } : FULL;
  const results = await runBench(sizes, {
    monthEquivalence: args.includes('--month-equivalence'),
  });
  if (out) writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(table(results));
  process.exit(0);
}
