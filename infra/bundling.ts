import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda function is bundled: one set of esbuild options, read both by the CDK
 * construct (infra/constructs/pulsecast-function.ts, which runs the esbuild CLI) and by the
 * bundle benchmark and the bundle-content test (which run esbuild's API with a metafile), so
 * what is measured and checked is what deploys.
 */

/**
 * Defines `require` inside the ESM bundle. esbuild turns a CommonJS dependency's `require('x')`
 * of a Node built-in into `__require('x')`, which throws "Dynamic require is not supported" in
 * ESM unless a real `require` exists (twitter-text and parts of the SDK's dependency tree are
 * CommonJS). The alias keeps the banner from colliding with a bundled `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __pulsecastCreateRequire } from 'node:module'; const require = __pulsecastCreateRequire(import.meta.url);";

/**
 * Import paths replaced while bundling (esbuild `alias`; a `./` value is a file relative to the
 * repository root).
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  // twitter-text imports `punycode`, which esbuild would leave to Node's built-in module,
  // deprecated since Node 21 (a DEP0040 warning on every cold start, and slated for removal).
  // The trailing slash makes it resolve to the npm package twitter-text pins.
  punycode: 'punycode/',
  // The SDK clients' default credential chain (SSO, INI files, web identity, the IMDS, …) is
  // 70-80 KB of every bundle and a Lambda function only ever uses its first link: the role's
  // credentials, which the runtime puts in the environment.
  '@aws-sdk/credential-provider-node': './infra/lambda-credentials.ts',
};

/** The esbuild options of a function bundle, as the CDK construct also passes them. */
export const LAMBDA_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Prefer a package's ESM build: esbuild can only tree-shake what it sees as ESM.
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  // The map is written beside the bundle (and uploaded with it) but not referenced from it, and
  // the functions run without --enable-source-maps: parsing the map cost 11-37 ms of every cold
  // start. A stack trace from CloudWatch is mapped back offline with the map from the asset.
  sourcemap: 'external',
  sourcesContent: false,
  alias: BUNDLE_ALIASES,
} as const satisfies BuildOptions;

/** {@link BUNDLE_ALIASES} as esbuild CLI arguments (what CDK's `esbuildArgs` takes). */
export function aliasArgs(): Record<string, string> {
  return Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to]));
}

/** A bundle's size limit, and why it is what it is. */
export interface BundleBudget {
  kb: number;
  reason: string;
}

/**
 * What a function's bundle may weigh (checked by test/infra/bundle-contents.test.ts for every
 * function the app defines). The default covers a function on the DynamoDB client: the SDK's
 * core and the client (about 190 KB), zod (about 100 KB), Powertools with the X-Ray SDK (about
 * 130 KB), luxon (70 KB) and twitter-text (44 KB) where calendar rules are checked. A function
 * that needs more gets its own line here, with the reason.
 */
export const BUNDLE_BUDGETS: { default: BundleBudget; byFunction: Readonly<Record<string, BundleBudget>> } = {
  default: {
    kb: 720,
    reason: 'DynamoDB client, zod, Powertools + X-Ray SDK, luxon and twitter-text',
  },
  byFunction: {
    'notifying/notify': {
      kb: 1900,
      reason:
        'sends email (nodemailer 135 KB, SES v2) and draws the digest charts: vega-lite and vega (about 500 KB), the S3 client for Slack chart images (100 KB); resvg wasm and the fonts lie beside the bundle (docs/adr/0019-charts-vega-resvg-wasm.md)',
    },
    'api/audits': {
      kb: 800,
      reason:
        "starts the Auditor and reports on the channel's posts: the platform rules (twitter-text) and luxon come with the account readers' table",
    },
  },
};

/** The budget of the function whose entry is `functions/<name>.ts`. */
export function bundleBudget(name: string): BundleBudget {
  return BUNDLE_BUDGETS.byFunction[name] ?? BUNDLE_BUDGETS.default;
}
