import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFunctions, type BundleReport, bundleFunctions } from '../../bench/bundles.ts';
import { bundleBudget } from '../../infra/bundling.ts';

/**
 * Every function the app defines (read from the synthesized template, so a function added
 * anywhere is covered), bundled with the deployed esbuild options; esbuild's metafile says what
 * each bundle holds.
 */
describe('Lambda bundle contents', () => {
  let outdir: string;
  let reports: BundleReport[];

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'pulsecast-bundle-contents-'));
    reports = await bundleFunctions(appFunctions(), outdir);
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const each = (check: (report: BundleReport) => void) => () => {
    expect(reports.length).toBeGreaterThan(10);
    for (const report of reports) check(report);
  };

  it(
    'keeps every bundle within its budget',
    each((report) => {
      const kb = report.bytes / 1024;
      const budget = bundleBudget(report.name);
      expect(
        kb,
        `${report.name}: ${kb.toFixed(0)} KB, budget ${budget.kb} KB (${budget.reason})`,
      ).toBeLessThanOrEqual(budget.kb);
    }),
  );

  it(
    "carries zod's English messages only, none of its other locales",
    each((report) => {
      const locales = report.inputs.filter((input) => input.includes('/zod/v4/locales/'));
      expect(
        locales.filter((input) => !input.endsWith('/locales/en.js')),
        report.name,
      ).toEqual([]);
    }),
  );

  it(
    "takes the role's credentials from the environment, without the SDK's default chain",
    each((report) => {
      const chain = Object.keys(report.bySource).filter((source) =>
        /^@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)$/.test(
          source,
        ),
      );
      expect(chain, report.name).toEqual([]);
    }),
  );

  it(
    'leaves email and Slack senders to the notifying functions',
    each((report) => {
      if (report.name.startsWith('notifying/')) return;
      const senders = Object.keys(report.bySource).filter((source) =>
        ['nodemailer', '@slack/webhook', '@aws-sdk/client-sesv2'].includes(source),
      );
      expect(senders, report.name).toEqual([]);
    }),
  );

  it(
    'holds no local-mode, test or build-time code',
    each((report) => {
      const strays = report.inputs.filter((input) =>
        /^(local|test|bench|infra\/(constructs|stack))\/|node_modules\/(aws-cdk-lib|constructs|esbuild|dynalite|vitest)\//.test(
          input,
        ),
      );
      expect(strays, report.name).toEqual([]);
    }),
  );
});
